package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
)

// TestEventTypesSpelledOnce: every EventType constant is listed by
// store.Produced under its topic, and no producer (the store, the chain
// layer, the bot) spells an event type as a string where it emits one.
func TestEventTypesSpelledOnce(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "events.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	produced := append(store.Produced(store.TopicBot), store.Produced(store.TopicWebhook)...)
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "EventType" {
				continue
			}
			for i, n := range vs.Names {
				lit := vs.Values[i].(*ast.BasicLit).Value
				if !slices.Contains(produced, store.EventType(strings.Trim(lit, `"`))) {
					t.Errorf("%s (%s) is not listed by store.Produced", n.Name, lit)
				}
			}
		}
	}
	var files []string
	for _, dir := range []string{".", "../ton", "../bot", "../miniapp/...", "../cmd/tonpay"} {
		dir = strings.TrimSuffix(dir, "/...")
		ms, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		sub, _ := filepath.Glob(filepath.Join(dir, "*", "*.go"))
		files = append(files, ms...)
		if dir == "../miniapp" {
			files = append(files, sub...)
		}
	}
	calls := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := c.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "emit" && sel.Sel.Name != "Emit") || len(c.Args) < 3 {
				return true
			}
			calls++
			ast.Inspect(c.Args[2], func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok {
					t.Errorf("%s: an event type spelled as %s: use a store.Event constant", fset.Position(lit.Pos()), lit.Value)
				}
				return true
			})
			return true
		})
	}
	if calls < 10 {
		t.Fatalf("found %d emit calls: the scan missed the producers", calls)
	}
}
