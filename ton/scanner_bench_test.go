package ton_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton/tontest"
)

// BenchmarkCatchUp: 10,000 deposits wait in the hot wallet's history; a
// fresh scanner books them all through the real client over loopback.
func BenchmarkCatchUp(b *testing.B) {
	const deposits = 10_000
	ctx := context.Background()
	r := newRig(b)
	var users []store.User
	setup := r.open()
	for i := range 50 {
		u, _ := setup.UpsertUser(ctx, store.User{ID: int64(i + 1)})
		users = append(users, u)
	}
	must(b, setup.Close())
	// On PostgreSQL the store is a schema, not a file to copy: the one run
	// (-benchtime 1x) catches up on it as set up.
	pg := storetest.OnPostgres()
	if pg && b.N > 1 {
		b.Skip("on PostgreSQL: run it with -benchtime 1x")
	}
	var template []byte
	if !pg {
		var err error
		template, err = os.ReadFile(r.dbPath)
		must(b, err)
	}
	senders := make([]*tontest.Wallet, 16)
	for i := range senders {
		senders[i] = r.wallet(100_000)
	}
	for i := range deposits {
		must(b, senders[i%len(senders)].Send(r.hot, uint64(10_000_000+i), users[i%len(users)].Comment, false))
		if i%len(senders) == len(senders)-1 {
			r.chain.Mine()
		}
	}
	r.chain.Mine()

	b.ResetTimer()
	var elapsed time.Duration
	for i := range b.N {
		b.StopTimer()
		// A copy of the database that knows the users and their comments.
		if !pg {
			r.dbPath = filepath.Join(b.TempDir(), fmt.Sprintf("catchup-%d.db", i))
			must(b, os.WriteFile(r.dbPath, template, 0o600))
		}
		db := r.open()
		s := r.scanner(db, nil)
		b.StartTimer()
		start := time.Now()
		r.catchUp(s)
		elapsed += time.Since(start)
		b.StopTimer()
		if n, _ := db.CountChainEvents(ctx); n[store.KindCredited] != deposits {
			b.Fatalf("credited %d of %d", n[store.KindCredited], deposits)
		}
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(deposits*b.N)/elapsed.Seconds(), "deposits/s")
}

// BenchmarkDetection: the time from the fake chain producing a block with a
// deposit to the deposit.credited event committed, with the scanner
// long-polling for blocks as in production.
func BenchmarkDetection(b *testing.B) {
	const samples = 200
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newRig(b)
	db := r.open()
	defer db.Close()
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})
	w := r.wallet(10_000)
	s := r.scanner(db, nil)
	credited := make(chan struct{}, 1)
	defer db.Subscribe(func(c store.Change) {
		if c.Kind == "balance" && c.UserID == u.ID {
			select {
			case credited <- struct{}{}:
			default:
			}
		}
	})()
	go s.Run(ctx)
	// Let the scanner reach the head before measuring.
	for s.Status().Block < r.chain.Head().SeqNo {
		time.Sleep(time.Millisecond)
	}

	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		lat = lat[:0]
		for i := range samples {
			must(b, w.Send(r.hot, uint64(10_000_000+i), u.Comment, false))
			start := time.Now()
			r.chain.Mine()
			select {
			case <-credited:
				lat = append(lat, time.Since(start))
			case <-time.After(10 * time.Second):
				b.Fatalf("deposit %d not credited within 10 s", i)
			}
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
