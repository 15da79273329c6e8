package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// limitsRig is a store on a clock the test moves, and a rule book over it.
type limitsRig struct {
	t   *testing.T
	db  *store.DB
	mu  sync.Mutex
	now time.Time

	merchant int64
}

func newLimitsRig(t *testing.T) *limitsRig {
	t.Helper()
	r := &limitsRig{t: t, now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON, testUSDT}, Options: []store.Option{store.WithClock(func() time.Time {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.now
	})}})
	r.db = db
	for _, id := range []int64{1, 2} {
		if _, err := db.UpsertUser(ctx, store.User{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	m, _, err := db.CreateMerchant(ctx, "shop", "")
	if err != nil {
		t.Fatal(err)
	}
	r.merchant = m.ID
	return r
}

var testUSDT = store.Asset{Symbol: "USDT", Decimals: 6, Master: "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"}

const payTo = "0:1111111111111111111111111111111111111111111111111111111111111111"

func (r *limitsRig) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

func (r *limitsRig) policy(mod func(*store.Rules)) *store.Policy {
	rs := store.Rules{Assets: []store.Asset{store.TON, testUSDT},
		ParseDestination: func(s string) (store.Destination, error) {
			if !strings.HasPrefix(s, "0:") || len(s) != 66 {
				return store.Destination{}, errors.New("not an address")
			}
			return store.Destination{Raw: s, Display: s}, nil
		}}
	if mod != nil {
		mod(&rs)
	}
	return store.NewPolicy(r.db, rs)
}

func (r *limitsRig) fund(account, asset string, amt store.Amount) {
	r.t.Helper()
	if _, err := r.db.Post(context.Background(), deposit(fmt.Sprintf("fund-%s-%s-%d-%d", account, asset, amt, time.Now().UnixNano()), account, asset, amt)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *limitsRig) balance(account, asset string) store.Amount {
	r.t.Helper()
	b, err := r.db.Balance(context.Background(), account, asset)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func refusalOf(t *testing.T, err error, code string) *store.Refusal {
	t.Helper()
	rf, ok := store.AsRefusal(err)
	if !ok || rf.Code != code {
		t.Fatalf("got %v, want a %s refusal", err, code)
	}
	return rf
}

// Unset, the fee of a TON withdrawal covers what its payout costs on chain
// and the minimum is above the fee: dust cannot make the hot wallet pay.
func TestDefaultsCannotLoseMoney(t *testing.T) {
	r := newLimitsRig(t)
	p := r.policy(nil)
	ctx := context.Background()
	r.fund(store.UserAccount(1), store.TON.Symbol, 1_000_000_000)
	r.fund(store.UserAccount(1), "USDT", 1_000_000)
	for _, a := range []store.Asset{store.TON, testUSDT} {
		if p.Fee(a) < store.PayoutCost(a) {
			t.Fatalf("%s: default fee %d below the payout's cost %d", a.Symbol, p.Fee(a), store.PayoutCost(a))
		}
	}
	if len(p.FeeBelowCost()) != 0 {
		t.Fatalf("defaults below cost: %v", p.FeeBelowCost())
	}
	_, err := p.Quote(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "0.000000001", Destination: payTo})
	if rf := refusalOf(t, err, store.RefuseBelowMinimum); rf.Limit != store.DefaultTONMin || rf.Limit <= p.Fee(store.TON) {
		t.Fatalf("minimum %d, fee %d", rf.Limit, p.Fee(store.TON))
	}
	q, err := p.Quote(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "0.1", Destination: payTo})
	if err != nil || q.Fee != store.DefaultTONFee || q.Debit[store.TON.Symbol] != 110_000_000 {
		t.Fatalf("quote %+v %v", q, err)
	}
	q, err = p.Quote(ctx, store.WithdrawRequest{UserID: 1, Asset: "USDT", Amount: "0.5", Destination: payTo})
	if err != nil || q.Fee != store.DefaultJettonFee || q.Debit[store.TON.Symbol] != store.DefaultJettonFee {
		t.Fatalf("jetton quote %+v %v", q, err)
	}
	// A configured fee is the operator's (doctor warns of it), and below cost it is reported.
	low := r.policy(func(rs *store.Rules) { rs.WithdrawFee = map[string]store.Amount{store.TON.Symbol: 0} })
	if b := low.FeeBelowCost(); len(b) != 1 || b[0].Symbol != store.TON.Symbol || low.Fee(store.TON) != 0 {
		t.Fatalf("below cost: %v", b)
	}
}

// Ten withdrawals just below WITHDRAW_APPROVAL_ABOVE no longer avoid it:
// the rolling 24-hour total is judged.
func TestApprovalJudgesTheDaysTotal(t *testing.T) {
	r := newLimitsRig(t)
	p := r.policy(func(rs *store.Rules) {
		rs.ApprovalAbove = map[string]store.Amount{store.TON.Symbol: 10_000_000_000}
		rs.MaxQueuedWithdrawals = 100
	})
	ctx := context.Background()
	r.fund(store.UserAccount(1), store.TON.Symbol, 100_000_000_000)
	var statuses []string
	for i := range 12 {
		req := store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "0.99", Destination: payTo}
		q, err := p.Quote(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		w, _, err := p.Withdraw(ctx, req, fmt.Sprint("k", i))
		if err != nil {
			t.Fatal(err)
		}
		if q.NeedsApproval != (w.Status == store.WithdrawalAwaitingApproval) {
			t.Fatalf("withdrawal %d: the quote said approval %v, the request is %s", i, q.NeedsApproval, w.Status)
		}
		statuses = append(statuses, w.Status)
	}
	// 10 × 0.99 = 9.9; the 11th makes 10.89 > 10.
	for i, s := range statuses {
		want := store.WithdrawalQueued
		if i >= 10 {
			want = store.WithdrawalAwaitingApproval
		}
		if s != want {
			t.Fatalf("withdrawal %d is %s, want %s (all: %v)", i, s, want, statuses)
		}
	}
	// A day later the window is empty again.
	r.advance(store.WithdrawalWindow + time.Millisecond)
	w, _, err := p.Withdraw(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "0.99", Destination: payTo}, "later")
	if err != nil || w.Status != store.WithdrawalQueued {
		t.Fatalf("a day later: %s %v", w.Status, err)
	}
	// One request above the threshold waits as before.
	w, _, err = p.Withdraw(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "11", Destination: payTo}, "big")
	if err != nil || w.Status != store.WithdrawalAwaitingApproval {
		t.Fatalf("one big one: %s %v", w.Status, err)
	}
}

func TestDailyCapRefusesAndMovesNothing(t *testing.T) {
	r := newLimitsRig(t)
	p := r.policy(func(rs *store.Rules) {
		rs.DailyCap = map[string]store.Amount{store.TON.Symbol: 5_000_000_000}
		rs.WithdrawFee = map[string]store.Amount{store.TON.Symbol: 10_000_000}
	})
	ctx := context.Background()
	acct := store.UserAccount(1)
	r.fund(acct, store.TON.Symbol, 100_000_000_000)
	if _, _, err := p.Withdraw(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "3", Destination: payTo}, "a"); err != nil {
		t.Fatal(err)
	}
	before := r.balance(acct, store.TON.Symbol)
	req := store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "2.5", Destination: payTo}
	_, qerr := p.Quote(ctx, req)
	_, _, err := p.Withdraw(ctx, req, "b")
	for _, e := range []error{qerr, err} {
		rf := refusalOf(t, e, store.RefuseDailyLimit)
		if rf.Limit != 5_000_000_000 || rf.Have != 3_000_000_000 || rf.Need != 2_500_000_000 ||
			!strings.Contains(rf.Message, "limited to 5 GRAM in 24 hours: 3 GRAM were withdrawn in the last 24 hours, so at most 2 GRAM more now") {
			t.Fatalf("refusal %+v", rf)
		}
	}
	if r.balance(acct, store.TON.Symbol) != before {
		t.Fatal("a refused withdrawal moved money")
	}
	// Exactly up to the cap is fine.
	if _, _, err := p.Withdraw(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "2", Destination: payTo}, "c"); err != nil {
		t.Fatal(err)
	}
	// Merchants' payouts are not capped per day.
	r.fund(store.MerchantAccount(r.merchant), store.TON.Symbol, 100_000_000_000)
	if _, _, err := p.Withdraw(ctx, store.WithdrawRequest{MerchantID: r.merchant, Asset: store.TON.Symbol, Amount: "50", Destination: payTo}, "m"); err != nil {
		t.Fatal(err)
	}
	storetest.Audit(t, r.db)
}

func TestQueuedWithdrawalsAreBounded(t *testing.T) {
	r := newLimitsRig(t)
	p := r.policy(func(rs *store.Rules) { rs.MaxQueuedWithdrawals = 3 })
	ctx := context.Background()
	r.fund(store.UserAccount(1), store.TON.Symbol, 100_000_000_000)
	req := store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "1", Destination: payTo}
	for i := range 3 {
		if _, _, err := p.Withdraw(ctx, req, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	before := r.balance(store.UserAccount(1), store.TON.Symbol)
	_, _, err := p.Withdraw(ctx, req, "3")
	if rf := refusalOf(t, err, store.RefuseTooManyWithdrawals); rf.Count != 3 || rf.MaxCount != 3 {
		t.Fatalf("refusal %+v", rf)
	}
	// A replay of an earlier key still answers the earlier withdrawal.
	if w, created, err := p.Withdraw(ctx, req, "0"); err != nil || created || w.Status != store.WithdrawalQueued {
		t.Fatalf("replay: %+v %v %v", w, created, err)
	}
	if r.balance(store.UserAccount(1), store.TON.Symbol) != before {
		t.Fatal("money moved")
	}
}

// Concurrent requests cannot both slip under a limit: the store decides
// each in the transaction that debits it, one writer at a time.
func TestConcurrentWithdrawalsMeetTheLimitsOnce(t *testing.T) {
	r := newLimitsRig(t)
	p := r.policy(func(rs *store.Rules) {
		rs.ApprovalAbove = map[string]store.Amount{store.TON.Symbol: 10_000_000_000}
		rs.DailyCap = map[string]store.Amount{store.TON.Symbol: 20_000_000_000}
		rs.WithdrawFee = map[string]store.Amount{store.TON.Symbol: 10_000_000}
		rs.MaxQueuedWithdrawals = 1000
	})
	ctx := context.Background()
	acct := store.UserAccount(1)
	r.fund(acct, store.TON.Symbol, 100_000_000_000)
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, _, err := p.Withdraw(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "1", Destination: payTo}, fmt.Sprint("c", i))
			k := w.Status
			if rf, ok := store.AsRefusal(err); ok {
				k = rf.Code
			} else if err != nil {
				k = err.Error()
			}
			mu.Lock()
			got[k]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if got[store.WithdrawalQueued] != 10 || got[store.WithdrawalAwaitingApproval] != 10 || got[store.RefuseDailyLimit] != 20 || len(got) != 3 {
		t.Fatalf("outcomes %v", got)
	}
	if b := r.balance(acct, store.TON.Symbol); b != 100_000_000_000-20*1_010_000_000 {
		t.Fatalf("balance %d", b)
	}
	storetest.Audit(t, r.db)
}

func TestOpenInvoicesAreBoundedAndReused(t *testing.T) {
	r := newLimitsRig(t)
	p := r.policy(func(rs *store.Rules) { rs.MaxOpenInvoices = 3 })
	ctx := context.Background()
	create := func(user int64, amount string) (store.Invoice, error) {
		n, _, err := p.NewInvoice(store.InvoiceRequest{UserID: user, Asset: store.TON.Symbol, Amount: amount, Description: "top-up", Typed: true})
		if err != nil {
			return store.Invoice{}, err
		}
		return r.db.CreateInvoice(ctx, n)
	}
	first, err := create(1, "1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := create(1, "1")
	if err != nil || again.ID != first.ID {
		t.Fatalf("the same invoice asked again: %s, first %s (%v)", again.ID, first.ID, err)
	}
	for _, a := range []string{"2", "3"} {
		if _, err := create(1, a); err != nil {
			t.Fatal(err)
		}
	}
	_, err = create(1, "4")
	if rf := refusalOf(t, err, store.RefuseTooManyInvoices); rf.Count != 3 || rf.MaxCount != 3 {
		t.Fatalf("refusal %+v", rf)
	}
	// Another user is not affected; a merchant's invoices are not bounded here.
	if _, err := create(2, "4"); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		n, _, err := p.NewInvoice(store.InvoiceRequest{MerchantID: r.merchant, Asset: store.TON.Symbol, Amount: fmt.Sprint(i + 1)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.db.CreateInvoice(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	// Past half its lifetime an invoice is not handed out again, and once
	// expired it no longer counts.
	ttl, _ := p.InvoiceTTL()
	r.advance(ttl/2 + time.Second)
	if _, err := create(1, "1"); err == nil {
		t.Fatal("a fourth invoice while three are open")
	}
	r.advance(ttl)
	fresh, err := create(1, "1")
	if err != nil || fresh.ID == first.ID {
		t.Fatalf("after expiry: %s %v", fresh.ID, err)
	}
}

// The machine faces read an amount as written; a person's "1,5" is 1.5 and
// "1,500" is refused with both readings.
func TestPolicyReadsAmountsByWhoWroteThem(t *testing.T) {
	r := newLimitsRig(t)
	p := r.policy(nil)
	for _, tt := range []struct {
		amount string
		typed  bool
		want   store.Amount
		code   string
	}{
		{"1.5", false, 1_500_000_000, ""},
		{"1,5", false, 0, store.RefuseInvalidAmount},
		{"1,500", false, 0, store.RefuseInvalidAmount},
		{" 1.5", false, 0, store.RefuseInvalidAmount},
		{"1,5", true, 1_500_000_000, ""},
		{"1,500", true, 0, store.RefuseAmbiguousAmount},
		{"1,000,000", true, 0, store.RefuseInvalidAmount},
		{"0", true, 0, store.RefuseInvalidAmount},
	} {
		n, _, err := p.NewInvoice(store.InvoiceRequest{UserID: 1, Asset: store.TON.Symbol, Amount: tt.amount, Typed: tt.typed})
		if tt.code == "" {
			if err != nil || n.Amount != tt.want {
				t.Fatalf("%q typed=%v: %d %v", tt.amount, tt.typed, n.Amount, err)
			}
			continue
		}
		rf := refusalOf(t, err, tt.code)
		if tt.code == store.RefuseAmbiguousAmount && (len(rf.Readings) != 2 || rf.Readings[0] != "1500" || rf.Readings[1] != "1.5") {
			t.Fatalf("readings %v", rf.Readings)
		}
		if tt.amount == "1,500" && !tt.typed && !strings.Contains(rf.Message, "write the amount with digits and a dot only, like 1500 or 1.5") {
			t.Fatalf("message %q", rf.Message)
		}
	}
}
