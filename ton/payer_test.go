package ton_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

// queueTON credits a fresh user (as a deposit would: the ledger's hot account
// and the user grow together) with what the withdrawals and their fees need,
// funds the hot wallet on chain with what the ledger says plus extra (which
// may be negative), and
// queues one TON withdrawal per amount to distinct fresh addresses.
func (r *rig) queueTON(db *store.DB, tag string, fee store.Amount, extra int64, amounts ...store.Amount) []payout {
	r.t.Helper()
	ctx := context.Background()
	h := sha256.Sum256([]byte(r.dbPath + tag))
	uid := int64(h[0])<<16 | int64(h[1])<<8 | int64(h[2]) + 1
	_, err := db.UpsertUser(ctx, store.User{ID: uid})
	must(r.t, err)
	var total store.Amount
	for _, a := range amounts {
		total += a + fee
	}
	_, err = db.Post(ctx, store.Transfer{Key: "fund-" + tag, Kind: "deposit", Ref: fmt.Sprintf("%064x", h),
		Postings: []store.Posting{{Account: store.AccountUnmatched, Asset: store.TON.Symbol, Amount: -total}, {Account: store.UserAccount(uid), Asset: store.TON.Symbol, Amount: total}}})
	must(r.t, err)
	r.chain.Fund(r.hot, uint64(int64(total)+extra))
	out := make([]payout, len(amounts))
	for i, a := range amounts {
		d := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", r.dbPath, tag, i))
		out[i] = payout{dest: address.NewAddress(0, 0, d[:]), amount: a}
		w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: uid, IdemKey: fmt.Sprint(tag, i), Asset: store.TON.Symbol,
			Amount: a, Fee: fee, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(out[i].dest, true)})
		must(r.t, err)
		out[i].id = w.ID
	}
	return out
}

func quiet() *slog.Logger {
	if os.Getenv("TONPAY_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// waitFor waits until ok, failing the test after limit (stretched by
// waitScale).
func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	limit *= waitScale
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPayerExpiredWhileDown: the payer stops after reserving a batch (never
// sent, or sent and lost), the batch's lifetime passes while it is down, and
// a new payer on the same database re-issues it under a new query id: paid
// once. The hot wallet is deployed first, so processed? runs on the contract.
func TestPayerExpiredWhileDown(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		step string
		drop bool
	}{
		{"never sent", ton.StepPersisted, false},
		{"sent and lost", ton.StepSent, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t)
			r.chain.AutoMine(200 * time.Millisecond)
			db := r.open()
			defer db.Close()
			warm := r.queueTON(db, "warm", 0, 5*tonUnit, tonUnit)
			if err := r.runPayer(db, r.payer(db, nil), warm, 30*time.Second); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			before := r.externals()

			want := r.queueTON(db, "late", 10_000_000, 0, 2*tonUnit, 3*tonUnit, 4*tonUnit)
			r.chain.DropExternals(tt.drop)
			crash := errors.New("down")
			var hits atomic.Int32
			fp := func(s string) error {
				if s == tt.step && hits.Add(1) == 1 {
					return crash
				}
				return nil
			}
			if err := r.runPayer(db, r.payer(db, fp), want, 30*time.Second); !errors.Is(err, crash) {
				t.Fatalf("first run ended with %v, want the crash", err)
			}
			r.chain.Advance(time.Duration(ton.HotMessageTTL+60) * time.Second)
			r.blocks(2) // a block on the new clock
			r.chain.DropExternals(false)

			p := r.payer(db, nil)
			if err := r.runPayer(db, p, want, 30*time.Second); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			r.checkPaidOnce(db, append(warm, want...))
			if n := r.externals() - before; n != 1 {
				t.Fatalf("%d externals for the late batch, want only the re-issued one", n)
			}
			bs, err := db.Batches(context.Background(), store.BatchExpired)
			must(t, err)
			if len(bs) != 1 || len(bs[0].Withdrawals) != len(want) {
				t.Fatalf("%d expired batches, want one with the %d late withdrawals", len(bs), len(want))
			}
			if f, net := balance(t, db, store.AccountFees, store.TON.Symbol), r.networkFees(); f != 3*10_000_000-net {
				t.Fatalf("fees account %d, want the three fees less the %d the network took", f, net)
			}
			r.checkHot(db)
		})
	}
}

// TestPayerSkippedMessage: the hot wallet holds just enough by the payer's
// reckoning but not for the real fees, so the chain skips the batch's last
// message. The skipped withdrawal is queued again (the payer then pauses for
// funds and pays after a top-up), or after MaxSkips skips failed and
// refunded in full.
func TestPayerSkippedMessage(t *testing.T) {
	t.Parallel()
	for _, maxSkips := range []int{3, 1} {
		t.Run(fmt.Sprint("max skips ", maxSkips), func(t *testing.T) {
			ctx := context.Background()
			r := newRig(t)
			r.chain.AutoMine(200 * time.Millisecond)
			db := r.open()
			defer db.Close()
			const fee = 1_000_000
			// The hot wallet gets the amounts and 0.1 mTON: the payer reckons
			// 1 nanoton of fee a message, but the network takes 0.1 mTON a
			// transaction and 0.3 mTON a message (tontest's flat fees).
			want := r.queueTON(db, "tight", fee, -2*fee+100_000, tonUnit, tonUnit+1)
			p := r.service(db, nil, svcOpts{payer: ton.PayerConfig{Reserve: 1, MessageFee: 1}, maxSkips: maxSkips})
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- p.Run(runCtx) }()
			defer func() { cancel(); <-done }()

			status := func(id int64) string {
				w, err := db.Withdrawal(ctx, id)
				must(t, err)
				return w.Status
			}
			waitFor(t, 20*time.Second, "first batch settled", func() bool {
				bs, err := db.Batches(ctx, store.BatchConfirmed)
				must(t, err)
				return len(bs) == 1
			})
			var paid, skipped payout
			switch {
			case status(want[0].id) == store.WithdrawalConfirmed:
				paid, skipped = want[0], want[1]
			case status(want[1].id) == store.WithdrawalConfirmed:
				paid, skipped = want[1], want[0]
			default:
				t.Fatalf("neither withdrawal paid by the first batch: %s, %s", status(want[0].id), status(want[1].id))
			}
			if _, n := r.received(skipped.dest); n != 0 {
				t.Fatalf("the skipped withdrawal's destination got %d transfers", n)
			}
			if maxSkips == 1 {
				waitFor(t, 10*time.Second, "refunded", func() bool { return status(skipped.id) == store.WithdrawalRefunded })
				w, err := db.Withdrawal(ctx, skipped.id)
				must(t, err)
				uid := w.UserID
				if b := balance(t, db, store.UserAccount(uid), store.TON.Symbol); b != skipped.amount+fee {
					t.Fatalf("user balance %d after the refund, want amount and fee back (%d)", b, skipped.amount+fee)
				}
				r.blocks(5)
				if _, n := r.received(skipped.dest); n != 0 || p.batches() != 1 {
					t.Fatalf("a failed withdrawal was sent again: %d transfers, %d batches", n, p.batches())
				}
			} else {
				// Back in the queue, and the wallet cannot cover it: paused.
				waitFor(t, 10*time.Second, "paused", func() bool { return p.Paused() != "" })
				if g := p.metric("tonpay_payer_paused"); g != 1 {
					t.Fatalf("paused gauge %v", g)
				}
				if s := status(skipped.id); s != store.WithdrawalQueued {
					t.Fatalf("skipped withdrawal is %s, want queued", s)
				}
				r.chain.Fund(r.hot, tonUnit)
				waitFor(t, 20*time.Second, "skipped withdrawal paid", func() bool { return status(skipped.id) == store.WithdrawalConfirmed })
				r.checkPaidOnce(db, want)
				waitFor(t, 5*time.Second, "resumed", func() bool { return p.Paused() == "" })
				if g := p.metric("tonpay_payer_paused"); g != 0 {
					t.Fatalf("paused gauge %v after resuming", g)
				}
			}
			if sum, n := r.received(paid.dest); n != 1 || sum != paid.amount {
				t.Fatalf("paid destination got %d in %d transfers", sum, n)
			}
			if h := balance(t, db, store.AccountHold, store.TON.Symbol); h != 0 {
				t.Fatalf("hold %d", h)
			}
			storetest.Audit(t, db)
		})
	}
}

// TestPayerLedgerMatchesChain runs the scanner beside the payer: users
// deposit TON and USDT through real wallets, withdraw both (TON and jettons
// in the same batch, TON fees), and once everything settled the ledger's hot
// wallet equals the chain's to the nanoton and the unit, the hold is empty,
// the users' balances are exact, and the fees account holds the fees charged
// less what the network took.
func TestPayerLedgerMatchesChain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()

	const users = 4
	comments := make([]string, users)
	for i := range users {
		u, err := db.UpsertUser(ctx, store.User{ID: int64(i + 1)})
		must(t, err)
		comments[i] = u.Comment
	}
	sender := r.wallet(1000)
	r.usdt.Mint(sender.Address(), big.NewInt(1_000_000_000))
	must(t, sender.Send(r.hot, 3*tonUnit, "", false)) // the operator's float: unmatched
	r.chain.Mine()
	for i := range users {
		must(t, sender.Send(r.hot, uint64(10+i)*tonUnit, comments[i], false))
	}
	must(t, sender.SendJetton(r.usdt, r.hot, big.NewInt(50_000_000), 1, comments[0]))

	p := r.payer(db, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "deposits credited", func() bool {
		return balance(t, db, store.UserAccount(int64(users)), store.TON.Symbol) > 0 && balance(t, db, store.UserAccount(1), "USDT") > 0
	})

	// Hold payouts (as an admin's /pause would) while the withdrawals are
	// queued, so that one batch carries them all.
	must(t, db.PausePayouts(ctx, store.AdminActor(1, ""), "queueing"))
	const fee = 20_000_000
	const jettonFee = 60_000_000
	var want []payout
	spent := make([]store.Amount, users)
	for i := range users {
		for k := range 3 {
			amount := store.Amount(tonUnit + i*100_000_000 + k*7)
			d := sha256.Sum256(fmt.Appendf(nil, "ledger/%d/%d", i, k))
			dest := address.NewAddress(0, 0, d[:])
			w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: int64(i + 1), IdemKey: fmt.Sprint("t", k), Asset: store.TON.Symbol,
				Amount: amount, Fee: fee, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(dest, true), Comment: fmt.Sprint("payout ", k)})
			must(t, err)
			want = append(want, payout{id: w.ID, dest: dest, amount: amount})
			spent[i] += amount + fee
		}
	}
	jdest := r.wallet(1)
	jw, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 1, IdemKey: "j", Asset: "USDT", Amount: 12_345_678,
		Fee: jettonFee, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(jdest.Address(), true)})
	must(t, err)
	spent[0] += jettonFee

	all := append(append([]payout(nil), want...), payout{id: jw.ID})
	if _, was, err := db.ResumePayouts(ctx, store.AdminActor(1, "")); err != nil || !was {
		t.Fatalf("resume: %v %v", was, err)
	}
	waitFor(t, 60*time.Second, "all paid", func() bool { return r.settled(db, all) })
	if n := r.externals(); n != 1 {
		t.Fatalf("%d externals, want one batch for %d withdrawals", n, len(all))
	}
	// Let the jetton transfer's excesses come home, then let the follower
	// book everything up to the head.
	r.blocks(5)
	r.chain.AutoMine(0)
	stop()
	r.chain.Mine()
	r.catchUp(p.f)

	r.checkPaidOnce(db, want)
	got, err := db.Withdrawal(ctx, jw.ID)
	must(t, err)
	if got.Status != store.WithdrawalConfirmed {
		t.Fatalf("jetton withdrawal %s (%s)", got.Status, got.Error)
	}
	if b := r.usdt.BalanceOf(jdest.Address()); b.Int64() != 12_345_678 {
		t.Fatalf("jetton destination holds %v", b)
	}
	for i := range users {
		if b, w := balance(t, db, store.UserAccount(int64(i+1)), store.TON.Symbol), store.Amount(10+i)*tonUnit-spent[i]; b != w {
			t.Fatalf("user %d TON %d, want %d", i+1, b, w)
		}
	}
	if b := balance(t, db, store.UserAccount(1), "USDT"); b != 50_000_000-12_345_678 {
		t.Fatalf("user 1 USDT %d", b)
	}
	if h := balance(t, db, store.AccountHold, "USDT"); h != 0 {
		t.Fatalf("USDT hold %d", h)
	}
	// The ledger's hot wallet equals the chain's, exactly (TON and USDT):
	// every nanoton the payer sent and every network fee is booked.
	r.checkHot(db)
	// Only the operator's float is unmatched: the payer's own messages to
	// itself (internal_transfer) are not deposits.
	if u := balance(t, db, store.AccountUnmatched, store.TON.Symbol); u != 3*tonUnit {
		t.Fatalf("unmatched TON %d, want the 3 TON float only", u)
	}
	charged := store.Amount(len(want))*fee + jettonFee
	fees := balance(t, db, store.AccountFees, store.TON.Symbol)
	if fees >= charged || fees < charged-100_000_000 {
		t.Fatalf("fees account %d: want the %d charged less the network's share", fees, charged)
	}
}

// TestPayerWaitsForAHeadPastExpiry: the liteserver's clock says a lost
// batch expired, but its newest block is older than the expiry (a node
// behind the network looks like this): the payer must not judge the batch
// from that head. Once a block dated past the expiry exists, it re-issues.
func TestPayerWaitsForAHeadPastExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	want := r.queueTON(db, "stale", 0, 5*tonUnit, tonUnit, 2*tonUnit)
	r.chain.DropExternals(true)
	p := r.payer(db, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 10*time.Second, "batch sent", func() bool { return p.sends() > 0 })

	r.chain.AutoMine(0)
	r.chain.Advance(time.Duration(ton.HotMessageTTL+60) * time.Second)
	time.Sleep(2 * time.Second)
	bs, err := db.Batches(ctx, store.BatchExpired)
	must(t, err)
	if len(bs) != 0 {
		t.Fatalf("%d batches judged expired from a head older than their expiry", len(bs))
	}
	if n := p.batches(); n != 1 {
		t.Fatalf("%d batches signed before the head passed the expiry", n)
	}

	r.chain.DropExternals(false)
	r.chain.AutoMine(200 * time.Millisecond)
	waitFor(t, 20*time.Second, "re-issued and paid", func() bool { return r.settled(db, want) })
	r.checkPaidOnce(db, want)
	if n := r.externals(); n != 1 {
		t.Fatalf("%d externals, want the re-issued one", n)
	}
}
