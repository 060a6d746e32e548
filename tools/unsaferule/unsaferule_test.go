package unsaferule

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestModule is the check: no file of kvmconform converts a pointer to a
// uintptr outside a syscall's argument list without saying why it may.
func TestModule(t *testing.T) {
	found, err := CheckDir("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Error(f)
	}
}

// TestPlanted shows that the check catches each form of the pattern and
// leaves the allowed ones alone.
func TestPlanted(t *testing.T) {
	const src = `package p

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

func ioctlPtr(fd int, req uintptr, arg unsafe.Pointer) {
	a := uintptr(arg) // bad: a parameter converted before the call
	unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, a)
}

func good(fd int, req uintptr, arg unsafe.Pointer, v *uint64) {
	unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	unix.Syscall6(unix.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(v)), 0, 0, 0)
	_ = uint64(uintptr(unsafe.Pointer(v))) //kvmconform:pinned
}

func stored(v *uint64) uint64 {
	return uint64(uintptr(unsafe.Pointer(v))) // bad: an integer address in a struct
}

func local(v *uint64) {
	p := unsafe.Pointer(v)
	x := uintptr(p) // bad: a local unsafe.Pointer
	_ = x
}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "planted.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	found := CheckFile(fset, f)
	var lines []int
	for _, fd := range found {
		lines = append(lines, fd.Pos.Line)
		if !strings.Contains(fd.String(), "outside a syscall's argument list") {
			t.Errorf("message: %s", fd)
		}
	}
	want := []int{10, 21, 26}
	if len(lines) != len(want) {
		t.Fatalf("findings on lines %v, want %v: %v", lines, want, found)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Fatalf("findings on lines %v, want %v", lines, want)
		}
	}
}
