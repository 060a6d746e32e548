#!/usr/bin/env bash
# The recipe of the ppc64le kernel with Book3S PR KVM (kvm-pr.ko), which no
# Debian kernel ships (see docs/implementations.md): Debian's linux-source
# tarball, allnoconfig plus ppc64le-pr.config, the powerpc64le cross
# compiler. The runner (ci/internal/kernel, Builder) runs it for --kernel
# build:ppc64le-pr with its build inputs installed, and caches OUT under a
# key that hashes this file and the config; scripts/build-pr-kernel goes
# through the runner too.
#
#   ppc64le-pr.sh TARBALL CONFIG WORK OUT [--config-only]
#
# unpacks TARBALL into the empty directory WORK and builds there; writes
# OUT/config-<release>, and unless --config-only OUT/vmlinux-<release> and
# OUT/modules/*.ko (arch/powerpc/kvm). Fails if an option the guest needs
# did not survive olddefconfig.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 TARBALL CONFIG WORK OUT [--config-only]" >&2; exit 2; }
tarball=$1 config=$2 work=$3 out=$4 config_only=${5:-}

echo "unpacking $tarball"
tar -xJf "$tarball" -C "$work"
srcs=("$work"/linux-source-*/)
[ ${#srcs[@]} -eq 1 ] && [ -d "${srcs[0]}" ] || { echo "ppc64le-pr.sh: want one linux-source-* directory in $tarball" >&2; exit 1; }
src=${srcs[0]%/}
build=$work/build
kmake() { make -C "$src" O="$build" ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu- "$@"; }

kmake -s allnoconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$config" >/dev/null
kmake -s olddefconfig
for opt in CONFIG_KVM_BOOK3S_64_PR=m CONFIG_VSX=y CONFIG_PPC_OF_BOOT_TRAMPOLINE=y; do
	grep -qx "$opt" "$build/.config" || { echo "ppc64le-pr.sh: $opt did not survive olddefconfig" >&2; exit 1; }
done
rel=$(kmake -s kernelrelease)
mkdir -p "$out/modules"
cp "$build/.config" "$out/config-$rel"
echo "configured $rel"
if [ "$config_only" = --config-only ]; then
	exit 0
fi
kmake -j"$(nproc)" vmlinux modules
cp "$build/vmlinux" "$out/vmlinux-$rel"
cp "$build"/arch/powerpc/kvm/*.ko "$out/modules/"
echo "built $out/vmlinux-$rel"
