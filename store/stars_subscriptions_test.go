package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func TestSubscriptionUpdatesBookedOnceAndNeverTouchCredits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	pol := starsPolicy(db)
	inv, err := pol.StarsInvoice(42, "pro")
	if err != nil {
		t.Fatal(err)
	}
	now := db.Now()
	expires := now.Add(10 * 24 * time.Hour)
	if _, _, err := pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: "s1", UserID: 42, Amount: 500, Payload: inv.Payload,
		Recurring: true, FirstRecurring: true, ExpiresAt: expires}); err != nil {
		t.Fatal(err)
	}
	status := func() string {
		t.Helper()
		s, err := db.StarSubscription(ctx, 42, "pro")
		if err != nil {
			t.Fatal(err)
		}
		return s.Status(db.Now())
	}
	book := func(id int64, change store.SubscriptionChange) store.SubscriptionUpdated {
		t.Helper()
		r, err := db.BookSubscriptionUpdate(ctx, store.SubscriptionUpdate{UpdateID: id, UserID: 42, Payload: inv.Payload, Change: change})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	steps := []struct {
		id      int64
		change  store.SubscriptionChange
		created bool
		outcome string
		status  string
		events  int // stars.subscription events so far
	}{
		{1, store.SubscriptionCanceled, true, store.SubUpdateChanged, store.SubCanceled, 1},
		{1, store.SubscriptionCanceled, false, store.SubUpdateSame, store.SubCanceled, 1}, // redelivered
		{2, store.SubscriptionCanceled, true, store.SubUpdateSame, store.SubCanceled, 1},  // said again: nothing to tell
		{3, store.SubscriptionRestored, true, store.SubUpdateChanged, store.SubActive, 2},
		{4, store.SubscriptionPaymentFailed, true, store.SubUpdateChanged, store.SubPaymentFailed, 3},
		{4, store.SubscriptionPaymentFailed, false, store.SubUpdateSame, store.SubPaymentFailed, 3},
		{5, store.SubscriptionCanceled, true, store.SubUpdateChanged, store.SubPaymentFailed, 4}, // failed outweighs canceled
		{6, store.SubscriptionRestored, true, store.SubUpdateChanged, store.SubActive, 5},
	}
	for _, s := range steps {
		r := book(s.id, s.change)
		if r.Created != s.created || r.Outcome != s.outcome || status() != s.status {
			t.Fatalf("update %d %s: created %v outcome %s status %s; want %v %s %s", s.id, s.change, r.Created, r.Outcome, status(),
				s.created, s.outcome, s.status)
		}
		if n := len(eventsOf(t, db, "stars.subscription")); n != s.events {
			t.Fatalf("update %d %s: %d events, want %d", s.id, s.change, n, s.events)
		}
		if b := bal(t, db, store.UserAccount(42), "CREDITS"); b != 1000 {
			t.Fatalf("update %d %s: credits %d, want the 1000 paid for", s.id, s.change, b)
		}
	}
	// A failed renewal, then the renewal paid after all: active again, the
	// period moved on, credits for it.
	book(7, store.SubscriptionPaymentFailed)
	if _, _, err := pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: "s2", UserID: 42, Amount: 500, Payload: inv.Payload,
		Recurring: true, ExpiresAt: expires.Add(30 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if st := status(); st != store.SubActive || bal(t, db, store.UserAccount(42), "CREDITS") != 2000 {
		t.Fatalf("after a paid renewal: %s", st)
	}
	// A failed subscription whose period ended is expired.
	book(8, store.SubscriptionPaymentFailed)
	if s, _ := db.StarSubscription(ctx, 42, "pro"); s.Status(expires.Add(31*24*time.Hour)) != store.SubExpired {
		t.Fatalf("after its end: %s", s.Status(expires.Add(31*24*time.Hour)))
	}
	// Not ours, or no such subscription: kept, nothing changes.
	for i, pl := range []string{"someone else's", store.StarsPayload{UserID: 42, Price: 500, Credits: 1000, Period: store.StarsSubscriptionPeriod, Package: "gone"}.String()} {
		r, err := db.BookSubscriptionUpdate(ctx, store.SubscriptionUpdate{UpdateID: int64(20 + i), UserID: 42, Payload: pl, Change: store.SubscriptionCanceled})
		if err != nil || r.Outcome != store.SubUpdateUnknown || !r.Created {
			t.Fatalf("unknown payload %q: %+v %v", pl, r, err)
		}
	}
	if st := status(); st != store.SubPaymentFailed {
		t.Fatalf("unknown updates changed the subscription: %s", st)
	}
	for _, bad := range []store.SubscriptionUpdate{{UpdateID: 30, UserID: 42, Payload: inv.Payload, Change: "paused"}, {UpdateID: 31, Payload: inv.Payload, Change: store.SubscriptionCanceled}} {
		if _, err := db.BookSubscriptionUpdate(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	storetest.Audit(t, db)
}
