package ton_test

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xssnick/tonutils-go/tlb"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
)

// svc is the chain side of one service as serve runs it: the follower and
// the payer that acts on the blocks it finished.
type svc struct {
	*ton.Payer
	f *ton.Follower
}

// svcOpts tunes a svc; the zero value is the tests' usual one.
type svcOpts struct {
	payer    ton.PayerConfig
	maxSkips int
	noJetton bool // follow the hot wallet only
}

// service builds a follower and a payer on db; fp, when set, is the
// failpoint of both.
func (r *rig) service(db *store.DB, fp func(string) error, o svcOpts) *svc {
	r.t.Helper()
	pc := o.payer
	pc.Testnet = true
	if pc.ResendEvery == 0 {
		pc.ResendEvery = 300 * time.Millisecond
	}
	if pc.ExpiryGrace == 0 {
		pc.ExpiryGrace = 500 * time.Millisecond
	}
	if pc.Log == nil {
		pc.Log = quiet()
	}
	pc.Failpoint = fp
	fc := ton.FollowerConfig{Hot: r.hot, Min: map[string]store.Amount{store.TON.Symbol: 1_000_000}, Testnet: true,
		MaxSkips: o.maxSkips, Failpoint: fp, Log: quiet(), Cold: pc.Cold}
	if !o.noJetton {
		fc.Jettons = []store.Asset{{Symbol: "USDT", Decimals: 6, Master: r.usdt.Master().StringRaw()}}
	}
	f := ton.NewFollower(r.client.API, db, fc)
	p, err := ton.NewPayer(r.client.API, db, r.words, f.Heads(), pc)
	must(r.t, err)
	return &svc{Payer: p, f: f}
}

// blocks waits until the chain produced n more blocks (AutoMine running):
// a test that lets something happen, or checks that nothing does, waits on
// blocks rather than the clock.
func (r *rig) blocks(n uint32) {
	r.t.Helper()
	tonrig.Blocks(r.t, r.chain, n)
}

func (r *rig) payer(db *store.DB, fp func(string) error) *svc { return r.service(db, fp, svcOpts{}) }

// Run runs the follower and the payer until ctx ends or one of them fails.
func (s *svc) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- s.f.Run(ctx) }()
	go func() { errs <- s.Payer.Run(ctx) }()
	err := <-errs
	cancel()
	err = errors.Join(err, <-errs)
	if err == nil && ctx.Err() != nil {
		return context.Canceled
	}
	return err
}

// metric reads one of the service's counters or gauges by name.
func (s *svc) metric(name string) float64 {
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Payer.Collectors()...)
	reg.MustRegister(s.f.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		if c := m.GetCounter(); c != nil {
			return c.GetValue()
		}
		return m.GetGauge().GetValue()
	}
	return 0
}

// waitSends waits until the payer sent n externals (or limit passed).
func (s *svc) waitSends(n int, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for s.sends() < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func (s *svc) batches() int { return int(s.metric("tonpay_payer_batches_total")) }
func (s *svc) sends() int   { return int(s.metric("tonpay_payer_sends_total")) }

// networkFees is what the network took from the hot wallet: every
// transaction's total_fees and the fwd_fee of every message it sent.
func (r *rig) networkFees() store.Amount {
	var sum store.Amount
	for _, tx := range r.chain.Transactions(r.hot) {
		sum += store.Amount(tx.TotalFees.Coins.Nano().Int64())
		if tx.IO.Out == nil {
			continue
		}
		msgs, err := tx.IO.Out.ToSlice()
		must(r.t, err)
		for _, m := range msgs {
			if m.MsgType == tlb.MsgTypeInternal {
				sum += store.Amount(m.AsInternal().FwdFee.Nano().Int64())
			}
		}
	}
	return sum
}
