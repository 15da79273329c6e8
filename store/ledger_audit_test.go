package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// Audit names every broken invariant: entries that do not sum to zero, a
// cached balance that is not the sum of its entries, entries without a
// balance, a user below zero.
func TestAuditFindsEveryBrokenInvariant(t *testing.T) {
	ctx := context.Background()
	path := storetest.Path(t)
	db := storetest.OpenWith(t, storetest.Config{Path: path, NoAudit: true})
	for i, user := range []string{store.UserAccount(1), store.UserAccount(2)} {
		if _, err := db.Post(ctx, deposit("d"+user, user, store.TON.Symbol, store.Amount(10*(i+1)))); err != nil {
			t.Fatal(err)
		}
	}
	if problems, err := db.Audit(ctx); err != nil || len(problems) != 0 {
		t.Fatalf("a clean ledger: %v %v", problems, err)
	}
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`INSERT INTO entries(transfer_id, account_id, asset, amount, created_at)
			SELECT transfer_id, account_id, asset, 7, created_at FROM entries WHERE account_id = (SELECT id FROM accounts WHERE name = 'user:1')`,
		`UPDATE balances SET nonneg = 0, balance = -3 WHERE account_id = (SELECT id FROM accounts WHERE name = 'user:2')`,
		`DELETE FROM balances WHERE account_id = (SELECT id FROM accounts WHERE name = 'chain:hot')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	problems, err := db.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"entries of GRAM sum to 7",
		"user:1 GRAM: cached 10, entries 17",
		"user:2 GRAM: cached -3, entries 20",
		"chain:hot GRAM has entries but no balance",
		"user:2 GRAM is negative: -3",
	}
	if !slices.Equal(problems, want) {
		t.Fatalf("problems\n%q\nwant\n%q", problems, want)
	}
}
