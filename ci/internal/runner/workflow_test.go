package runner

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestWorkflowMatrix: the GitHub Actions job matrix has one job per row of
// the CI matrix, in order, each uploading the output directory Boot
// writes for it.
func TestWorkflowMatrix(t *testing.T) {
	data, err := os.ReadFile("../../../.github/workflows/matrix.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs struct {
			Row struct {
				Strategy struct {
					Matrix struct {
						Include []struct{ Arch, Kernel, Variant, Row string }
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal(data, &wf); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range wf.Jobs.Row.Strategy.Matrix.Include {
		name, dir := j.Arch, j.Arch
		if j.Kernel != "" {
			name += " " + j.Kernel
			dir += "-" + KernelLabel(j.Kernel)
		}
		if j.Variant != "" {
			name += " " + j.Variant
			dir += "-" + j.Variant
		}
		if j.Row != dir {
			t.Errorf("job %s: row %q, but Boot writes out/qemu/%s", name, j.Row, dir)
		}
		got = append(got, name)
	}
	if want := MatrixEntries(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("workflow jobs %v, want the matrix rows %v", got, want)
	}
}
