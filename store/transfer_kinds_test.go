package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"github.com/tonpay/tonpay/store"
)

// Every TransferKind constant in transfer.go is in the closed set the
// ledger accepts: a kind added without it would be refused at its first
// posting.
func TestEveryTransferKindIsKnown(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "transfer.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		vs, ok := node.(*ast.ValueSpec)
		if !ok || vs.Type == nil {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "TransferKind" {
			return true
		}
		for i, v := range vs.Values {
			lit, ok := v.(*ast.BasicLit)
			if !ok {
				continue
			}
			s, _ := strconv.Unquote(lit.Value)
			n++
			if !store.TransferKind(s).Known() {
				t.Errorf("%s (%q) is not in the closed set of kinds", vs.Names[i].Name, s)
			}
		}
		return true
	})
	if n < 10 {
		t.Fatalf("found %d kinds in transfer.go", n)
	}
}
