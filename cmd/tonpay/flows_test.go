package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// codeNames is what the module's Go code declares: top-level names per
// package, methods per receiver type, and every function and method name.
type codeNames struct {
	pkgs    map[string]map[string]bool // package name → its top-level names
	methods map[string]map[string]bool // receiver type → its methods
	funcs   map[string]bool            // functions and methods, by name
	files   map[string]bool            // base names of the repository's files
}

func readCodeNames(t *testing.T, root string) codeNames {
	t.Helper()
	n := codeNames{pkgs: map[string]map[string]bool{}, methods: map[string]map[string]bool{}, funcs: map[string]bool{}, files: map[string]bool{}}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "node_modules", ".git", "dist", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		n.files[d.Name()] = true
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		top := n.pkgs[f.Name.Name]
		if top == nil {
			top = map[string]bool{}
			n.pkgs[f.Name.Name] = top
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				n.funcs[d.Name.Name] = true
				if d.Recv == nil {
					top[d.Name.Name] = true
					continue
				}
				typ := d.Recv.List[0].Type
				if s, ok := typ.(*ast.StarExpr); ok {
					typ = s.X
				}
				if ix, ok := typ.(*ast.IndexExpr); ok { // a generic receiver
					typ = ix.X
				}
				if id, ok := typ.(*ast.Ident); ok {
					if n.methods[id.Name] == nil {
						n.methods[id.Name] = map[string]bool{}
					}
					n.methods[id.Name][d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						top[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, id := range s.Names {
							top[id.Name] = true
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var (
	mermaidBlock = regexp.MustCompile("(?s)```mermaid\n(.*?)```")
	calledName   = regexp.MustCompile(`([A-Za-z_][\w.]*)\(\)`)
	participant  = regexp.MustCompile(`(?m)^\s*(?:participant|actor) \w+ as ([a-z]\w*)\.([A-Z]\w*)\s*$`)
	fileName     = regexp.MustCompile(`\b[\w-]+\.(?:go|tsx|ts)\b`)
)

// unknownNames lists the names a diagram uses that the code does not
// declare, and how many names it checked.
func (n codeNames) unknownNames(diagram string) (unknown []string, checked int) {
	for _, m := range calledName.FindAllStringSubmatch(diagram, -1) {
		checked++
		parts := strings.Split(m[1], ".")
		switch {
		case len(parts) == 1:
			if !n.funcs[parts[0]] {
				unknown = append(unknown, m[0])
			}
		case len(parts) == 2 && n.pkgs[parts[0]] != nil:
			if !n.pkgs[parts[0]][parts[1]] {
				unknown = append(unknown, m[0])
			}
		case len(parts) == 2:
			if !n.methods[parts[0]][parts[1]] {
				unknown = append(unknown, m[0])
			}
		default:
			unknown = append(unknown, m[0])
		}
	}
	for _, m := range participant.FindAllStringSubmatch(diagram, -1) {
		checked++
		if !n.pkgs[m[1]][m[2]] {
			unknown = append(unknown, m[1]+"."+m[2])
		}
	}
	for _, f := range fileName.FindAllString(diagram, -1) {
		checked++
		if !n.files[f] {
			unknown = append(unknown, f)
		}
	}
	return unknown, checked
}

// TestFlowDiagramsNameRealCode: the README's flow diagrams name functions,
// methods, types and files that exist, so a rename in the code that leaves
// a diagram behind fails here.
func TestFlowDiagramsNameRealCode(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := readCodeNames(t, root)
	blocks := mermaidBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) < 6 {
		t.Fatalf("README.md has %d Mermaid diagrams, want the six flows", len(blocks))
	}
	total := 0
	for i, b := range blocks {
		unknown, checked := names.unknownNames(b[1])
		total += checked
		if checked == 0 {
			t.Errorf("diagram %d names no code", i+1)
		}
		for _, u := range unknown {
			t.Errorf("diagram %d names %s, which the code does not have", i+1, u)
		}
	}
	if total < 60 {
		t.Errorf("only %d names checked in the diagrams", total)
	}

	// The check itself can fail.
	bad := "sequenceDiagram\n    participant D as store.NoSuchType\n    D->>D: DB.NoSuchMethod(), noSuchFunc(), store.NoSuchFunc(), NoSuchScreen.tsx\n"
	if unknown, _ := names.unknownNames(bad); len(unknown) != 5 {
		t.Errorf("made-up names: %d of 5 caught: %v", len(unknown), unknown)
	}
}
