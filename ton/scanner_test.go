package ton_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

const tonUnit = 1_000_000_000

// rig is a fake chain, the real client connected to it, a store and the hot
// wallet's address.
type rig struct {
	t      testing.TB
	chain  *tontest.Chain
	client *ton.Client
	dbPath string
	hot    *address.Address
	words  []string
	usdt   *tontest.Jetton
}

func newRig(t testing.TB) *rig {
	t.Helper()
	return newRigWith(t, tontest.Options{})
}

// newRigWith is newRig on a chain with other fees.
func newRigWith(t testing.TB, opts tontest.Options) *rig {
	t.Helper()
	tr := tonrig.New(t, opts)
	return &rig{t: t, chain: tr.Chain, client: tr.Client, dbPath: filepath.Join(t.TempDir(), "tonpay.db"), hot: tr.Hot, words: tr.Words,
		usdt: tr.Chain.NewJetton("USDT", 6)}
}

func (r *rig) open(opts ...store.Option) *store.DB {
	r.t.Helper()
	return storetest.OpenWith(r.t, storetest.Config{Path: r.dbPath, Options: opts,
		Assets: []store.Asset{store.TON, {Symbol: "USDT", Decimals: 6, Master: r.usdt.Master().StringRaw()}}})
}

func (r *rig) scanner(db *store.DB, fp func(string) error) *ton.Follower {
	return ton.NewFollower(r.client.API, db, ton.FollowerConfig{
		Hot:       r.hot,
		Jettons:   []store.Asset{{Symbol: "USDT", Decimals: 6, Master: r.usdt.Master().StringRaw()}},
		Min:       map[string]store.Amount{store.TON.Symbol: 1_000_000},
		Testnet:   true,
		Failpoint: fp,
		Log:       quiet(),
	})
}

// fundHot gives the hot wallet some TON for its fees, as a real transfer
// (booked as unmatched), as an operator would before taking jettons.
func (r *rig) fundHot(w *tontest.Wallet) {
	r.t.Helper()
	must(r.t, w.Send(r.hot, tonUnit, "", false))
	r.chain.Mine()
}

// catchUp runs passes until one completes at the chain's head.
func (r *rig) catchUp(s *ton.Follower) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		head := r.chain.Head()
		m, err := s.Pass(ctx, nil)
		if err != nil {
			r.t.Fatalf("pass: %v", err)
		}
		if m.SeqNo >= head.SeqNo {
			return
		}
	}
}

func (r *rig) wallet(ton uint64) *tontest.Wallet {
	r.t.Helper()
	w, err := r.chain.NewWallet(wallet.V4R2, ton*tonUnit)
	if err != nil {
		r.t.Fatal(err)
	}
	return w
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func balance(t testing.TB, db *store.DB, account, asset string) store.Amount {
	t.Helper()
	b, err := db.Balance(context.Background(), account, asset)
	must(t, err)
	return b
}

// checkHot asserts the ledger's view of the hot wallet equals the chain's.
func (r *rig) checkHot(db *store.DB) {
	r.t.Helper()
	ctx := context.Background()
	if got, want := -balance(r.t, db, store.AccountHot, store.TON.Symbol), store.Amount(r.chain.Balance(r.hot)); got != want {
		r.t.Fatalf("ledger says the hot wallet holds %d nanoton, the chain says %d", got, want)
	}
	if got, want := -balance(r.t, db, store.AccountHot, "USDT"), store.Amount(r.usdt.BalanceOf(r.hot).Int64()); got != want {
		r.t.Fatalf("ledger says the hot wallet holds %d USDT units, the chain says %d", got, want)
	}
	storetest.Audit(r.t, db)
	// What the follower proved at its last block says the same.
	rs, err := db.Reconciliations(ctx)
	must(r.t, err)
	for _, rc := range rs {
		if rc.Drift != 0 {
			r.t.Fatalf("reconciliation at block %d: %s drift %d (chain %d, ledger %d)", rc.Block, rc.Asset, rc.Drift, rc.Chain, rc.Ledger)
		}
	}
}

func credits(t testing.TB, db *store.DB) []store.DepositEvent {
	t.Helper()
	evs, err := db.DueEvents(context.Background(), store.TopicBot, 100000)
	must(t, err)
	var out []store.DepositEvent
	for _, e := range evs {
		if e.Type == "deposit.credited" {
			var d store.DepositEvent
			must(t, json.Unmarshal(e.Payload, &d))
			out = append(out, d)
		}
	}
	return out
}

func TestScannerTONDeposits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	db := r.open()
	defer db.Close()
	alice, _ := db.UpsertUser(ctx, store.User{ID: 1})
	bob, _ := db.UpsertUser(ctx, store.User{ID: 2})
	inv, err := db.CreateInvoice(ctx, store.NewInvoice{UserID: alice.ID, Asset: store.TON.Symbol, Amount: 1_500_000_000, TTL: 20 * time.Minute})
	must(t, err)
	w := r.wallet(100)

	must(t, w.Send(r.hot, 1_500_000_000, inv.Comment, false)) // pays the invoice (hot wallet not deployed yet: bounce=false)
	must(t, w.Send(r.hot, 2*tonUnit, bob.Comment, false))     // personal comment
	must(t, w.Send(r.hot, 300_000_000, "who am I", false))    // unknown comment
	must(t, w.Send(r.hot, 400_000_000, "", false))            // no comment
	must(t, w.Send(r.hot, 500_000, bob.Comment, false))       // dust
	must(t, w.Send(r.hot, 5*tonUnit, bob.Comment, true))      // bounce=true to an undeployed account: aborted and bounced back
	r.chain.Mine()
	s := r.scanner(db, nil)
	r.catchUp(s)

	got, _ := db.Invoice(ctx, inv.ID)
	if got.Status != store.InvoicePaid || got.Paid != 1_500_000_000 {
		t.Fatalf("invoice: %s paid %d", got.Status, got.Paid)
	}
	if b := balance(t, db, store.UserAccount(alice.ID), store.TON.Symbol); b != 1_500_000_000 {
		t.Fatalf("alice: %d", b)
	}
	if b := balance(t, db, store.UserAccount(bob.ID), store.TON.Symbol); b != 2*tonUnit {
		t.Fatalf("bob: %d (the bounced 5 TON must not count)", b)
	}
	if b := balance(t, db, store.AccountUnmatched, store.TON.Symbol); b != 300_000_000+400_000_000+500_000 {
		t.Fatalf("unmatched: %d", b)
	}
	kinds, _ := db.CountChainEvents(ctx)
	if kinds[store.KindCredited] != 2 || kinds[store.KindUnmatched] != 2 || kinds[store.KindDust] != 1 || kinds[store.KindAborted] != 1 {
		t.Fatalf("kinds: %v", kinds)
	}
	if evs := credits(t, db); len(evs) != 2 || evs[0].InvoiceID != inv.ID || evs[0].Status != store.InvoicePaid {
		t.Fatalf("notifications: %+v", evs)
	}
	r.checkHot(db)

	// Nothing new: another pass changes nothing.
	r.chain.Mine()
	r.catchUp(s)
	if evs := credits(t, db); len(evs) != 2 {
		t.Fatalf("a quiet pass notified again: %d", len(evs))
	}
}

func TestScannerJettons(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	db := r.open()
	defer db.Close()
	alice, _ := db.UpsertUser(ctx, store.User{ID: 1})
	inv, _ := db.CreateInvoice(ctx, store.NewInvoice{UserID: alice.ID, Asset: "USDT", Amount: 25_500_000, TTL: time.Hour})
	w := r.wallet(10)
	r.fundHot(w)
	r.usdt.Mint(w.Address(), big.NewInt(100_000_000))
	fake := r.chain.NewJetton("USDT", 6) // same symbol, another master: not ours
	fake.Mint(w.Address(), big.NewInt(1_000_000_000))

	must(t, w.SendJetton(r.usdt, r.hot, big.NewInt(25_500_000), 1, inv.Comment))  // with notification
	must(t, w.SendJetton(r.usdt, r.hot, big.NewInt(1_250_000), 0, alice.Comment)) // forward 0: no notification
	must(t, w.SendJetton(fake, r.hot, big.NewInt(500_000_000), 1, alice.Comment)) // a fake jetton's real notification
	r.chain.Mine()
	r.chain.Mine() // jetton messages take a few hops
	r.chain.Mine()
	r.chain.Mine()

	// A wallet sending a hand-made transfer_notification: not a jetton wallet at all.
	forged := cell.BeginCell().MustStoreUInt(0x7362d09c, 32).MustStoreUInt(0, 64).MustStoreBigCoins(big.NewInt(9_000_000_000)).
		MustStoreAddr(w.Address()).MustStoreBoolBit(false).MustStoreUInt(0, 32).MustStoreStringSnake(alice.Comment).EndCell()
	tw, err := wallet.FromPrivateKey(r.client.API, w.PrivateKey(), wallet.V4R2)
	must(t, err)
	ext, err := tw.BuildExternalMessageForMany(ctx, []*wallet.Message{{Mode: wallet.PayGasSeparately, InternalMessage: &tlb.InternalMessage{
		IHRDisabled: true, Bounce: false, DstAddr: r.hot, Amount: tlb.MustFromTON("0.05"), Body: forged}}})
	must(t, err)
	extCell, err := tlb.ToCell(ext)
	must(t, err)
	must(t, r.chain.SendExternal(extCell.ToBOC()))
	r.chain.Mine()
	r.chain.Mine()

	s := r.scanner(db, nil)
	r.catchUp(s)
	if b := balance(t, db, store.UserAccount(alice.ID), "USDT"); b != 25_500_000+1_250_000 {
		t.Fatalf("alice USDT %d, want %d", b, 25_500_000+1_250_000)
	}
	if got, _ := db.Invoice(ctx, inv.ID); got.Status != store.InvoicePaid {
		t.Fatalf("invoice %s", got.Status)
	}
	kinds, _ := db.CountChainEvents(ctx)
	if kinds[store.KindFakeJetton] != 2 {
		t.Fatalf("want 2 fake jetton notifications recorded, got %v", kinds)
	}
	if s.JettonWallet("USDT") == nil || !s.JettonWallet("USDT").Equals(r.usdt.WalletAddress(r.hot)) {
		t.Fatalf("our jetton wallet resolved wrong: %v", s.JettonWallet("USDT"))
	}
	r.checkHot(db)
}

// TestScannerCrashAtEveryStep builds a mixed history of deposits, then scans
// it while failing at every step between fetching and committing in turn,
// restarting (new scanner, reopened database) after each failure. The ledger
// must end equal to the chain, every deposit booked exactly once.
func TestScannerCrashAtEveryStep(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("long history")
	}
	ctx := context.Background()
	r := newRig(t)
	db := r.open()
	const users = 20
	var comments []string
	for i := range users {
		u, _ := db.UpsertUser(ctx, store.User{ID: int64(i + 1)})
		comments = append(comments, u.Comment)
	}
	var invoices []store.Invoice
	for i := range 100 {
		inv, err := db.CreateInvoice(ctx, store.NewInvoice{UserID: int64(i%users + 1), Asset: store.TON.Symbol, Amount: 700_000_000, TTL: time.Hour})
		must(t, err)
		invoices = append(invoices, inv)
	}
	db.Close()

	senders := make([]*tontest.Wallet, 8)
	for i := range senders {
		senders[i] = r.wallet(10_000)
		if i == 0 {
			r.fundHot(senders[i])
		}
		r.usdt.Mint(senders[i].Address(), big.NewInt(1_000_000_000_000))
	}
	wantTON := map[int64]store.Amount{}
	wantUSDT := map[int64]store.Amount{}
	var wantUnmatched store.Amount
	const deposits = 1000
	for i := range deposits {
		w := senders[i%len(senders)]
		user := int64(i%users + 1)
		amt := uint64(10_000_000 + i*1000)
		switch i % 10 {
		case 0, 1, 2, 3: // personal comment
			must(t, w.Send(r.hot, amt, comments[user-1], false))
			wantTON[user] += store.Amount(amt)
		case 4, 5: // an invoice, paid in full
			inv := invoices[(i/10)%len(invoices)]
			must(t, w.Send(r.hot, 700_000_000, inv.Comment, false))
			wantTON[inv.UserID] += 700_000_000
		case 6: // unknown comment
			must(t, w.Send(r.hot, amt, fmt.Sprintf("nobody-%d", i), false))
			wantUnmatched += store.Amount(amt)
		case 7: // jetton with notification
			must(t, w.SendJetton(r.usdt, r.hot, big.NewInt(int64(amt)), 1, comments[user-1]))
			wantUSDT[user] += store.Amount(amt)
		case 8: // jetton without notification
			must(t, w.SendJetton(r.usdt, r.hot, big.NewInt(int64(amt)), 0, comments[user-1]))
			wantUSDT[user] += store.Amount(amt)
		case 9: // bounced: never credited
			must(t, w.Send(r.hot, amt, comments[user-1], true))
		}
		if i%len(senders) == len(senders)-1 {
			r.chain.Mine()
		}
	}
	for range 4 {
		r.chain.Mine()
	}

	// Fail at each step in turn, restarting after every failure, until the
	// scanner reaches the head; then verify with a clean restart.
	steps := []string{"master", "account", "page", "classify", "event", "recorded", "booked", "matched", "commit"}
	perPass := map[string]int{"master": 1, "account": 2, "page": 4} // how often a step happens in one pass; others once per transaction
	var step atomic.Value
	var countdown atomic.Int64
	fired := map[string]int{}
	var firedMu sync.Mutex
	fp := func(s string) error {
		if cur, _ := step.Load().(string); s == cur && countdown.Add(-1) == 0 {
			firedMu.Lock()
			fired[s]++
			firedMu.Unlock()
			return errors.New("injected crash at " + s)
		}
		return nil
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; ; round++ {
		s := steps[round%len(steps)]
		n := perPass[s]
		if n == 0 {
			n = 12
		}
		step.Store(s)
		countdown.Store(int64(1 + rng.IntN(n)))
		db := r.open(store.WithFailpoint(fp))
		sc := r.scanner(db, fp)
		head := r.chain.Head()
		m, err := sc.Pass(ctx, nil)
		db.Close()
		if err == nil && m.SeqNo >= head.SeqNo && round >= len(steps) {
			break
		}
		if round > 2000 {
			t.Fatal("the scanner never reached the head")
		}
	}
	for _, s := range steps {
		if fired[s] == 0 {
			t.Fatalf("no crash was injected at %s: %v", s, fired)
		}
	}
	t.Logf("crashes injected and recovered: %v", fired)
	step.Store("")
	db = r.open()
	defer db.Close()
	r.catchUp(r.scanner(db, nil))
	r.verify(db, wantTON, wantUSDT, wantUnmatched, deposits)
}

func (r *rig) verify(db *store.DB, wantTON, wantUSDT map[int64]store.Amount, wantUnmatched store.Amount, deposits int) {
	t := r.t
	t.Helper()
	for u, want := range wantTON {
		if got := balance(t, db, store.UserAccount(u), store.TON.Symbol); got != want {
			t.Fatalf("user %d TON %d, want %d", u, got, want)
		}
	}
	for u, want := range wantUSDT {
		if got := balance(t, db, store.UserAccount(u), "USDT"); got != want {
			t.Fatalf("user %d USDT %d, want %d", u, got, want)
		}
	}
	if got := balance(t, db, store.AccountUnmatched, store.TON.Symbol); got < wantUnmatched {
		t.Fatalf("unmatched %d < %d", got, wantUnmatched)
	}
	r.checkHot(db)
	// One notification per credited deposit, never two.
	seen := map[string]bool{}
	for _, e := range credits(t, db) {
		if seen[e.TxHash] {
			t.Fatalf("deposit %s notified twice", e.TxHash)
		}
		seen[e.TxHash] = true
	}
	if want := deposits * 8 / 10; len(seen) != want {
		t.Fatalf("%d deposits notified, want %d", len(seen), want)
	}
	kinds, _ := db.CountChainEvents(context.Background())
	if kinds[store.KindCredited] != len(seen) {
		t.Fatalf("credited events %d, notifications %d", kinds[store.KindCredited], len(seen))
	}
	hotTxs := len(r.chain.Transactions(r.hot)) + len(r.chain.Transactions(r.usdt.WalletAddress(r.hot)))
	total := 0
	for _, n := range kinds {
		total += n
	}
	if total != hotTxs {
		t.Fatalf("recorded %d events for %d transactions on watched accounts", total, hotTxs)
	}
}

func TestScannerNeverSkipsPrunedHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	db := r.open()
	defer db.Close()
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})
	w := r.wallet(100)
	must(t, w.Send(r.hot, tonUnit, u.Comment, false))
	r.chain.Mine()
	s := r.scanner(db, nil)
	r.catchUp(s)
	before, _ := db.Cursor(ctx, r.hot.StringRaw())

	// 40 more deposits, then the node forgets all but the newest few.
	for i := range 40 {
		must(t, w.Send(r.hot, uint64(10_000_000+i), u.Comment, false))
		r.chain.Mine()
	}
	txs := r.chain.Transactions(r.hot)
	r.chain.PruneBefore(r.hot, txs[len(txs)-5].LT)
	_, err := s.Pass(ctx, nil)
	if !errors.Is(err, ton.ErrPrunedHistory) {
		t.Fatalf("want ErrPrunedHistory, got %v", err)
	}
	after, _ := db.Cursor(ctx, r.hot.StringRaw())
	if after != before {
		t.Fatalf("the cursor moved past a gap: %+v -> %+v", before, after)
	}
	if b := balance(t, db, store.UserAccount(u.ID), store.TON.Symbol); b != tonUnit {
		t.Fatalf("credited across a gap: %d", b)
	}

	// Liteserver errors: the pass fails, nothing moves; the next one books everything.
	r.chain.PruneBefore(r.hot, 0)
	r.chain.FailNext(4, 651) // WithRetry makes 4 attempts: one query fails for good
	if _, err := s.Pass(ctx, nil); err == nil {
		t.Fatal("a pass through liteserver errors succeeded")
	}
	if again, _ := db.Cursor(ctx, r.hot.StringRaw()); again != before {
		t.Fatalf("the cursor moved on an error: %+v", again)
	}
	for i := 0; ; i++ { // the remaining injected failures fail passes too
		if _, err := s.Pass(ctx, nil); err == nil {
			break
		}
		if i > 10 {
			t.Fatal("the scanner does not recover after liteserver errors")
		}
	}
	r.catchUp(s)
	if n, _ := db.CountChainEvents(ctx); n[store.KindCredited] != 41 {
		t.Fatalf("credited %d deposits, want 41", n[store.KindCredited])
	}
}
