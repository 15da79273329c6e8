package ton_test

import (
	"context"
	"errors"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/liteclient"
	"github.com/xssnick/tonutils-go/tl"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
)

// Each test here is one way the books once drifted from the chain; the
// fake chain charges mainnet's fee split and storage fees, so the ledger
// must equal it to the nanoton (checkHot) and reconciliation must agree.

// run starts a service (follower and payer) until the test ends.
func (r *rig) run(s *svc) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	r.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			r.t.Errorf("service: %v", err)
		}
	})
}

// settle stops block production and lets the follower book up to the head.
func (r *rig) settle(db *store.DB) {
	r.t.Helper()
	r.blocks(3) // messages in flight land
	r.chain.AutoMine(0)
	r.chain.Mine()
	r.catchUp(r.scanner(db, nil))
}

func withdrawalOf(t *testing.T, db *store.DB, id int64) store.Withdrawal {
	t.Helper()
	w, err := db.Withdrawal(context.Background(), id)
	must(t, err)
	return w
}

// depositJettons has a real wallet send USDT to the user's personal
// comment, and TON for the withdrawal fee.
func (r *rig) depositJettons(db *store.DB, uid int64, usdt int64, tonAmt uint64) *tontest.Wallet {
	r.t.Helper()
	u, err := db.UpsertUser(context.Background(), store.User{ID: uid})
	must(r.t, err)
	w := r.wallet(100)
	r.usdt.Mint(w.Address(), big.NewInt(usdt))
	must(r.t, w.SendJetton(r.usdt, r.hot, big.NewInt(usdt), 1, u.Comment))
	must(r.t, w.Send(r.hot, tonAmt, u.Comment, false))
	return w
}

// 1. A jetton payout the destination's jetton wallet refuses bounces back to
// our jetton wallet, which adds the jettons back: the withdrawal is refunded
// (never "confirmed"), and the returned jettons are booked.
func TestJettonPayoutRefusedByTheDestination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	r.depositJettons(db, 7, 30_000_000, 2*tonUnit)
	dest := r.wallet(1)
	r.usdt.Lock(dest.Address(), true)
	s := r.payer(db, nil)
	r.run(s)
	waitFor(t, 20*time.Second, "deposits", func() bool { return balance(t, db, store.UserAccount(7), "USDT") == 30_000_000 })

	w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 7, IdemKey: "locked", Asset: "USDT", Amount: 12_000_000,
		Fee: 50_000_000, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(dest.Address(), true)})
	must(t, err)
	waitFor(t, 30*time.Second, "returned", func() bool {
		st := withdrawalOf(t, db, w.ID).Status
		if st == store.WithdrawalConfirmed {
			t.Fatal("a payout the destination refused was confirmed")
		}
		return st == store.WithdrawalRefunded
	})
	r.settle(db)
	if got := withdrawalOf(t, db, w.ID); got.Error == "" {
		t.Fatalf("refunded without a reason: %+v", got)
	}
	if b := balance(t, db, store.UserAccount(7), "USDT"); b != 30_000_000 {
		t.Fatalf("user USDT %d after the return, want all 30 back", b)
	}
	if b := balance(t, db, store.UserAccount(7), store.TON.Symbol); b != 2*tonUnit {
		t.Fatalf("user TON %d: the fee comes back with an undelivered payout", b)
	}
	if got := r.usdt.BalanceOf(dest.Address()); got.Sign() != 0 {
		t.Fatalf("the locked wallet holds %v", got)
	}
	kinds, _ := db.CountChainEvents(ctx)
	if kinds[store.KindPayoutReturned] != 1 {
		t.Fatalf("events %v", kinds)
	}
	r.checkHot(db)
}

// 2. A batch whose every message the chain skips (the hot wallet was short
// when it ran): the internal_transfer the wallet sent itself comes back with
// its value, which is ours, never a deposit.
func TestSkippedBatchIsNoDeposit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	warm := r.queueTON(db, "warm", 0, 3*tonUnit, tonUnit) // deploys the hot wallet
	s := r.payer(db, nil)
	r.run(s)
	waitFor(t, 20*time.Second, "warm-up paid", func() bool { return r.settled(db, warm) })

	// A memo-less invoice that the internal_transfer's value could pay.
	u, _ := db.UpsertUser(ctx, store.User{ID: 42})
	inv, err := db.CreateInvoice(ctx, store.NewInvoice{UserID: u.ID, Asset: store.TON.Symbol, Amount: 10_000_000, TTL: time.Hour, MemoLess: true})
	must(t, err)
	unmatched := balance(t, db, store.AccountUnmatched, store.TON.Symbol)

	// Two withdrawals go out in one batch, but before it runs another
	// signer empties the hot wallet: the fan-out skips both messages.
	r.chain.DropExternals(true)
	want := r.queueTON(db, "skipped", 0, 0, tonUnit, tonUnit+1)
	waitFor(t, 10*time.Second, "batch sent", func() bool { return s.sends() > 1 })
	drain := r.chain.Balance(r.hot) - 30_000_000
	r.foreignTransfer(address.NewAddress(0, 0, make([]byte, 32)), drain)
	waitFor(t, 10*time.Second, "drained", func() bool { return r.chain.Balance(r.hot) < 40_000_000 })
	r.chain.DropExternals(false)
	waitFor(t, 20*time.Second, "skipped and queued again", func() bool {
		bs, _ := db.Batches(ctx, store.BatchFailed)
		return len(bs) == 1
	})
	r.settle(db)
	for _, p := range want {
		if w := withdrawalOf(t, db, p.id); w.Status != store.WithdrawalQueued {
			t.Fatalf("skipped withdrawal %d is %s", p.id, w.Status)
		}
	}
	if got := balance(t, db, store.AccountUnmatched, store.TON.Symbol); got != unmatched {
		t.Fatalf("unmatched went from %d to %d: our own internal_transfer was booked as a deposit", unmatched, got)
	}
	if got, _ := db.Invoice(ctx, inv.ID); got.Paid != 0 {
		t.Fatalf("a memo-less invoice was paid by our own internal_transfer: %+v", got)
	}
	if got := balance(t, db, store.AccountTransit, store.TON.Symbol); got != 0 {
		t.Fatalf("transit %d after the fan-out", got)
	}
	// The other signer's transfer is booked, visibly, as an adjustment.
	if got := balance(t, db, store.AccountAdjust, store.TON.Symbol); got != -store.Amount(drain) {
		t.Fatalf("adjustments %d, want -%d", got, drain)
	}
	kinds, _ := db.CountChainEvents(ctx)
	if kinds[store.KindForeign] != 1 || kinds[store.KindCredited] != 0 {
		t.Fatalf("events %v", kinds)
	}
	// Money left in a message tonpay did not sign: admins are told and
	// payouts wait for one of them, whatever the books say.
	if p, paused, _ := db.PayoutPause(ctx); !paused || p.Cause != store.PauseForeign {
		t.Fatalf("payouts not held after a foreign transfer: %+v", p)
	}
	if n := adminNotices(t, db, "ledger.foreign"); n != 1 {
		t.Fatalf("%d foreign notices, want 1", n)
	}
	r.checkHot(db)
}

func adminNotices(t *testing.T, db *store.DB, typ string) int {
	t.Helper()
	evs, err := db.DueEvents(context.Background(), store.TopicBot, 100000)
	must(t, err)
	n := 0
	for _, e := range evs {
		if string(e.Type) == typ && e.UserID == 0 {
			n++
		}
	}
	return n
}

// A jetton transfer whose forward payload does not parse (USDT's wallet
// checks only that a payload in a reference is alone; an inline one, bit 0
// and whatever follows, it passes on unchecked) still moved real jettons
// into our jetton wallet: they are booked (no comment: unmatched), never
// left out of the books for anyone to drift them at will.
func TestJettonDepositWithABrokenPayloadIsBooked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	db := r.open()
	defer db.Close()
	// The service follows the hot wallet from before its first transfer
	// (a first start on a wallet with a history books it as capital).
	r.catchUp(r.scanner(db, nil))
	w := r.wallet(10)
	r.fundHot(w)
	r.usdt.Mint(w.Address(), big.NewInt(10_000_000))
	// transfer: either_forward_payload bit 0 (inline), then 7 bits: no op.
	body := cell.BeginCell().MustStoreUInt(0x0f8a7ea5, 32).MustStoreUInt(1, 64).MustStoreBigCoins(big.NewInt(5_000_000)).
		MustStoreAddr(r.hot).MustStoreAddr(w.Address()).MustStoreBoolBit(false).MustStoreBigCoins(big.NewInt(1)).
		MustStoreBoolBit(false).MustStoreUInt(0x55, 7).EndCell()
	must(t, w.SendBody(r.usdt.WalletAddress(w.Address()), 100_000_000, body, true))
	for range 4 {
		r.chain.Mine()
	}
	if got := r.usdt.BalanceOf(r.hot).Int64(); got != 5_000_000 {
		t.Fatalf("our jetton wallet holds %d: the transfer did not go through", got)
	}
	r.catchUp(r.scanner(db, nil))
	if got := balance(t, db, store.AccountUnmatched, "USDT"); got != 5_000_000 {
		t.Fatalf("unmatched USDT %d", got)
	}
	if _, paused, _ := db.PayoutPause(ctx); paused {
		t.Fatal("payouts paused: the jettons were left out of the books")
	}
	kinds, _ := db.CountChainEvents(ctx)
	if kinds[store.KindJettonNotify] != 1 {
		t.Fatalf("the notification from our jetton wallet is not fake: %v", kinds)
	}
	r.checkHot(db)
}

// foreignQID is the last query id another signer used (far from tonpay's).
var foreignQID atomic.Uint32 // added to 4,000,000; tests run in parallel

// foreignTransfer signs an external of the hot wallet that tonpay did not
// make (another holder of the seed), sending nano to dst.
func (r *rig) foreignTransfer(dst *address.Address, nano uint64) {
	r.t.Helper()
	at, qid := r.chain.Now().Unix()-30, 4_000_000+foreignQID.Add(1)
	w, err := ton.HotWallet(r.client.API, r.words, func(context.Context, uint32) (uint32, int64, error) {
		return qid, at, nil
	})
	must(r.t, err)
	ext, err := w.PrepareExternalMessageForMany(context.Background(), false, []*wallet.Message{{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors,
		InternalMessage: &tlb.InternalMessage{IHRDisabled: true, DstAddr: dst, Amount: tlb.FromNanoTONU(nano)}}})
	must(r.t, err)
	c, err := tlb.ToCell(ext)
	must(r.t, err)
	must(r.t, r.chain.SendExternal(c.ToBOC()))
}

// 3. On time is judged by the block's time only: a payment in a block dated
// before the invoice's expiry is on time however late this server gets to
// it, and a merchant invoice is then the merchant's.
func TestOnTimeByTheBlockNotTheServerClock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.SetLag(20 * time.Second) // blocks dated behind the wall clock, as a lagging lite-server shows them
	var offset atomic.Int64
	db := r.open(store.WithClock(func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }))
	defer db.Close()
	m, _, err := db.CreateMerchant(ctx, "shop", "")
	must(t, err)
	inv, err := db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 2 * tonUnit, TTL: 5 * time.Second})
	must(t, err)
	f := r.scanner(db, nil)
	r.chain.Mine()
	r.catchUp(f)

	offset.Store(int64(time.Minute)) // this server's clock is long past the expiry
	w := r.wallet(10)
	must(t, w.Send(r.hot, 2*tonUnit, inv.Comment, false))
	r.catchUp(f) // a pass that ends after the expiry by the wall clock: the invoice must stay open
	if got, _ := db.Invoice(ctx, inv.ID); got.Status != store.InvoiceCreated {
		t.Fatalf("expired by this server's clock: %s", got.Status)
	}
	r.chain.Mine() // the payment, in a block dated 20 s ago: before the expiry
	r.catchUp(f)
	got, _ := db.Invoice(ctx, inv.ID)
	if got.Status != store.InvoicePaid || got.Paid != 2*tonUnit || got.Late {
		t.Fatalf("an on-time payment judged late: %+v", got)
	}
	if b := balance(t, db, store.MerchantAccount(m.ID), store.TON.Symbol); b != 2*tonUnit {
		t.Fatalf("merchant %d", b)
	}
	r.checkHot(db)
}

// 4. Forwarding fees: total_fees holds only the first fraction of each
// message's forwarding fee; the rest leaves as the message's fwd_fee. Both
// are network fees, booked to the nanoton.
func TestForwardingFeesBookedInFull(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	want := r.queueTON(db, "fwd", 10_000_000, 5*tonUnit, tonUnit, 2*tonUnit, 3*tonUnit)
	s := r.payer(db, nil)
	r.run(s)
	waitFor(t, 30*time.Second, "paid", func() bool { return r.settled(db, want) })
	r.settle(db)
	r.checkPaidOnce(db, want)
	var totalFees store.Amount
	for _, tx := range r.chain.Transactions(r.hot) {
		totalFees += store.Amount(tx.TotalFees.Coins.Nano().Int64())
	}
	net := r.networkFees()
	if net <= totalFees {
		t.Fatalf("the chain's forwarding fees are not split (fwd_fee part %d): the test proves nothing", net-totalFees)
	}
	if got := balance(t, db, store.AccountFees, store.TON.Symbol); got != 3*10_000_000-net {
		t.Fatalf("fees account %d, want 3 fees less %d the network took (%d of it outside total_fees)", got, net, net-totalFees)
	}
	r.checkHot(db)
}

// 5. Our own jetton transfer refused by our own jetton wallet (too little
// TON attached for the transfer's fees, enough for the check itself: exit
// 48, not_enough_gas) bounces its TON back: fee income, not a customer's
// unmatched money; the withdrawal is refunded.
func TestOwnRefusedJettonTransferIsNotUnmatched(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	r.depositJettons(db, 9, 20_000_000, tonUnit)
	s := r.service(db, nil, svcOpts{payer: ton.PayerConfig{JettonTON: 1_200_000}}) // too little for the jetton wallets
	r.run(s)
	waitFor(t, 20*time.Second, "deposits", func() bool { return balance(t, db, store.UserAccount(9), "USDT") == 20_000_000 })
	unmatched := balance(t, db, store.AccountUnmatched, store.TON.Symbol)
	dest := r.wallet(1)
	w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 9, IdemKey: "thin", Asset: "USDT", Amount: 5_000_000,
		Fee: 10_000_000, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(dest.Address(), true)})
	must(t, err)
	waitFor(t, 20*time.Second, "refunded", func() bool { return withdrawalOf(t, db, w.ID).Status == store.WithdrawalRefunded })
	r.settle(db)
	if got := balance(t, db, store.AccountUnmatched, store.TON.Symbol); got != unmatched {
		t.Fatalf("unmatched %d -> %d: our own bounced transfer was booked as a customer's money", unmatched, got)
	}
	kinds, _ := db.CountChainEvents(ctx)
	if kinds[store.KindBounced] != 1 || kinds[store.KindPayoutFailed] != 1 {
		t.Fatalf("events %v", kinds)
	}
	if b := balance(t, db, store.UserAccount(9), "USDT"); b != 20_000_000 {
		t.Fatalf("user USDT %d", b)
	}
	r.checkHot(db)
}

// 6. A jetton amount the ledger cannot hold is never dropped silently: it is
// recorded and reconciliation reports the drift (the configuration refuses
// jettons whose amounts could get there; see cmd/tonpay).
func TestJettonAmountBeyondTheLedgerIsReported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	db := r.open()
	defer db.Close()
	w := r.wallet(10)
	huge, _ := new(big.Int).SetString("10000000000000000000", 10) // 1e19 > 2^63
	r.usdt.Mint(w.Address(), huge)
	must(t, w.SendJetton(r.usdt, r.hot, huge, 0, ""))
	for range 4 {
		r.chain.Mine()
	}
	r.catchUp(r.scanner(db, nil))
	kinds, _ := db.CountChainEvents(ctx)
	if kinds[store.KindOutOfRange] != 1 {
		t.Fatalf("events %v", kinds)
	}
	if p, paused, _ := db.PayoutPause(ctx); !paused || p.Cause != "drift" {
		t.Fatalf("payouts not held on the drift: %+v", p)
	}
	rs, _ := db.Reconciliations(ctx)
	for _, rc := range rs {
		if rc.Asset == "USDT" && rc.Drift == 0 {
			t.Fatalf("no drift reported for an amount the ledger could not book: %+v", rc)
		}
	}
}

// A tampered ledger is caught at the next block: the drift is exported,
// admins are told once, and payouts wait until an admin resumes them.
func TestTamperedLedgerHoldsPayouts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	warm := r.queueTON(db, "warm", 0, 3*tonUnit, tonUnit)
	s := r.payer(db, nil)
	r.run(s)
	waitFor(t, 20*time.Second, "warm-up paid", func() bool { return r.settled(db, warm) })
	if d := s.metric("tonpay_ledger_drift"); d != 0 {
		t.Fatalf("drift %v before tampering", d)
	}

	_, err := db.Post(ctx, store.Transfer{Key: "tamper", Kind: "adjustment", Postings: []store.Posting{
		{Account: store.AccountHot, Asset: store.TON.Symbol, Amount: -1}, {Account: store.AccountAdjust, Asset: store.TON.Symbol, Amount: 1}}})
	must(t, err)
	waitFor(t, 10*time.Second, "drift reported", func() bool { return s.metric("tonpay_ledger_drift") == -1 })
	want := r.queueTON(db, "held", 0, 0, tonUnit/2)
	r.blocks(10)
	if st := withdrawalOf(t, db, want[0].id).Status; st != store.WithdrawalQueued {
		t.Fatalf("a withdrawal was paid while the books drift: %s", st)
	}
	if s.Paused() == "" || s.metric("tonpay_payer_held") != 1 {
		t.Fatalf("payer not held: %q", s.Paused())
	}
	notices := 0
	evs, _ := db.DueEvents(ctx, store.TopicBot, 1000)
	for _, e := range evs {
		if e.Type == "ledger.drift" && e.UserID == 0 {
			notices++
		}
	}
	if notices != 1 {
		t.Fatalf("%d admin notices of the drift, want 1", notices)
	}
	if st := s.f.Status(); st.Drift[store.TON.Symbol] != -1 || st.Reconciled == 0 {
		t.Fatalf("status %+v", st)
	}
	// An admin looked and resumes: paid, and the same drift holds nothing again.
	if _, was, err := db.ResumePayouts(ctx, store.AdminActor(1, "")); err != nil || !was {
		t.Fatalf("resume: %v %v", was, err)
	}
	waitFor(t, 20*time.Second, "paid after resume", func() bool { return r.settled(db, want) })
}

// countingClient counts the queries sent to the lite-server.
type countingClient struct {
	tonapi.LiteClient
	n atomic.Int64
}

func (c *countingClient) QueryLiteserver(ctx context.Context, payload tl.Serializable, result tl.Serializable) error {
	c.n.Add(1)
	return c.LiteClient.QueryLiteserver(ctx, payload, result)
}

// idleQueries follows two accounts (the hot wallet and its USDT wallet)
// through blocks with nothing on them and returns the lite-server queries
// per block.
func idleQueries(tb testing.TB, blocks, addresses int) float64 {
	r := newRig(tb)
	db := r.open()
	defer db.Close()
	ctx := context.Background()
	keys, err := ton.NewDepositKeys(r.words, true)
	must(tb, err)
	db.SetDepositDeriver(keys.Deriver())
	for i := range addresses {
		u, err := db.UpsertUser(ctx, store.User{ID: int64(i + 1)})
		must(tb, err)
		_, err = db.DepositWallet(ctx, store.UserOwner(u.ID))
		must(tb, err)
	}
	w := r.wallet(10)
	r.fundHot(w)
	pool := liteclient.NewConnectionPool()
	tb.Cleanup(pool.Stop)
	ls, err := ton.ParseLiteServers(r.chain.LiteServers())
	must(tb, err)
	must(tb, pool.AddConnection(context.Background(), ls[0].Addr, ls[0].Key))
	cc := &countingClient{LiteClient: pool}
	api := tonapi.NewAPIClient(cc, tonapi.ProofCheckPolicyUnsafe).WithRetryTimeout(0, 0)
	f := ton.NewFollower(api, db, ton.FollowerConfig{Hot: r.hot, Testnet: true, Log: quiet(),
		Jettons: []store.Asset{{Symbol: "USDT", Decimals: 6, Master: r.usdt.Master().StringRaw()}}})
	// The first pass resolves the jetton wallets (the hot wallet's and each
	// deposit wallet's), books the history, reads the balances once.
	prev, err := f.Pass(ctx, nil)
	must(tb, err)
	start := cc.n.Load()
	for range blocks {
		r.chain.Mine()
		if prev, err = f.Pass(ctx, prev); err != nil {
			tb.Fatal(err)
		}
	}
	return float64(cc.n.Load()-start) / float64(blocks)
}

// TestIdleBlockQueries: following the hot wallet, its jetton wallet and
// 1,000 deposit wallets with their jetton wallets costs at most 3
// lite-server queries per block when nothing happens on them (the next
// block, its shard tips, the shard block's transaction list): the cost does
// not grow with the addresses.
func TestIdleBlockQueries(t *testing.T) {
	t.Parallel()
	addresses := 1000
	if testing.Short() {
		addresses = 50
	}
	if q := idleQueries(t, 20, addresses); q > 3 {
		t.Fatalf("%.2f lite-server queries per idle block with %d deposit addresses, want at most 3", q, addresses)
	}
}

// BenchmarkIdleQueries reports lite-server queries per idle block with the
// hot wallet, its jetton wallet and 10,000 deposit addresses (20,000
// accounts with their jetton wallets) followed.
func BenchmarkIdleQueries(b *testing.B) {
	q := idleQueries(b, max(b.N, 20), 10_000)
	b.ReportMetric(q, "queries/block")
	b.ReportMetric(0, "ns/op")
}

// The message field that was ihr_fee is extra_flags since IHR was disabled
// (tonutils-go v1.17+ reads it as MessageRelaxedInfo.ExtraFlags and still
// calls it IHRFee in tlb.InternalMessage): a wallet app may set it, the
// chain carries it unchanged, a bounce carries the bounced message's. It is
// never a fee: a deposit whose flags are set is credited whole, a bounce
// whose flags are set leaves with its value and fwd_fee only, and the
// ledger equals the chain to the nanoton.
func TestExtraFlagsAreNoFee(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	db := r.open()
	defer db.Close()
	bob, err := db.UpsertUser(ctx, store.User{ID: 2})
	must(t, err)
	w, err := r.chain.NewWallet(wallet.V5R1Final, 100*tonUnit)
	must(t, err)
	send := func(nano uint64, flags uint64, bounce bool) *wallet.Message {
		body, err := wallet.CreateCommentCell(bob.Comment)
		must(t, err)
		return &wallet.Message{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: bounce, DstAddr: r.hot, Amount: tlb.FromNanoTONU(nano), IHRFee: tlb.FromNanoTONU(flags), Body: body}}
	}
	_, err = w.SendMessages(
		send(2*tonUnit, 1, false), // credited
		send(5*tonUnit, 3, true),  // the hot wallet is not deployed yet: bounces, in the new format, flags and all
	)
	must(t, err)
	r.chain.Mine()
	s := r.scanner(db, nil)
	r.catchUp(s)

	// The chain really carries the flags, in and out.
	var in1, in3, out3 bool
	var feeIncome store.Amount
	for _, tx := range r.chain.Transactions(r.hot) {
		in := tx.IO.In.AsInternal()
		switch in.IHRFee.Nano().Int64() {
		case 1:
			in1 = true
		case 3:
			in3 = true
			feeIncome += store.Amount(in.Amount.Nano().Int64())
		}
		if tx.IO.Out == nil {
			continue
		}
		msgs, err := tx.IO.Out.ToSlice()
		must(t, err)
		for _, m := range msgs {
			b := m.AsInternal()
			if b.Bounced && b.IHRFee.Nano().Int64() == 3 && b.Body.MustBeginParse().MustLoadUInt(32) == 0xfffffffe {
				out3 = true
				feeIncome -= store.Amount(b.Amount.Nano().Int64())
			}
		}
	}
	if !in1 || !in3 || !out3 {
		t.Fatalf("the chain did not carry the extra flags (in 1: %v, in 3: %v, bounce out 3: %v): the test proves nothing", in1, in3, out3)
	}

	if b := balance(t, db, store.UserAccount(bob.ID), store.TON.Symbol); b != 2*tonUnit {
		t.Fatalf("bob: %d, want the deposit whole (2e9; the bounced 5e9 not at all)", b)
	}
	// What the bounce did not carry back is ours; the network took
	// total_fees and the bounce's fwd_fee, nothing for the flags.
	if got, want := balance(t, db, store.AccountFees, store.TON.Symbol), feeIncome-r.networkFees(); got != want {
		t.Fatalf("fees account %d, want %d (fee income %d less network fees %d)", got, want, feeIncome, r.networkFees())
	}
	r.checkHot(db)
}
