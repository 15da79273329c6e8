package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// The audit log is append-only: SQLite itself refuses to change or delete
// an entry, whoever asks.
func TestAuditLogIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tonpay.db")
	db := storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
	m, _, err := db.AddMerchant(ctx, store.Operator, "Shop", "", []int64{7})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetMerchantOwners(ctx, store.AdminActor(1, "@root"), m.ID, []int64{7, 8}); err != nil {
		t.Fatal(err)
	}
	// Setting the same owners again is no change and no entry.
	if err := db.SetMerchantOwners(ctx, store.AdminActor(1, "@root"), m.ID, []int64{8, 7}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMerchantOwners(ctx, store.Operator, m.ID, []int64{0}); err == nil {
		t.Fatal("owner 0 accepted")
	}
	es, err := db.AuditLog(ctx, store.AuditFilter{MerchantID: m.ID})
	if err != nil || len(es) != 3 {
		t.Fatalf("entries %+v %v", es, err)
	}
	if e := es[0]; e.Action != store.AuditOwners || e.Before != "7" || e.After != "7, 8" || e.Actor != "@root (1)" || e.Role != store.RoleAdmin {
		t.Fatalf("owners entry %+v", e)
	}
	// A token in the webhook URL's query stays out of the log.
	if _, err := db.SetWebhookURL(ctx, store.OwnerActor(7, ""), m.ID, "https://shop.example/hook?token=s3cr3t#x"); err != nil {
		t.Fatal(err)
	}
	if es, _ := db.AuditLog(ctx, store.AuditFilter{MerchantID: m.ID, Limit: 2}); es[1].After != "https://shop.example/hook?…" ||
		strings.Contains(es[0].After+es[1].After+es[1].Before, "s3cr3t") {
		t.Fatalf("webhook URL in the log: %+v", es)
	}
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`UPDATE audit_log SET after = 'nothing happened'`, `DELETE FROM audit_log`} {
		if _, err := raw.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if again, _ := db.AuditLog(ctx, store.AuditFilter{}); len(again) != 5 || again[2].After != "7, 8" {
		t.Fatalf("log changed: %+v", again)
	}
}
