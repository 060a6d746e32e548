package kernel

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/kvmconform/kvmconform/ci/kernels"
)

// BuildPrefix starts a --kernel value that names a recipe: build:<name>.
const BuildPrefix = "build:"

// Recipe is a guest kernel the runner builds from source, for what no
// Debian kernel can run (Book3S PR: Debian's ppc64el kernels ship no
// kvm-pr.ko). Its files are ci/kernels/<Name>.config, the fragment merged
// into allnoconfig, and ci/kernels/<Name>.sh, the build script (compiled
// into the runner: package kernels); --kernel build:<Name> asks for it.
type Recipe struct {
	// Name is the recipe's name (build:<Name>, ci/kernels/<Name>.*).
	Name string
	// GOARCH is the architecture it is built for.
	GOARCH string
	// What names the kernel in messages ("the ppc64le kvm-pr kernel").
	What string
	// Source is the Debian package that ships the source tarball
	// Tarball; its version is part of the cache key.
	Source, Tarball string
	// Packages are the Debian packages the build needs (Source among
	// them): the build inputs, installed with scripts/deps --only when
	// one is missing.
	Packages []string
	// About is how long one build takes on the 2-CPU development
	// machine (2m51s measured with the source unpacked, up to 4m54s
	// while other work ran there), for the line that says a build
	// starts.
	About string
	// Config and Script are the contents of <Name>.config and <Name>.sh.
	Config, Script []byte
}

// recipes are the kernels the runner can build.
var recipes = []Recipe{{
	Name: "ppc64le-pr", GOARCH: "ppc64le", What: "the ppc64le kvm-pr kernel",
	Source: "linux-source-6.1", Tarball: "/usr/src/linux-source-6.1.tar.xz",
	Packages: []string{"linux-source-6.1", "gcc-powerpc64le-linux-gnu", "gcc", "libc6-dev", "make",
		"flex", "bison", "bc", "libelf-dev", "libssl-dev", "xz-utils"},
	About: "about 3 to 5 minutes",
}}

func init() {
	for i := range recipes {
		r := &recipes[i]
		r.Config = mustRead(r.Name + ".config")
		r.Script = mustRead(r.Name + ".sh")
	}
}

func mustRead(name string) []byte {
	data, err := fs.ReadFile(kernels.FS, name)
	if err != nil {
		panic("ci/kernels: " + err.Error())
	}
	return data
}

// Recipes returns every recipe.
func Recipes() []Recipe { return slices.Clone(recipes) }

// ConfigFile and ScriptFile are the recipe's files in the source tree.
func (r Recipe) ConfigFile() string { return "ci/kernels/" + r.Name + ".config" }

// ScriptFile is the recipe's build script in the source tree.
func (r Recipe) ScriptFile() string { return "ci/kernels/" + r.Name + ".sh" }

// Label names the recipe's kernel in output paths: build-<name>.
func (r Recipe) Label() string { return "build-" + r.Name }

// Spec is the --kernel value that asks for the recipe.
func (r Recipe) Spec() string { return BuildPrefix + r.Name }

// ParseBuildSpec parses a --kernel value. ok is false when it does not
// start with "build:"; err says what is wrong with one that does.
func ParseBuildSpec(s string) (r Recipe, ok bool, err error) {
	name, ok := strings.CutPrefix(s, BuildPrefix)
	if !ok {
		return Recipe{}, false, nil
	}
	var names []string
	for _, r := range recipes {
		if r.Name == name {
			return r, true, nil
		}
		names = append(names, BuildPrefix+r.Name)
	}
	return Recipe{}, true, fmt.Errorf("no kernel recipe %q: want %s (ci/kernels)", name, strings.Join(names, ", "))
}

// keyVersion changes when the way Key is computed, or what a cached build
// holds, changes.
const keyVersion = "kvmconform kernel build 1"

// Key is the cache key of a build from the recipe with the source package
// at sourceVersion: a SHA-256 over everything that determines the result,
// the source package and its version, the tarball, the config fragment and
// the build script.
func (r Recipe) Key(sourceVersion string) string {
	cfg, script := sha256.Sum256(r.Config), sha256.Sum256(r.Script)
	h := sha256.New()
	fmt.Fprintf(h, "%s\nrecipe %s\ngoarch %s\nsource %s %s\ntarball %s\nconfig %x\nscript %x\n",
		keyVersion, r.Name, r.GOARCH, r.Source, sourceVersion, r.Tarball, cfg, script)
	return hex.EncodeToString(h.Sum(nil))
}
