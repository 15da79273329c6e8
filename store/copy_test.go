package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// TestCopyToPostgres: a SQLite database with users, a merchant, deposits,
// an invoice, withdrawals, outbox events and the audit log is copied into
// an empty PostgreSQL database: every row, every balance, the ledger's
// invariants; the copy then takes new writes (its ids continue after the
// copied ones), and a second copy into the now full database is refused.
func TestCopyToPostgres(t *testing.T) {
	if !storetest.OnPostgres() {
		storetest.PostgresURL(t)
		t.Skip("runs in the PostgreSQL run of the store's tests")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tonpay.db")
	src, err := store.Open(ctx, path) // SQLite, whatever the run
	if err != nil {
		t.Fatal(err)
	}
	if err := src.SyncAssets(ctx, storetest.Assets()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 2} {
		if _, err := src.UpsertUser(ctx, store.User{ID: id, Username: "u"}); err != nil {
			t.Fatal(err)
		}
		if _, err := src.Post(ctx, deposit("dep-"+string(rune('0'+id)), store.UserAccount(id), store.TON.Symbol, store.Amount(5_000_000_000*id))); err != nil {
			t.Fatal(err)
		}
	}
	m, _, err := src.CreateMerchant(ctx, "shop", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 1_500_000_000, TTL: time.Hour, ExternalID: "order-1"}); err != nil {
		t.Fatal(err)
	}
	w, _, err := src.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 1, IdemKey: "w1", Asset: store.TON.Symbol, Amount: 1_000_000_000,
		Fee: 10_000_000, FeeAsset: store.TON.Symbol, Destination: payTo})
	if err != nil {
		t.Fatal(err)
	}
	src.Close()

	dst := storetest.Schema(t)
	rep, err := store.CopyToPostgres(ctx, path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows["users"] != 2 || rep.Rows["withdrawals"] != 1 || rep.Rows["invoices"] != 1 || rep.Transfers != 3 || rep.Balances == 0 {
		t.Fatalf("report %+v", rep)
	}
	db, err := store.Open(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.Audit(t, db)
	if b, _ := db.Balance(ctx, store.UserAccount(1), store.TON.Symbol); b != 5_000_000_000-1_010_000_000 {
		t.Fatalf("user 1's balance in the copy: %d", b)
	}
	if got, err := db.Withdrawal(ctx, w.ID); err != nil || got.IdemKey != "w1" || got.Status != w.Status {
		t.Fatalf("the withdrawal in the copy: %+v %v", got, err)
	}
	// New rows take ids after the copied ones.
	w2, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 2, IdemKey: "w2", Asset: store.TON.Symbol, Amount: 1_000_000_000,
		Fee: 10_000_000, FeeAsset: store.TON.Symbol, Destination: payTo})
	if err != nil || w2.ID <= w.ID {
		t.Fatalf("a new withdrawal in the copy: %+v %v", w2, err)
	}
	storetest.Audit(t, db)
	if _, err := store.CopyToPostgres(ctx, path, dst); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a copy into a database that is not empty: %v", err)
	}
}

// Every table of the schema is one CopyToPostgres copies.
func TestCopyToPostgresCoversEveryTable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tonpay.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := store.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	copied := store.CopiedTables()
	slices.Sort(copied)
	if !slices.Equal(tables, copied) {
		t.Fatalf("tables %v\ncopied %v", tables, copied)
	}
}
