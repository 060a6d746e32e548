// Package kernel finds the guest kernel image and the KVM modules it needs:
// from Debian's archive (resolved and downloaded with apt, unpacked with
// dpkg -x, cached), built from one of the recipes in ci/kernels (Builder,
// cached by a key over the recipe and its source's version) or from a
// kernel file and modules directory given by the user.
package kernel

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// Kernel is a guest kernel ready to boot.
type Kernel struct {
	// Label names the kernel in output paths and tables
	// ("debian-bookworm", "build-ppc64le-pr", or the image file name).
	Label string `json:"label"`
	// Spec is how the user asked for it ("debian:bookworm",
	// "build:ppc64le-pr" or a path).
	Spec string `json:"spec"`
	Arch string `json:"arch"`
	// Image is the host path of the kernel image.
	Image string `json:"image"`
	// Release is the kernel release (uname -r) if known.
	Release string `json:"release,omitempty"`
	// Package and Version name the Debian package it came from (for a
	// built kernel, the source package).
	Package string `json:"package,omitempty"`
	Version string `json:"version,omitempty"`
	// Fallback says why this is not the newest version of the series
	// (it could not be fetched) and which one was used instead; empty
	// when it is the newest or was pinned.
	Fallback string `json:"fallback,omitempty"`
	// Modules are the KVM modules in load order.
	Modules []Module `json:"modules"`
	// Builtin are wanted KVM modules with no file (assumed built in).
	Builtin []string `json:"builtin,omitempty"`
	// Build says how a kernel built from a recipe (build:<name>) was
	// made; nil for the others.
	Build *Build `json:"build,omitempty"`
}

// KVMModules returns the modules that provide /dev/kvm under QEMU TCG for an
// architecture: on x86 only AMD SVM is emulated; arm64 and loongson-3 have
// KVM built in.
func KVMModules(a target.Arch) []string {
	switch a.GOARCH {
	case "amd64":
		return []string{"kvm_amd"}
	case "ppc64le":
		return []string{"kvm_hv"}
	case "riscv64", "s390x":
		return []string{"kvm"}
	}
	return nil
}

var releaseFromImage = regexp.MustCompile(`^(?:vmlinuz|vmlinux|Image|bzImage)-(.+)$`)

// Local describes a kernel given as an image file and an optional modules
// directory (searched recursively for the KVM modules and their
// dependencies).
func Local(ctx context.Context, a target.Arch, image, modulesDir string) (*Kernel, error) {
	return LocalModules(ctx, a, image, modulesDir, nil)
}

// LocalModules is Local with the KVM modules to look for (nil: the
// architecture's KVMModules).
func LocalModules(ctx context.Context, a target.Arch, image, modulesDir string, wanted []string) (*Kernel, error) {
	st, err := os.Stat(image)
	if err != nil {
		return nil, fmt.Errorf("kernel image: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("kernel image %s is not a regular file", image)
	}
	abs, err := filepath.Abs(image)
	if err != nil {
		return nil, fmt.Errorf("kernel image: %w", err)
	}
	k := &Kernel{Label: sanitize(filepath.Base(image)), Spec: image, Arch: a.GOARCH, Image: abs}
	if m := releaseFromImage.FindStringSubmatch(filepath.Base(image)); m != nil {
		k.Release = m[1]
	}
	if wanted == nil {
		wanted = KVMModules(a)
	}
	if modulesDir == "" {
		k.Builtin = wanted
		return k, nil
	}
	if st, err := os.Stat(modulesDir); err != nil || !st.IsDir() {
		if err == nil {
			err = fmt.Errorf("not a directory")
		}
		return nil, fmt.Errorf("modules directory %s: %w", modulesDir, err)
	}
	k.Modules, k.Builtin, err = Resolve(ctx, modulesDir, wanted)
	if err != nil {
		return nil, err
	}
	return k, nil
}

// sanitize makes s usable as a path element.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == '+':
			return r
		}
		return '-'
	}, s)
}

// findImage returns the kernel image in an unpacked linux-image package and
// the kernel release its name carries.
func findImage(root string) (string, string, error) {
	for _, pat := range []string{"boot/vmlinuz-*", "boot/vmlinux-*"} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		for _, p := range m {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				rel := strings.SplitN(filepath.Base(p), "-", 2)[1]
				return p, rel, nil
			}
		}
	}
	return "", "", fmt.Errorf("no boot/vmlinuz-* or boot/vmlinux-* in %s", root)
}

// findModulesDir returns lib/modules/<release> (or usr/lib/modules/...).
func findModulesDir(root, release string) (string, error) {
	for _, d := range []string{"lib/modules", "usr/lib/modules"} {
		p := filepath.Join(root, d, release)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no lib/modules/%s in %s", release, root)
}
