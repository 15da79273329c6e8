package store_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// TestReplayedKeyWithOtherLegsConflicts: a key posted again with the same
// kind and legs is the duplicate it always was (the first id, nothing
// moves); with another amount, account or kind it is a *KeyConflictError
// naming the key, and nothing moves either.
func TestReplayedKeyWithOtherLegsConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	alice, bob := store.UserAccount(1), store.UserAccount(2)
	first := deposit("k", alice, store.TON.Symbol, 10)
	id, err := db.Post(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	// The same legs in another order are the same transfer.
	same := first
	same.Postings = []store.Posting{first.Postings[1], first.Postings[0]}
	if id2, err := db.Post(ctx, same); !errors.Is(err, store.ErrDuplicate) || id2 != id {
		t.Fatalf("identical replay = %d, %v; want %d, ErrDuplicate", id2, err, id)
	}
	otherKind := deposit("k", alice, store.TON.Symbol, 10)
	otherKind.Kind = store.TransferAdjustment
	for name, tr := range map[string]store.Transfer{
		"other amount":  deposit("k", alice, store.TON.Symbol, 11),
		"other account": deposit("k", bob, store.TON.Symbol, 10),
		"other asset":   deposit("k", alice, "USDT", 10),
		"other kind":    otherKind,
	} {
		id2, err := db.Post(ctx, tr)
		var kc *store.KeyConflictError
		if !errors.As(err, &kc) || kc.Key != "k" || !errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrDuplicate) || id2 != 0 {
			t.Errorf("%s: replay = %d, %v; want a KeyConflictError for key k", name, id2, err)
		}
	}
	if b, _ := db.Balance(ctx, alice, store.TON.Symbol); b != 10 {
		t.Fatalf("alice holds %d, want 10", b)
	}
	if b, _ := db.Balance(ctx, bob, store.TON.Symbol); b != 0 {
		t.Fatalf("bob holds %d, want 0", b)
	}
	storetest.Audit(t, db)
}

// TestChainTransferKinds: every chain event kind has its booking kind, one
// outside the set has none, and the faces show every chain booking as
// "chain" as they always did.
func TestChainTransferKinds(t *testing.T) {
	t.Parallel()
	k, ok := store.ChainTransferKind(store.KindCredited)
	if !ok || k != "chain_credited" || k.Shown() != "chain" {
		t.Fatalf("credited: %q %v, shown %q", k, ok, k.Shown())
	}
	if ev, ok := k.Chain(); !ok || ev != store.KindCredited {
		t.Fatalf("chain_credited.Chain() = %q, %v", ev, ok)
	}
	if _, ok := store.ChainTransferKind("made_up"); ok {
		t.Fatal("a kind outside the set has a booking kind")
	}
	if store.TransferRefund.Shown() != "refund" {
		t.Fatalf("refund shown as %q", store.TransferRefund.Shown())
	}
}

// TestUnknownKindIsRefused: a kind outside the closed set (a string
// converts to TransferKind) is ErrInvalid and moves nothing; every kind of
// the set, chain ones included, is known.
func TestUnknownKindIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	alice := store.UserAccount(1)
	for _, kind := range []store.TransferKind{"spend", "chain", "chain_made_up", "Deposit", ""} {
		tr := deposit("k-"+string(kind), alice, store.TON.Symbol, 10)
		tr.Kind = kind
		if id, err := db.Post(ctx, tr); !errors.Is(err, store.ErrInvalid) || id != 0 {
			t.Errorf("kind %q posted: %d, %v; want ErrInvalid", kind, id, err)
		}
	}
	if b, _ := db.Balance(ctx, alice, store.TON.Symbol); b != 0 {
		t.Fatalf("alice holds %d after refused kinds, want 0", b)
	}
	credited, _ := store.ChainTransferKind(store.KindCredited)
	for _, kind := range []store.TransferKind{store.TransferDeposit, store.TransferAdjustment, store.TransferStarsRefund, credited} {
		if !kind.Known() {
			t.Errorf("kind %q is not known", kind)
		}
	}
	storetest.Audit(t, db)
}

// TestUpgradeRewritesChainKinds: the previous version's chain bookings (kind
// "chain", the event's kind in the description) read with their real kind
// after the upgrade; amounts and the ledger's invariants are untouched and
// transfers are append-only again.
func TestUpgradeRewritesChainKinds(t *testing.T) {
	storetest.SQLiteOnly(t, "upgrades a SQLite database made by an earlier version")
	ctx := context.Background()
	path := loadOld(t)
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h, err := db.History(ctx, store.UserAccount(1001), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []store.TransferKind
	for _, e := range h {
		kinds = append(kinds, e.Kind)
		if e.Kind == "chain" {
			t.Fatalf("an entry still of kind chain: %+v", e)
		}
	}
	if !slices.Contains(kinds, "chain_credited") {
		t.Fatalf("user 1001's history kinds: %v", kinds)
	}
	storetest.Audit(t, db)
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	raw.QueryRow(`SELECT count(*) FROM transfers WHERE kind = 'chain'`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d transfers still of kind chain", n)
	}
	if _, err := raw.Exec(`UPDATE transfers SET kind = kind WHERE id = 1`); err == nil {
		t.Fatal("transfers are no longer append-only after the upgrade")
	}
}

// TestPostOnlyThroughBuilders: code writes the ledger through Tx.book (and
// DB.Post for tools and tests) only; no other store code calls tx.post.
func TestPostOnlyThroughBuilders(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var sites []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "post" {
						sites = append(sites, path+":"+fn.Name.Name)
					}
				}
				return true
			})
		}
	}
	slices.Sort(sites)
	if want := []string{"ledger.go:Post", "transfer.go:book"}; !slices.Equal(sites, want) {
		t.Fatalf("tx.post is called from %v; only %v may", sites, want)
	}
}
