package kernel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kvmconform/kvmconform/ci/internal/target"
)

// prArchive is fakeArchive whose packages also ship kvm-pr.ko.
type prArchive struct{ *fakeArchive }

func (p prArchive) fetch(ctx context.Context, pkg Package, work, root string) error {
	if err := p.fakeArchive.fetch(ctx, pkg, work, root); err != nil {
		return err
	}
	krel := strings.TrimSuffix(strings.TrimPrefix(pkg.Name, "linux-image-"), "-unsigned")
	return os.WriteFile(filepath.Join(root, "lib/modules", krel, "kernel/arch/powerpc/kvm", "kvm-pr.ko"),
		elfWithModinfo("depends=kvm", "name=kvm_pr"), 0o644)
}

func moduleNames(k *Kernel) string {
	var names []string
	for _, m := range k.Modules {
		names = append(names, m.Name)
	}
	return strings.Join(names, ",")
}

// TestFetchVariantModules: a Debian with Modules extracts those modules
// into a cache directory of its own, so the default kernel of the same
// package stays as it is, and each finds its own in the cache.
func TestFetchVariantModules(t *testing.T) {
	cache := t.TempDir()
	f := trixiePPC(t)
	ppc := arch(t, "ppc64le")
	fetch := func(modules []string) *Kernel {
		t.Helper()
		d, _, _ := debianWith(t, cache, nil)
		d.open = func(target.Arch, string) (archive, error) { return prArchive{f}, nil }
		d.Modules = modules
		k, err := d.Fetch(t.Context(), ppc, "trixie", "")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	def := fetch(nil)
	pr := fetch([]string{"kvm_pr"})
	if moduleNames(def) != "kvm,kvm_hv" || moduleNames(pr) != "kvm,kvm_pr" {
		t.Fatalf("modules: default %s, kvm_pr variant %s", moduleNames(def), moduleNames(pr))
	}
	if filepath.Base(filepath.Dir(def.Image)) != img117+"_6.12.117-1" || filepath.Base(filepath.Dir(pr.Image)) != img117+"_6.12.117-1+kvm_pr" {
		t.Errorf("cache directories %s, %s", filepath.Dir(def.Image), filepath.Dir(pr.Image))
	}
	if n := f.count(img117 + "=6.12.117-1"); n != 2 {
		t.Errorf("fetched %d times, want once for each module set", n)
	}
	// Both are cached now: neither run downloads again or takes the
	// other's directory.
	if k := fetch([]string{"kvm_pr"}); moduleNames(k) != "kvm,kvm_pr" {
		t.Errorf("cached kvm_pr variant: %s", moduleNames(k))
	}
	if k := fetch(nil); moduleNames(k) != "kvm,kvm_hv" {
		t.Errorf("cached default: %s", moduleNames(k))
	}
	if k, err := Cached(cache, ppc, "trixie"); err != nil || moduleNames(k) != "kvm,kvm_hv" {
		t.Errorf("Cached: %v %v", k, err)
	}
	if n := f.count(img117 + "=6.12.117-1"); n != 2 {
		t.Errorf("fetched %d times after the cached runs, want 2", n)
	}
}

func TestCacheDir(t *testing.T) {
	pkg := Package{Name: "linux-image-6.1.0-57-powerpc64le", Version: "1:6.1.192-3"}
	if got := cacheDir(pkg, []string{"kvm_hv"}, []string{"kvm_hv"}); got != "linux-image-6.1.0-57-powerpc64le_1%3a6.1.192-3" {
		t.Errorf("default: %s", got)
	}
	if got := cacheDir(pkg, []string{"kvm_pr"}, []string{"kvm_hv"}); got != "linux-image-6.1.0-57-powerpc64le_1%3a6.1.192-3+kvm_pr" {
		t.Errorf("variant: %s", got)
	}
}
