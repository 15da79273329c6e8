package ton_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

// payout is one queued withdrawal and where it must arrive.
type payout struct {
	id     int64
	dest   *address.Address
	amount store.Amount
}

// queuePayouts credits users (as deposits would: the ledger's hot account
// and the chain's hot wallet grow together) and queues n withdrawals to n
// distinct fresh addresses. The hot wallet also gets spare TON for fees.
func (r *rig) queuePayouts(db *store.DB, n int) []payout {
	r.t.Helper()
	ctx := context.Background()
	const users = 10
	per := make([]store.Amount, users)
	var total store.Amount
	out := make([]payout, n)
	for i := range out {
		h := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(r.dbPath), uint64(i)))
		out[i] = payout{dest: address.NewAddress(0, 0, h[:]), amount: store.Amount(10_000_000 + i)}
		per[i%users] += out[i].amount
		total += out[i].amount
	}
	for u := range users {
		id := int64(1000 + u)
		_, err := db.UpsertUser(ctx, store.User{ID: id})
		must(r.t, err)
		if per[u] == 0 {
			continue
		}
		_, err = db.Post(ctx, store.Transfer{Key: fmt.Sprintf("fund-%d", id), Kind: "deposit", Ref: fmt.Sprintf("%064x", id),
			Postings: []store.Posting{{Account: store.AccountUnmatched, Asset: store.TON.Symbol, Amount: -per[u]}, {Account: store.UserAccount(id), Asset: store.TON.Symbol, Amount: per[u]}}})
		must(r.t, err)
	}
	r.chain.Fund(r.hot, uint64(total)+20*tonUnit)
	for i := range out {
		w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: int64(1000 + i%users), IdemKey: fmt.Sprint("w", i), Asset: store.TON.Symbol,
			Amount: out[i].amount, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(out[i].dest, true)})
		must(r.t, err)
		out[i].id = w.ID
	}
	return out
}

// runPayer runs a payer until every payout is settled or Run returns.
func (r *rig) runPayer(db *store.DB, p *svc, want []payout, limit time.Duration) error {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if r.settled(db, want) {
				cancel()
				return <-done
			}
		case <-ctx.Done():
			<-done
			return ctx.Err()
		}
	}
}

func (r *rig) settled(db *store.DB, want []payout) bool {
	ctx := context.Background()
	for _, w := range want {
		got, err := db.Withdrawal(ctx, w.id)
		must(r.t, err)
		if got.Status != store.WithdrawalConfirmed && got.Status != store.WithdrawalFailed && got.Status != store.WithdrawalRefunded {
			return false
		}
	}
	return true
}

// received sums what reached addr from the hot wallet on chain, and counts
// the transfers.
func (r *rig) received(addr *address.Address) (sum store.Amount, n int) {
	for _, tx := range r.chain.Transactions(addr) {
		in := tx.IO.In
		if in == nil || in.MsgType != tlb.MsgTypeInternal {
			continue
		}
		m := in.AsInternal()
		if m.SrcAddr.Equals(r.hot) {
			sum += store.Amount(m.Amount.Nano().Int64())
			n++
		}
	}
	return sum, n
}

// externals counts the external messages the hot wallet executed.
func (r *rig) externals() int {
	n := 0
	for _, tx := range r.chain.Transactions(r.hot) {
		if tx.IO.In != nil && tx.IO.In.MsgType == tlb.MsgTypeExternalIn {
			n++
		}
	}
	return n
}

// checkPaidOnce asserts each payout arrived exactly once with its amount,
// is confirmed, and the ledger holds nothing back.
func (r *rig) checkPaidOnce(db *store.DB, want []payout) {
	r.t.Helper()
	ctx := context.Background()
	for _, w := range want {
		sum, n := r.received(w.dest)
		if n != 1 || sum != w.amount {
			r.t.Fatalf("withdrawal %d: %d transfers totalling %d, want one of %d", w.id, n, sum, w.amount)
		}
		got, err := db.Withdrawal(ctx, w.id)
		must(r.t, err)
		if got.Status != store.WithdrawalConfirmed {
			r.t.Fatalf("withdrawal %d is %s", w.id, got.Status)
		}
	}
	if h := balance(r.t, db, store.AccountHold, store.TON.Symbol); h != 0 {
		r.t.Fatalf("hold account %d after every payout settled", h)
	}
	storetest.Audit(r.t, db)
}

func TestPayerPaysAThousandInFewExternals(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("1,000 payouts")
	}
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	want := r.queuePayouts(db, 1000)
	if err := r.runPayer(db, r.payer(db, nil), want, 120*time.Second); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	r.checkPaidOnce(db, want)
	if n := r.externals(); n > 4 {
		t.Fatalf("%d external messages for 1,000 withdrawals, want at most 4", n)
	}
}

func TestPayerCrashAtEachStepPaysOnce(t *testing.T) {
	t.Parallel()
	for _, step := range []string{ton.StepPersisted, ton.StepSent, "classify"} {
		t.Run(step, func(t *testing.T) {
			r := newRig(t)
			r.chain.AutoMine(200 * time.Millisecond)
			db := r.open()
			defer db.Close()
			want := r.queuePayouts(db, 30)
			crash := errors.New("crash at " + step)
			var hits atomic.Int32
			fp := func(s string) error {
				if s == step && hits.Add(1) == 1 {
					return crash
				}
				return nil
			}
			if err := r.runPayer(db, r.payer(db, fp), want, 60*time.Second); !errors.Is(err, crash) {
				t.Fatalf("first run ended with %v, want the crash", err)
			}
			// Restart on the same database: nothing is paid twice.
			if err := r.runPayer(db, r.payer(db, nil), want, 60*time.Second); err != nil && !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			r.checkPaidOnce(db, want)
		})
	}
}

func TestPayerResendsDroppedExternal(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	want := r.queuePayouts(db, 5)
	r.chain.DropExternals(true)
	p := r.payer(db, nil)
	go func() {
		p.waitSends(2, time.Minute) // sent, dropped, sent again
		r.chain.DropExternals(false)
	}()
	if err := r.runPayer(db, p, want, 60*time.Second); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	r.checkPaidOnce(db, want)
	if p.batches() != 1 || p.sends() < 2 {
		t.Fatalf("%d batches, %d sends: want one batch sent more than once", p.batches(), p.sends())
	}
}

func TestPayerReissuesExpiredUnprocessed(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	want := r.queuePayouts(db, 5)
	r.chain.DropExternals(true)
	p := r.payer(db, nil)
	go func() {
		p.waitSends(1, time.Minute)
		// The message's lifetime passes while the chain ignores it.
		r.chain.Advance(time.Duration(ton.HotMessageTTL+60) * time.Second)
		r.chain.WaitHead(context.Background(), r.chain.Head().SeqNo+2)
		r.chain.DropExternals(false)
	}()
	if err := r.runPayer(db, p, want, 60*time.Second); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	r.checkPaidOnce(db, want)
	if p.batches() < 2 {
		t.Fatalf("%d batches: want the batch re-issued under a new query id", p.batches())
	}
	if n := r.externals(); n != 1 {
		t.Fatalf("%d externals executed, want only the re-issued one", n)
	}
}

func TestPayerJettonWithdrawal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	// The hot wallet holds 100 USDT and some TON; the user has 40 USDT and
	// 1 TON for fees in the ledger.
	r.chain.Fund(r.hot, 5*tonUnit)
	r.usdt.Mint(r.hot, big.NewInt(100_000_000))
	_, err := db.UpsertUser(ctx, store.User{ID: 7})
	must(t, err)
	_, err = db.Post(ctx, store.Transfer{Key: "fund-7", Kind: "deposit", Ref: fmt.Sprintf("%064x", 7), Postings: []store.Posting{
		{Account: store.AccountUnmatched, Asset: "USDT", Amount: -40_000_000}, {Account: store.UserAccount(7), Asset: "USDT", Amount: 40_000_000},
		{Account: store.AccountUnmatched, Asset: store.TON.Symbol, Amount: -tonUnit}, {Account: store.UserAccount(7), Asset: store.TON.Symbol, Amount: tonUnit}}})
	must(t, err)
	dest := r.wallet(1)
	w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 7, IdemKey: "j1", Asset: "USDT", Amount: 12_345_678,
		Fee: 50_000_000, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(dest.Address(), true)})
	must(t, err)
	if b := balance(t, db, store.UserAccount(7), store.TON.Symbol); b != tonUnit-50_000_000 {
		t.Fatalf("the TON fee was not taken from the TON balance: %d", b)
	}
	// A jetton withdrawal whose TON fee the balance cannot cover is refused
	// and changes nothing.
	_, _, err = db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 7, IdemKey: "j2", Asset: "USDT", Amount: 1_000_000,
		Fee: 2 * tonUnit, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(dest.Address(), true)})
	if !errors.Is(err, store.ErrInsufficientFunds) {
		t.Fatalf("uncovered TON fee: %v", err)
	}
	if b := balance(t, db, store.UserAccount(7), "USDT"); b != 40_000_000-12_345_678 {
		t.Fatalf("USDT balance %d after the refused request", b)
	}

	p := r.payer(db, nil)
	want := []payout{{id: w.ID, dest: dest.Address(), amount: 12_345_678}}
	if err := r.runPayer(db, p, want, 60*time.Second); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	got, err := db.Withdrawal(ctx, w.ID)
	must(t, err)
	if got.Status != store.WithdrawalConfirmed {
		t.Fatalf("jetton withdrawal %s (%s)", got.Status, got.Error)
	}
	if b := r.usdt.BalanceOf(dest.Address()); b.Int64() != 12_345_678 {
		t.Fatalf("destination holds %v USDT units, want 12345678", b)
	}
	// The owner got the transfer_notification (forward_ton_amount 1 nanoton).
	notified := false
	for _, tx := range r.chain.Transactions(dest.Address()) {
		if in := tx.IO.In; in != nil && in.MsgType == tlb.MsgTypeInternal {
			m := in.AsInternal()
			if m.SrcAddr.Equals(r.usdt.WalletAddress(dest.Address())) && m.Body != nil {
				if op, err := m.Body.MustBeginParse().LoadUInt(32); err == nil && op == 0x7362d09c {
					notified = true
					if m.Amount.Nano().Int64() != 1 {
						t.Fatalf("notification carried %v nanoton, want 1", m.Amount.Nano())
					}
				}
			}
		}
	}
	if !notified {
		t.Fatal("no transfer_notification reached the destination")
	}
	if h := balance(t, db, store.AccountHold, "USDT"); h != 0 {
		t.Fatalf("USDT hold %d", h)
	}
	storetest.Audit(t, db)
}

func TestPayerPausesWhenTheHotWalletCannotCover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	_, err := db.UpsertUser(ctx, store.User{ID: 8})
	must(t, err)
	_, err = db.Post(ctx, store.Transfer{Key: "fund-8", Kind: "deposit", Ref: fmt.Sprintf("%064x", 8), Postings: []store.Posting{
		{Account: store.AccountUnmatched, Asset: store.TON.Symbol, Amount: -10 * tonUnit}, {Account: store.UserAccount(8), Asset: store.TON.Symbol, Amount: 10 * tonUnit}}})
	must(t, err)
	dest := address.NewAddress(0, 0, make([]byte, 32))
	w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: 8, IdemKey: "p1", Asset: store.TON.Symbol, Amount: 5 * tonUnit,
		FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(dest, true)})
	must(t, err)
	r.chain.Fund(r.hot, 2*tonUnit) // less than the queue needs

	p := r.payer(db, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("not within 20s: %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitUntil("paused", func() bool { return p.Paused() != "" })
	if n := r.externals(); n != 0 {
		t.Fatalf("%d externals sent while the wallet cannot cover the queue", n)
	}
	// The notice is written just after the pause is set: wait for it.
	notices := 0
	waitUntil("the admin notice of the pause", func() bool {
		evs, err := db.DueEvents(ctx, store.TopicBot, 100)
		must(t, err)
		notices = 0
		for _, e := range evs {
			if e.Type == "payer.paused" && e.UserID == 0 {
				notices++
			}
		}
		return notices > 0
	})
	if notices != 1 {
		t.Fatalf("%d admin notices of the pause, want 1", notices)
	}
	// Funds arrive: the payout goes out once and the pause ends.
	r.chain.Fund(r.hot, 10*tonUnit)
	waitUntil("paid", func() bool {
		got, err := db.Withdrawal(ctx, w.ID)
		must(t, err)
		return got.Status == store.WithdrawalConfirmed
	})
	if sum, n := r.received(dest); n != 1 || sum != 5*tonUnit {
		t.Fatalf("destination got %d in %d transfers", sum, n)
	}
	if p.Paused() != "" {
		t.Fatalf("still paused: %s", p.Paused())
	}
}

func TestPayerSweepsExcessToCold(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	r.chain.AutoMine(200 * time.Millisecond)
	db := r.open()
	defer db.Close()
	cold := address.NewAddress(0, 0, append(make([]byte, 31), 7))
	r.chain.Fund(r.hot, 30*tonUnit)
	p := r.service(db, nil, svcOpts{payer: ton.PayerConfig{HotWalletMax: 10 * tonUnit, Cold: cold}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if sum, _ := r.received(cold); sum > 0 {
			// What was above the maximum went, give or take the fees.
			if sum < 19*tonUnit || sum > 20*tonUnit {
				t.Fatalf("swept %d nanoton from 30 TON with a 10 TON maximum", sum)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing swept to cold storage within 20s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.blocks(7) // later passes must not sweep again
	if _, n := r.received(cold); n != 1 {
		t.Fatalf("%d sweeps, want 1", n)
	}
	if b := store.Amount(r.chain.Balance(r.hot)); b < 9*tonUnit || b > 10*tonUnit+tonUnit/10 {
		t.Fatalf("hot wallet left with %d", b)
	}
}
