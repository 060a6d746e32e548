// Package report is what a benchmark run produces, independent of KVM: the
// measurement and implementation names, one Result per pair (nearest-rank
// percentiles, computed exactly as the C reference computes them), the
// shared kick-delay sequence, and the Report with its table of Go/C ratios.
// ci/ and the C reference's tests use it without importing the code under
// test.
package report
