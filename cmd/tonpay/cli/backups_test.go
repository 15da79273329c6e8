package cli

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// TestScheduledBackupsRotate: each scheduled backup is verified and named
// by its time; only the newest BACKUP_KEEP stay; files that are not
// scheduled backups (the copy taken before a migration, a .failed one, the
// operator's own) are never deleted.
func TestScheduledBackupsRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "tonpay.db")
	db := storetest.OpenWith(t, storetest.Config{Path: dbPath, Assets: []store.Asset{store.TON}})
	backupDir := filepath.Join(dir, "backups")
	os.MkdirAll(backupDir, 0o700)
	keepers := []string{"tonpay-schema-0003_invoice_payer-20200101T000000Z.db", "tonpay-20200101T000000Z.db.failed", "mine.db"}
	for _, k := range keepers {
		os.WriteFile(filepath.Join(backupDir, k), []byte("x"), 0o600)
	}

	clock := time.Date(2026, 7, 14, 10, 0, 0, 0, time.UTC)
	b := NewBackups(dbPath, backupDir, time.Hour, 3, slog.New(slog.DiscardHandler))
	b.now = func() time.Time { return clock }
	for i := range 5 {
		if _, err := db.Post(ctx, store.Transfer{Key: "k" + string(rune('a'+i)), Kind: store.TransferAdjustment, Postings: []store.Posting{
			{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -1}, {Account: store.AccountAdjust, Asset: store.TON.Symbol, Amount: 1}}}); err != nil {
			t.Fatal(err)
		}
		b.once(ctx)
		clock = clock.Add(time.Hour)
	}
	var names []string
	for _, f := range b.files() {
		names = append(names, filepath.Base(f.path))
	}
	want := []string{"tonpay-20260714T120000Z.db", "tonpay-20260714T130000Z.db", "tonpay-20260714T140000Z.db"}
	if !slices.Equal(names, want) {
		t.Fatalf("kept %v, want %v", names, want)
	}
	for _, k := range keepers {
		if _, err := os.Stat(filepath.Join(backupDir, k)); err != nil {
			t.Fatalf("rotation deleted %s", k)
		}
	}
	// The newest holds all five transfers.
	r, err := store.VerifyBackup(ctx, filepath.Join(backupDir, want[2]))
	if err != nil || r.Err() != nil || r.Transfers != 5 {
		t.Fatalf("newest backup: %+v %v", r, err)
	}
}
