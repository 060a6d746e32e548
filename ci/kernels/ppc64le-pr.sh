#!/usr/bin/env bash
# The recipe of the ppc64le kernel with Book3S PR KVM (kvm-pr.ko), which no
# Debian kernel ships (see docs/implementations.md): Debian's linux-source
# tarball, allnoconfig with ppc64le-pr.config as its fixed values, the
# powerpc64le cross compiler. The runner (ci/internal/kernel, Builder) runs
# it for --kernel build:ppc64le-pr with its build inputs installed, and
# caches OUT under a key that hashes this file and the config;
# scripts/build-pr-kernel goes through the runner too.
#
#   ppc64le-pr.sh TARBALL CONFIG WORK OUT [--config-only]
#
# unpacks TARBALL into the empty directory WORK and builds there; writes
# OUT/config-<release>, and unless --config-only OUT/vmlinux-<release> and
# OUT/modules/*.ko (arch/powerpc/kvm). Fails if an option the guest needs
# is not in the config.
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 TARBALL CONFIG WORK OUT [--config-only]" >&2; exit 2; }
tarball=$1 config=$2 work=$3 out=$4 config_only=${5:-}

# Not unpacked (two thirds of the tarball's 1.3 GB, which would be written
# to disk and removed again): sources a powerpc build with this config
# never reads, in few patterns (tar tries each on every member). Every
# Kconfig and Makefile stays: Kconfig parses the whole tree
# (Documentation/Kconfig, samples/Kconfig, every driver's, and
# drivers/ras/Kconfig sources arch/x86/ras/Kconfig), and make descends
# into drivers/gpu and drivers/net even with nothing in them enabled.
excludes=(
	'*/Documentation/*/*' '*/tools/perf' '*/tools/testing'
	'*/drivers/gpu/*.[ch]' '*/drivers/net/*.[ch]' '*/drivers/media/*.[ch]' '*/drivers/staging/*.[ch]'
	'*/drivers/scsi/*.[ch]' '*/drivers/infiniband/*.[ch]' '*/sound/*.[ch]'
	'*/arch/[!p]*/*.[chS]' '*/arch/[!p]*/*.dts*' '*/arch/parisc/*.[chS]'
)
echo "unpacking $tarball"
tar -xJf "$tarball" -C "$work" "${excludes[@]/#/--exclude=}"
echo "unpacked in ${SECONDS}s"
srcs=("$work"/linux-source-*/)
[ ${#srcs[@]} -eq 1 ] && [ -d "${srcs[0]}" ] || { echo "ppc64le-pr.sh: want one linux-source-* directory in $tarball" >&2; exit 1; }
src=${srcs[0]%/}
build=$work/build
kmake() { make -C "$src" O="$build" ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu- "$@"; }

# allnoconfig with the fragment's values fixed (KCONFIG_ALLCONFIG): every
# option the fragment does not name is off where Kconfig lets it be,
# also those that only become visible with the fragment's (PPC_POWERNV
# with PPC_PSERIES, NUMA, BLOCK with EXPERT), which allnoconfig followed
# by a merge and olddefconfig would set to their defaults.
kmake -s KCONFIG_ALLCONFIG="$config" allnoconfig
for opt in CONFIG_KVM_BOOK3S_64_PR=m CONFIG_VSX=y CONFIG_PPC_OF_BOOT_TRAMPOLINE=y \
	CONFIG_PPC_PSERIES=y CONFIG_HVC_CONSOLE=y CONFIG_BLK_DEV_INITRD=y CONFIG_DEVTMPFS=y CONFIG_TMPFS=y \
	CONFIG_PROC_SYSCTL=y CONFIG_MODULE_UNLOAD=y CONFIG_FUTEX=y CONFIG_EPOLL=y; do
	grep -qx "$opt" "$build/.config" || { echo "ppc64le-pr.sh: $opt is not in the config allnoconfig made" >&2; exit 1; }
done
configured=$SECONDS
rel=$(kmake -s kernelrelease)
mkdir -p "$out/modules"
cp "$build/.config" "$out/config-$rel"
echo "configured $rel at ${configured}s"
if [ "$config_only" = --config-only ]; then
	exit 0
fi
# vmlinux and the modules, which are only KVM's (kvm.ko, kvm-pr.ko).
kmake -j"$(nproc)" vmlinux modules
cp "$build/vmlinux" "$out/vmlinux-$rel"
cp "$build"/arch/powerpc/kvm/*.ko "$out/modules/"
echo "built $out/vmlinux-$rel at ${SECONDS}s"
