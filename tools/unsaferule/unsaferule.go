// Package unsaferule checks kvmconform's Go sources for the one unsafe.Pointer
// pattern that has already cost a lost KVM_GET_ONE_REG write: a pointer that
// becomes a uintptr anywhere but inside the argument list of a system call.
//
// Go's rule 4 for unsafe.Pointer keeps the memory alive and in place only
// while the conversion is written in the syscall call expression itself
// (unix.Syscall(SYS_IOCTL, fd, req, uintptr(p))). Converted earlier, the
// integer hides the pointer from the compiler: a stack value can move (a
// stack shrink while the caller waits for the vCPU thread) or die before
// the kernel writes it. An address that must travel as an integer inside a
// struct (kvm_one_reg.addr, kvm_userspace_memory_region.userspace_addr)
// is allowed only on a line that says why it cannot move:
// `//kvmconform:pinned` (a runtime.Pinner holds it) or `//kvmconform:mmap`
// (memory from mmap, which Go never moves or frees).
//
// Its test checks the whole module, so `go test ./...` catches a regression.
package unsaferule

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
)

// Finding is one conversion that breaks the rule.
type Finding struct {
	Pos  token.Position
	Expr string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s converts a pointer to uintptr outside a syscall's argument list (convert inside the unix.Syscall call, or pin it and mark the line //kvmconform:pinned)", f.Pos, f.Expr)
}

// syscalls are the functions whose argument lists may hold the conversion
// (they are implemented in assembly and marked //go:uintptrkeepalive).
var syscalls = map[string]bool{
	"Syscall": true, "Syscall6": true, "RawSyscall": true, "RawSyscall6": true,
	"SyscallNoError": true, "RawSyscallNoError": true,
}

// allowMarks are the line comments that justify an integer address.
var allowMarks = []string{"//kvmconform:pinned", "//kvmconform:mmap"}

// CheckDir checks every .go file below dir, except generated ones.
func CheckDir(dir string) ([]Finding, error) {
	var out []Finding
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != dir && (strings.HasPrefix(n, ".") || n == "testdata" || n == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasPrefix(d.Name(), "zuapi_") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		out = append(out, CheckFile(fset, f)...)
		return nil
	})
	return out, err
}

// CheckFile checks one parsed file.
func CheckFile(fset *token.FileSet, f *ast.File) []Finding {
	allowed := map[int]bool{}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			for _, m := range allowMarks {
				if strings.HasPrefix(c.Text, m) {
					allowed[fset.Position(c.Slash).Line] = true
				}
			}
		}
	}
	var out []Finding
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		ptrs := pointerVars(fn)
		inSyscall := map[ast.Expr]bool{}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if syscalls[funcName(call.Fun)] {
				for _, a := range call.Args {
					inSyscall[a] = true
				}
				return true
			}
			if !isUintptrConv(call) || inSyscall[call] || !isPointer(call.Args[0], ptrs) {
				return true
			}
			pos := fset.Position(call.Pos())
			if !allowed[pos.Line] {
				out = append(out, Finding{Pos: pos, Expr: exprString(fset, call)})
			}
			return true
		})
	}
	return out
}

// pointerVars names the parameters and variables of fn declared with type
// unsafe.Pointer.
func pointerVars(fn *ast.FuncDecl) map[string]bool {
	names := map[string]bool{}
	add := func(fields *ast.FieldList) {
		if fields == nil {
			return
		}
		for _, fld := range fields.List {
			if isUnsafePointerType(fld.Type) {
				for _, n := range fld.Names {
					names[n.Name] = true
				}
			}
		}
	}
	add(fn.Type.Params)
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.ValueSpec:
			if isUnsafePointerType(s.Type) {
				for _, id := range s.Names {
					names[id.Name] = true
				}
			}
			for i, v := range s.Values {
				if isUnsafePointerConv(v) && i < len(s.Names) {
					names[s.Names[i].Name] = true
				}
			}
		case *ast.AssignStmt:
			for i, v := range s.Rhs {
				if id, ok := s.Lhs[min(i, len(s.Lhs)-1)].(*ast.Ident); ok && isUnsafePointerConv(v) {
					names[id.Name] = true
				}
			}
		}
		return true
	})
	return names
}

func isUnsafePointerType(e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "unsafe" && sel.Sel.Name == "Pointer"
}

func isUnsafePointerConv(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	return ok && len(call.Args) == 1 && isUnsafePointerType(call.Fun)
}

func isUintptrConv(call *ast.CallExpr) bool {
	id, ok := call.Fun.(*ast.Ident)
	return ok && id.Name == "uintptr" && len(call.Args) == 1
}

// isPointer reports whether e is an unsafe.Pointer: a conversion to it, or
// a variable declared as one.
func isPointer(e ast.Expr, ptrs map[string]bool) bool {
	if p, ok := e.(*ast.ParenExpr); ok {
		return isPointer(p.X, ptrs)
	}
	if isUnsafePointerConv(e) {
		return true
	}
	id, ok := e.(*ast.Ident)
	return ok && ptrs[id.Name]
}

func funcName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	if err := printer.Fprint(&b, fset, e); err != nil {
		return fmt.Sprintf("%T", e)
	}
	return b.String()
}
