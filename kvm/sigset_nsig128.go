//go:build mips64 || mips64le

package kvm

const kernelNSIG = 128
