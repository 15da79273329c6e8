package ton_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
)

// depositAddresses hands out n users' deposit addresses on db.
func depositAddresses(b *testing.B, r *rig, db *store.DB, n int) []*address.Address {
	ctx := context.Background()
	keys, err := ton.NewDepositKeys(r.words, true)
	must(b, err)
	db.SetDepositDeriver(keys.Deriver())
	out := make([]*address.Address, n)
	for i := range n {
		u, err := db.UpsertUser(ctx, store.User{ID: int64(i + 1)})
		must(b, err)
		w, err := db.DepositWallet(ctx, store.UserOwner(u.ID))
		must(b, err)
		out[i], err = address.ParseRawAddr(w.Address)
		must(b, err)
	}
	return out
}

// BenchmarkDepositAddressCatchUp: 10,000 deposit addresses, one deposit
// each made while the follower was stopped; a restarted follower walks the
// blocks since the one it finished and books them all.
func BenchmarkDepositAddressCatchUp(b *testing.B) {
	const n = 10_000
	r := newRig(b)
	db := r.open()
	defer db.Close()
	addrs := depositAddresses(b, r, db, n)
	r.catchUp(r.scanner(db, nil)) // learns the addresses, their USDT wallets; finishes a block
	var elapsed time.Duration
	for i := range b.N {
		pays := make([]tontest.Payment, n)
		for j, a := range addrs {
			pays[j] = tontest.Payment{To: a.Bounce(false), Nano: uint64(10_000_000 + i)}
		}
		r.chain.FundMany(pays)
		s := r.scanner(db, nil)
		start := time.Now()
		r.catchUp(s)
		elapsed += time.Since(start)
	}
	if got := balance(b, db, store.UserAccount(n), store.TON.Symbol); got == 0 {
		b.Fatal("the last address's deposits were not credited")
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "deposits/s")
}

// BenchmarkDepositAddressDetection: with 10,000 deposit addresses followed,
// the time from the block with a deposit to one of them to its credit
// committed, the follower long-polling for blocks as in production.
func BenchmarkDepositAddressDetection(b *testing.B) {
	const n, samples = 10_000, 200
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newRig(b)
	db := r.open()
	defer db.Close()
	addrs := depositAddresses(b, r, db, n)
	s := r.scanner(db, nil)
	r.catchUp(s)
	credited := make(chan struct{}, 1)
	defer db.Subscribe(func(c store.Change) {
		if c.Kind == "balance" && c.UserID != 0 {
			select {
			case credited <- struct{}{}:
			default:
			}
		}
	})()
	go s.Run(ctx)
	for s.Status().Block < r.chain.Head().SeqNo {
		time.Sleep(time.Millisecond)
	}
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		lat = lat[:0]
		for i := range samples {
			start := time.Now()
			r.chain.Fund(addrs[(i*7919)%n].Bounce(false), uint64(10_000_000+i))
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
