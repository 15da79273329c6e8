package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// BenchmarkAdminOverview is what the admin's overview tab reads (totals per
// asset, 30 days of flows, the unmatched list) on a service with 200,000
// deposits over 90 days, 2,000 of them unmatched.
func BenchmarkAdminOverview(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "tonpay.db")
	db := storetest.OpenWith(b, storetest.Config{Path: path, Assets: []store.Asset{store.TON}})
	raw, err := rawOpen(b, path)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	const n = 200_000
	now := time.Now().UnixMilli()
	span := int64(90 * 24 * time.Hour / time.Millisecond)
	ins, err := tx.Prepare(`INSERT INTO chain_events(account, lt, hash, utime, kind, asset, amount, created_at) VALUES ('0:hot', ?, ?, ?, ?, '` + store.TON.Symbol + `', ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		kind := store.KindCredited
		if i%100 == 0 {
			kind = store.KindUnmatched
		}
		at := now - span + span*int64(i)/n
		if _, err := ins.Exec(i+1, fmt.Sprintf("%064x", i+1), at, kind, 1_000_000_000+i, at); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.Run("totals", func(b *testing.B) {
		for range b.N {
			if _, err := db.Overview(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("30-days", func(b *testing.B) {
		for range b.N {
			if _, err := db.DailyFlows(ctx, 30); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unmatched", func(b *testing.B) {
		for range b.N {
			if _, err := db.UnmatchedDeposits(ctx, time.Now().Add(-30*24*time.Hour), 200); err != nil {
				b.Fatal(err)
			}
		}
	})
}
