package ton_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	tonapi "github.com/xssnick/tonutils-go/ton"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
)

// TestMoneyRandomized drives the whole chain side (the follower and the
// payer, through the real client, on the strict fake chain) through
// thousands of blocks of random traffic: TON and jetton deposits with and
// without comments, partial, late and duplicate invoice payments, dust,
// bounced and fake-jetton transfers, TON and jetton withdrawals (some to a
// jetton wallet that refuses them), sweeps to cold storage, dropped
// externals, batches that expire, lite-server errors and restarts of the
// process (and of the database) at random points. After EVERY block the
// ledger equals the chain (TON and jettons, and reconciliation agrees),
// the ledger's invariants hold, every user's balance is what they paid in
// less what they asked to withdraw (and was not given back), and no
// deposit is credited twice. At the end, every confirmed withdrawal reached
// its destination exactly once and every refunded one not at all.
//
// A run is 1,000 blocks on each engine, each engine's with a seed of its
// own: 2,000 blocks in all when TONPAY_TEST_POSTGRES is set (the run was
// 1,500 blocks repeated on both engines, 3,000 in all, which made this test
// alone take most of CI's time). TONPAY_MONEY_SEED=n replays a run;
// TONPAY_MONEY_BLOCKS sets its length.
func TestMoneyRandomized(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TONPAY_MONEY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		must(t, err)
		seed = v
	}
	blocks := 1000
	if testing.Short() {
		blocks = 200
	}
	if s := os.Getenv("TONPAY_MONEY_BLOCKS"); s != "" {
		v, err := strconv.Atoi(s)
		must(t, err)
		blocks = v
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with TONPAY_MONEY_SEED=%d TONPAY_MONEY_BLOCKS=%d", seed, blocks)
		}
	})
	engine := "SQLite"
	if storetest.OnPostgres() {
		engine = "PostgreSQL"
	}
	t.Logf("seed %d, %d blocks, on %s", seed, blocks, engine)
	m := newMoney(t, seed)
	defer m.close()
	for b := 0; b < blocks; b++ {
		m.step(b)
	}
	m.finish()
}

// user is a depositor with wallets and expectations.
type user struct {
	id      int64
	comment string
	w       *tontest.Wallet
	paidIn  map[string]store.Amount // what reached the hot wallet under their name
	dep     *address.Address        // their deposit address
	depID   int64
}

type money struct {
	t      *testing.T
	r      *rig
	rng    *rand.Rand
	db     *store.DB
	s      *svc
	sw     *ton.Sweeper
	keys   *ton.DepositKeys
	prev   *tonapi.BlockIDExt
	users  []*user
	payer  *tontest.Wallet // a stranger: no comment, fake jettons, bounced sends
	fake   *tontest.Jetton
	locked *tontest.Wallet // its USDT wallet refuses every transfer
	cold   *address.Address
	merch  struct {
		id       int64
		invoices []store.Invoice
		paid     map[string]store.Amount
		late     map[string]bool
	}
	dests    map[int64]*address.Address // withdrawal -> destination owner
	dropping int                        // blocks left with externals dropped
	credited int                        // deposits that must be credited exactly once
	stats    map[string]int
}

const moneyMin = 1_000_000 // TON deposit minimum

func newMoney(t *testing.T, seed uint64) *money {
	r := newRig(t)
	m := &money{t: t, r: r, rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), dests: map[int64]*address.Address{}, stats: map[string]int{}}
	m.cold = address.NewAddress(0, 0, append(make([]byte, 31), 0xc0))
	keys, err := ton.NewDepositKeys(r.words, true)
	must(t, err)
	m.keys = keys
	m.db = m.open()
	ctx := context.Background()
	for i := range 6 {
		u, err := m.db.UpsertUser(ctx, store.User{ID: int64(100 + i)})
		must(t, err)
		dw, err := m.db.DepositWallet(ctx, store.UserOwner(u.ID))
		must(t, err)
		dep, err := address.ParseRawAddr(dw.Address)
		must(t, err)
		us := &user{id: u.ID, comment: u.Comment, w: r.wallet(100_000), paidIn: map[string]store.Amount{}, dep: dep, depID: dw.ID}
		r.usdt.Mint(us.w.Address(), big.NewInt(1_000_000_000_000))
		m.users = append(m.users, us)
	}
	m.payer = r.wallet(100_000)
	m.fake = r.chain.NewJetton("USDT", 6)
	m.fake.Mint(m.payer.Address(), big.NewInt(1_000_000_000_000))
	m.locked = r.wallet(1)
	r.usdt.Lock(m.locked.Address(), true)
	merchant, _, err := m.db.CreateMerchant(ctx, "shop", "")
	must(t, err)
	m.merch.id, m.merch.paid, m.merch.late = merchant.ID, map[string]store.Amount{}, map[string]bool{}
	r.chain.Fund(r.hot, 5*tonUnit) // the operator's float (unmatched)
	m.start()
	return m
}

func (m *money) start() {
	m.s = m.r.service(m.db, nil, svcOpts{maxSkips: 3, payer: ton.PayerConfig{BatchSize: 8, HotWalletMax: 150 * tonUnit,
		Cold: m.cold, SweepMin: 10 * tonUnit, Reserve: tonUnit}})
	m.sw = ton.NewSweeper(m.r.client.API, m.db, nil, ton.SweeperConfig{Keys: m.keys, Hot: m.r.hot, Min: 2 * tonUnit, Log: quiet()})
	m.prev = nil
}

// open opens the database with the deposit addresses' deriver, as the
// service does.
func (m *money) open() *store.DB {
	db := m.r.open()
	db.SetDepositDeriver(m.keys.Deriver())
	return db
}

func (m *money) close() { m.db.Close() }

// restart is a crash: new follower and payer, sometimes a reopened database.
func (m *money) restart() {
	if m.rng.IntN(2) == 0 {
		m.db.Close()
		m.db = m.open()
	}
	m.start()
	m.stats["restart"]++
}

func (m *money) step(b int) {
	ctx := context.Background()
	switch k := m.rng.IntN(100); {
	case k < 2 && m.dropping == 0:
		m.dropping = 2 + m.rng.IntN(6)
		m.r.chain.DropExternals(true)
		m.stats["drop"]++
	case k < 3:
		// A long silence: open batches outlive their message (expired and re-issued).
		m.r.chain.Advance(time.Duration(ton.HotMessageTTL+30) * time.Second)
		m.stats["clock"]++
	case k < 6:
		m.r.chain.FailNext(1+m.rng.IntN(5), 651)
		m.stats["ls-error"]++
	case k < 8:
		m.restart()
	}
	if m.dropping > 0 {
		if m.dropping--; m.dropping == 0 {
			m.r.chain.DropExternals(false)
		}
	}
	if p, paused, _ := m.db.PayoutPause(ctx); paused && p.Cause == store.PauseForeign && m.rng.IntN(5) == 0 {
		// An admin read the notice (the drain was the test's own) and resumes.
		_, _, err := m.db.ResumePayouts(ctx, store.AdminActor(1, ""))
		must(m.t, err)
	}
	if m.s.Paused() != "" && m.rng.IntN(10) == 0 {
		m.r.chain.Fund(m.r.hot, 200*tonUnit) // the operator answers the pause notice
		m.stats["refill"]++
	}
	// Users act after the clock moved: what they sign is valid for this block.
	for range m.rng.IntN(4) {
		m.act(ctx)
	}
	m.r.chain.Mine()
	m.follow(ctx, b)
	m.check(ctx, b)
}

// follow runs the follower until it booked the head, then one payer pass.
func (m *money) follow(ctx context.Context, b int) {
	head := m.r.chain.Head().SeqNo
	for try := 0; ; try++ {
		next, err := m.s.f.Pass(ctx, m.prev)
		if err == nil {
			m.prev = next
			if next.SeqNo >= head {
				break
			}
			continue
		}
		if try > 20 {
			m.t.Fatalf("block %d: the follower does not recover: %v", b, err)
		}
	}
	select {
	case h := <-m.s.f.Heads():
		if err := m.s.Payer.Pass(ctx, h); err != nil {
			m.stats["payer-error"]++ // retried next block, as Run does
		}
		if n, err := m.sw.Pass(ctx, h); err != nil {
			m.stats["sweep-error"]++
		} else {
			m.stats["sweeps"] += n
		}
	default:
	}
}

// act makes one random thing happen.
func (m *money) act(ctx context.Context) {
	t := m.t
	u := m.users[m.rng.IntN(len(m.users))]
	amt := func(lo, hi int64) store.Amount { return store.Amount(lo + m.rng.Int64N(hi-lo)) }
	switch k := m.rng.IntN(100); {
	case k < 20: // TON with the personal comment
		a := amt(moneyMin, 30*tonUnit)
		must(t, u.w.Send(m.r.hot, uint64(a), u.comment, false))
		if os.Getenv("MONEY_DEBUG") != "" {
			t.Logf("user %d sends %d", u.id, a)
		}
		u.paidIn[store.TON.Symbol] += a
		m.credited++
	case k < 28: // a user invoice: paid in part, in full, late or twice, always the user's
		inv, err := m.db.CreateInvoice(ctx, store.NewInvoice{UserID: u.id, Asset: store.TON.Symbol, Amount: amt(tonUnit, 5*tonUnit), TTL: time.Duration(1+m.rng.IntN(600)) * time.Second})
		must(t, err)
		for range 1 + m.rng.IntN(2) {
			a := inv.Amount / store.Amount(1+m.rng.IntN(2))
			must(t, u.w.Send(m.r.hot, uint64(a), inv.Comment, false))
			if os.Getenv("MONEY_DEBUG") != "" {
				t.Logf("user %d pays invoice %s %d", u.id, inv.ID, a)
			}
			u.paidIn[store.TON.Symbol] += a
			m.credited++
		}
	case k < 36: // USDT, with or without a notification
		a := amt(1_000_000, 500_000_000)
		must(t, u.w.SendJetton(m.r.usdt, m.r.hot, big.NewInt(int64(a)), uint64(m.rng.IntN(2)), u.comment))
		u.paidIn["USDT"] += a
		m.credited++
	case k < 40: // dust under the user's comment: unmatched, never theirs
		must(t, u.w.Send(m.r.hot, uint64(amt(1, moneyMin)), u.comment, false))
	case k < 44: // a stranger: no comment, an unknown one, a bounceable one
		must(t, m.payer.Send(m.r.hot, uint64(amt(moneyMin, 3*tonUnit)), []string{"", "who?", "x"}[m.rng.IntN(3)], m.rng.IntN(2) == 0))
	case k < 46: // a fake jetton's real notification under a user's comment
		must(t, m.payer.SendJetton(m.fake, m.r.hot, big.NewInt(int64(amt(1, 1_000_000_000))), 1, u.comment))
	case k < 52: // a merchant invoice paid in halves by a stranger, sometimes after its expiry
		m.merchant(ctx)
	case k < 70: // a TON withdrawal
		m.withdraw(ctx, u, store.TON.Symbol, amt(moneyMin, 20*tonUnit), 10_000_000, nil)
	case k < 80: // a USDT withdrawal, sometimes to a wallet that refuses it
		var to *address.Address
		if m.rng.IntN(4) == 0 {
			to = m.locked.Address()
		}
		m.withdraw(ctx, u, "USDT", amt(1_000_000, 200_000_000), 50_000_000, to)
	case k < 82: // the operator tops the hot wallet up (unmatched)
		m.r.chain.Fund(m.r.hot, uint64(amt(tonUnit, 20*tonUnit)))
	case k < 85 && m.r.externals() > 0 && m.openBatches(ctx) > 0:
		// Another holder of the seed empties the hot wallet: batches in
		// flight have their messages skipped, the payer waits for funds,
		// and the operator refills it.
		bal := m.r.chain.Balance(m.r.hot)
		if bal > 2*tonUnit {
			m.r.foreignTransfer(m.cold, bal-tonUnit)
			m.stats["drain"]++
		}
	case k < 92: // Gram to the user's own deposit address, from an exchange: no comment (or any)
		a := amt(moneyMin, 10*tonUnit)
		must(t, u.w.Send(u.dep.Bounce(false), uint64(a), []string{"", "", "hello", u.comment}[m.rng.IntN(4)], false))
		u.paidIn[store.TON.Symbol] += a
		m.credited++
		m.stats["to-address"]++
	case k < 96: // USDT to the deposit address, with or without a notification, no comment
		a := amt(1_000_000, 300_000_000)
		must(t, u.w.SendJetton(m.r.usdt, u.dep, big.NewInt(int64(a)), uint64(m.rng.IntN(2)), ""))
		u.paidIn["USDT"] += a
		m.credited++
		m.stats["usdt-to-address"]++
	case k < 97: // the jetton's admin stops (or lets again) a deposit address's USDT wallet sending: its sweeps fail meanwhile
		status := uint8(tontest.JettonStatusUnlocked)
		if m.rng.IntN(2) == 0 {
			status = tontest.JettonStatusNoSend
		}
		m.r.usdt.SetStatus(u.dep, status)
		m.stats["lock-address"]++
	case k < 98: // dust to a deposit address: never credited
		must(t, m.payer.Send(u.dep.Bounce(false), uint64(amt(1, moneyMin)), "", false))
	}
}

func (m *money) merchant(ctx context.Context) {
	t := m.t
	if len(m.merch.invoices) == 0 || m.rng.IntN(2) == 0 {
		ttl := time.Hour
		late := m.rng.IntN(4) == 0
		if late {
			ttl = time.Second
		}
		inv, err := m.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.merch.id, Asset: store.TON.Symbol, Amount: store.Amount(2 * (tonUnit + m.rng.Int64N(tonUnit))), TTL: ttl})
		must(t, err)
		m.merch.invoices = append(m.merch.invoices, inv)
		if late {
			m.merch.late[inv.ID] = true
		}
		return
	}
	inv := m.merch.invoices[m.rng.IntN(len(m.merch.invoices))]
	if m.merch.paid[inv.ID] >= inv.Amount {
		return
	}
	if m.merch.late[inv.ID] && m.r.chain.Now().Before(inv.ExpiresAt.Add(store.MemoLessTolerance+5*time.Second)) {
		return // pay it only once it is surely late by the chain's clock
	}
	must(t, m.payer.Send(m.r.hot, uint64(inv.Amount/2), inv.Comment, false))
	m.merch.paid[inv.ID] += inv.Amount / 2
}

func (m *money) withdraw(ctx context.Context, u *user, asset string, amount, fee store.Amount, to *address.Address) {
	if to == nil {
		h := sha256.Sum256(fmt.Appendf(nil, "%s/%d", m.r.dbPath, len(m.dests)))
		to = address.NewAddress(0, 0, h[:])
		if asset != store.TON.Symbol {
			w := m.r.wallet(1) // jettons go to a real wallet
			to = w.Address()
		}
	}
	w, _, err := m.db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: u.id, IdemKey: fmt.Sprint("w", len(m.dests)), Asset: asset,
		Amount: amount, Fee: fee, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(to, true)})
	if errors.Is(err, store.ErrInsufficientFunds) {
		return
	}
	must(m.t, err)
	m.dests[w.ID] = to
	m.stats["withdraw-"+asset]++
}

// check asserts the books after a block.
func (m *money) check(ctx context.Context, b int) {
	t := m.t
	r := m.r
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("block %d (seqno %d): "+format, append([]any{b, m.prev.SeqNo}, args...)...)
	}
	// Each account's balances in one read (the ledger's cached balances;
	// an asset it never held reads as zero).
	balances := func(account string) map[string]store.Amount {
		bs, err := m.db.Balances(ctx, account)
		must(t, err)
		return bs
	}
	hot := balances(store.AccountHot)
	if got, want := -hot[store.TON.Symbol], store.Amount(r.chain.Balance(r.hot)); got != want {
		fail("ledger says the hot wallet holds %d nanoton, the chain %d", got, want)
	}
	if got, want := -hot["USDT"], store.Amount(r.usdt.BalanceOf(r.hot).Int64()); got != want {
		fail("ledger says the hot wallet holds %d USDT units, the chain %d", got, want)
	}
	for _, u := range m.users {
		dep := balances(store.DepositAccount(u.depID))
		if got, want := -dep[store.TON.Symbol], store.Amount(r.chain.Balance(u.dep)); got != want {
			fail("ledger says user %d's deposit address holds %d nanogram, the chain %d", u.id, got, want)
		}
		if got, want := -dep["USDT"], store.Amount(r.usdt.BalanceOf(u.dep).Int64()); got != want {
			fail("ledger says user %d's deposit address holds %d USDT units, the chain %d", u.id, got, want)
		}
	}
	rs, err := m.db.Reconciliations(ctx)
	must(t, err)
	for _, rc := range rs {
		if rc.Drift != 0 || rc.Block != m.prev.SeqNo {
			fail("reconciliation %+v", rc)
		}
	}
	if p, paused, _ := m.db.PayoutPause(ctx); paused && p.Cause != store.PauseForeign {
		fail("payouts paused: %+v", p)
	}
	problems, err := m.db.Audit(ctx)
	must(t, err)
	if len(problems) > 0 {
		fail("audit: %v", problems)
	}
	// Users: paid in, less what they asked to withdraw and did not get back.
	for _, u := range m.users {
		out := map[string]store.Amount{}
		ws, err := m.db.UserWithdrawals(ctx, u.id, 100000)
		must(t, err)
		for _, w := range ws {
			if w.Status == store.WithdrawalRefunded || w.Status == store.WithdrawalRejected {
				continue
			}
			out[w.Asset] += w.Amount
			out[w.FeeAsset] += w.Fee
		}
		has := balances(store.UserAccount(u.id))
		for _, a := range []string{store.TON.Symbol, "USDT"} {
			if got, want := has[a], u.paidIn[a]-out[a]; got != want {
				evs, _ := m.db.ChainEvents(ctx, 0, 500)
				for _, e := range evs {
					t.Logf("event %s %s %d user=%d inv=%s note=%q comment=%q", e.Kind, e.Asset, e.Amount, e.UserID, e.InvoiceID, e.Note, e.Comment)
				}
				for _, w := range ws {
					t.Logf("withdrawal %d %s %d fee %d %s err=%s", w.ID, w.Asset, w.Amount, w.Fee, w.Status, w.Error)
				}
				fail("user %d %s: %d, want paid in %d less withdrawn %d", u.id, a, got, u.paidIn[a], out[a])
			}
		}
	}
	// The merchant: what strangers paid on time; late payments never count.
	// Its invoices are read a page at a time (not one read each).
	var merchant store.Amount
	seen := 0
	for after := (store.InvoiceCursor{}); ; {
		page, err := m.db.MerchantInvoicesPage(ctx, m.merch.id, "", after, 200)
		must(t, err)
		for _, got := range page {
			seen++
			if m.merch.late[got.ID] {
				if got.Paid != 0 {
					fail("a late payment raised invoice %s's paid amount to %d", got.ID, got.Paid)
				}
				continue
			}
			merchant += got.Paid
		}
		if len(page) < 200 {
			break
		}
		after = store.InvoiceCursor{CreatedAt: page[len(page)-1].CreatedAt, ID: page[len(page)-1].ID}
	}
	if seen != len(m.merch.invoices) {
		fail("the merchant has %d invoices, %d were created", seen, len(m.merch.invoices))
	}
	if got := balances(store.MerchantAccount(m.merch.id))[store.TON.Symbol]; got != merchant {
		fail("merchant %d, invoices paid %d", got, merchant)
	}
}

// finish lets everything settle and checks what reached the destinations.
func (m *money) finish() {
	ctx := context.Background()
	t := m.t
	m.r.chain.DropExternals(false)
	for i := 0; ; i++ {
		if _, paused, _ := m.db.PayoutPause(ctx); paused {
			_, _, err := m.db.ResumePayouts(ctx, store.AdminActor(1, ""))
			must(t, err)
		}
		m.r.chain.Mine()
		m.follow(ctx, -1)
		m.check(ctx, -1)
		open, err := m.db.OpenBatches(ctx)
		must(t, err)
		queued, err := m.db.Withdrawals(ctx, store.WithdrawalQueued, 10)
		must(t, err)
		sent, err := m.db.Withdrawals(ctx, store.WithdrawalSent, 10)
		must(t, err)
		if len(open) == 0 && len(sent) == 0 && (len(queued) == 0 || m.s.Paused() != "") {
			break
		}
		if i > 2000 {
			t.Fatalf("payouts never settled: %d open batches, %d queued, %d sent", len(open), len(queued), len(sent))
		}
		if i%50 == 49 {
			m.r.chain.Advance(time.Minute) // let quiet jetton payouts pass their wait
		}
	}
	// Every deposit credited exactly once.
	seen := map[string]bool{}
	for _, e := range credits(t, m.db) {
		if seen[e.TxHash] {
			t.Fatalf("deposit %s credited twice", e.TxHash)
		}
		seen[e.TxHash] = true
	}
	if len(seen) != m.credited {
		t.Fatalf("%d deposits credited, %d sent under users' names", len(seen), m.credited)
	}
	// Every confirmed withdrawal reached its destination once, exactly;
	// a refunded one did not.
	byDest := map[string]store.Amount{}
	n := map[string]int{}
	for id, to := range m.dests {
		w, err := m.db.Withdrawal(ctx, id)
		must(t, err)
		m.stats["status-"+w.Status]++
		if w.Status == store.WithdrawalConfirmed {
			byDest[w.Asset+to.StringRaw()] += w.Amount
			n[w.Asset+to.StringRaw()]++
		}
	}
	for id, to := range m.dests {
		w, _ := m.db.Withdrawal(ctx, id)
		k := w.Asset + to.StringRaw()
		switch w.Asset {
		case store.TON.Symbol:
			if sum, cnt := m.r.received(to); sum != byDest[k] || cnt != n[k] {
				t.Fatalf("withdrawal %d (%s): destination received %d in %d transfers, confirmed %d in %d", id, w.Status, sum, cnt, byDest[k], n[k])
			}
		default:
			if got := store.Amount(m.r.usdt.BalanceOf(to).Int64()); got != byDest[k] {
				t.Fatalf("withdrawal %d (%s): destination holds %d USDT units, confirmed %d", id, w.Status, got, byDest[k])
			}
		}
	}
	if h := balance(t, m.db, store.AccountHold, store.TON.Symbol); h != 0 && m.s.Paused() == "" {
		t.Fatalf("hold %d after everything settled", h)
	}
	kinds, _ := m.db.CountChainEvents(ctx)
	_, m.stats["to-cold"] = m.r.received(m.cold)
	for _, st := range []string{store.BatchFailed, store.BatchExpired} {
		bs, err := m.db.Batches(ctx, st)
		must(t, err)
		m.stats["batches-"+st] = len(bs)
	}
	t.Logf("events %v; actions %v", kinds, m.stats)
}

func (m *money) openBatches(ctx context.Context) int {
	bs, err := m.db.OpenBatches(ctx)
	must(m.t, err)
	return len(bs)
}
