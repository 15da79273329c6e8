package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func starsPolicy(db *store.DB) *store.Policy {
	return store.NewPolicy(db, store.Rules{Packages: []store.Package{
		{Name: "starter", Asset: store.TON.Symbol, Price: 1_500_000_000, Credits: 100},
		{Name: "starter", Asset: "XTR", Price: 150, Credits: 100},
		{Name: "pro", Asset: "XTR", Price: 500, Credits: 1000, Period: store.StarsSubscriptionPeriod},
	}})
}

func eventsOf(t *testing.T, db *store.DB, typ string) []store.Event {
	t.Helper()
	evs, err := db.DueEvents(context.Background(), store.TopicBot, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Event
	for _, e := range evs {
		if string(e.Type) == typ {
			out = append(out, e)
		}
	}
	return out
}

func TestStarsPayloadRoundTrip(t *testing.T) {
	p := store.StarsPayload{UserID: 42, Price: 150, Credits: 100, Period: 0, Package: "starter"}
	if s := p.String(); s != "xtr1:42:150:100:0:starter" || len(s) > 128 {
		t.Fatalf("payload %q", s)
	}
	got, ok := store.ParseStarsPayload(p.String())
	if !ok || got != p {
		t.Fatalf("parsed %+v %v", got, ok)
	}
	for _, bad := range []string{"", "xtr1:42:150:100:0:", "xtr2:42:150:100:0:x", "xtr1:0:150:100:0:x", "xtr1:42:-1:100:0:x", "xtr1:a:1:1:0:x"} {
		if _, ok := store.ParseStarsPayload(bad); ok {
			t.Fatalf("%q parsed", bad)
		}
	}
}

func TestStarsCheckout(t *testing.T) {
	pol := starsPolicy(storetest.Open(t))
	inv, err := pol.StarsInvoice(42, "starter")
	if err != nil || inv.Package.Price != 150 || inv.Package.Asset != "XTR" {
		t.Fatalf("invoice %+v %v", inv, err)
	}
	if _, err := pol.StarsInvoice(42, "nope"); !errors.Is(err, &store.Refusal{Code: store.RefuseUnknownPackage}) {
		t.Fatalf("unknown package invoice: %v", err)
	}
	changed := store.StarsPayload{UserID: 42, Price: 120, Credits: 100, Package: "starter"}.String()
	gone := store.StarsPayload{UserID: 42, Price: 150, Credits: 100, Package: "gone"}.String()
	for _, tt := range []struct {
		name, payload, currency string
		user, total             int64
		code                    string
	}{
		{"ok", inv.Payload, "XTR", 42, 150, ""},
		{"changed price", changed, "XTR", 42, 120, store.RefusePriceChanged},
		{"total differs", inv.Payload, "XTR", 42, 149, store.RefusePriceChanged},
		{"unknown package", gone, "XTR", 42, 150, store.RefuseUnknownPackage},
		{"other user", inv.Payload, "XTR", 43, 150, store.RefuseNotYourInvoice},
		{"currency", inv.Payload, "USD", 42, 150, store.RefuseWrongCurrency},
		{"not ours", "hello", "XTR", 42, 150, store.RefuseBadPayload},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := pol.StarsCheckout(tt.user, tt.payload, tt.currency, tt.total)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if r, ok := store.AsRefusal(err); !ok || r.Code != tt.code {
				t.Fatalf("got %v, want %s", err, tt.code)
			}
		})
	}
	// A package sold for Stars only is not bought from a balance.
	if _, _, err := pol.Buy(context.Background(), 42, "pro", "k"); !errors.Is(err, &store.Refusal{Code: store.RefuseStarsOnly}) {
		t.Fatalf("buy pro from the balance: %v", err)
	}
}

func TestStarPaymentBookedOnce(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	pol := starsPolicy(db)
	inv, _ := pol.StarsInvoice(42, "starter")
	n := store.NewStarPayment{ChargeID: "ch1", UserID: 42, Amount: 150, Payload: inv.Payload}
	p, created, err := pol.StarsPaid(ctx, "XTR", n)
	if err != nil || !created || p.Status != store.StarPaid || p.Credits != 100 || p.Package != "starter" {
		t.Fatalf("book: %+v %v %v", p, created, err)
	}
	again, created, err := pol.StarsPaid(ctx, "XTR", n)
	if err != nil || created || again.TransferID != p.TransferID {
		t.Fatalf("redelivered: %+v %v %v", again, created, err)
	}
	if b := bal(t, db, store.UserAccount(42), "CREDITS"); b != 100 {
		t.Fatalf("credits %d after a redelivered payment", b)
	}
	if b := bal(t, db, store.AccountStarsRevenue, "XTR"); b != 150 {
		t.Fatalf("revenue %d", b)
	}
	if b := bal(t, db, store.AccountStarsTelegram, "XTR"); b != -150 {
		t.Fatalf("telegram:stars %d", b)
	}
	if evs := eventsOf(t, db, "stars.paid"); len(evs) != 1 || evs[0].UserID != 42 {
		t.Fatalf("stars.paid events %+v", evs)
	}
	if _, _, err := pol.StarsPaid(ctx, "USD", store.NewStarPayment{ChargeID: "x", UserID: 42, Amount: 1}); !errors.Is(err, &store.Refusal{Code: store.RefuseWrongCurrency}) {
		t.Fatalf("USD: %v", err)
	}
	// A payload that is not ours: the Stars are booked, no credits.
	p2, _, err := pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: "ch2", UserID: 42, Amount: 7, Payload: "foreign"})
	if err != nil || p2.Credits != 0 || p2.Package != "" {
		t.Fatalf("foreign payload: %+v %v", p2, err)
	}
	if b := bal(t, db, store.AccountStarsRevenue, "XTR"); b != 157 {
		t.Fatalf("revenue %d", b)
	}
	storetest.Audit(t, db)
}

func TestStarRefund(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	pol := starsPolicy(db)
	inv, _ := pol.StarsInvoice(42, "starter")
	if _, _, err := pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: "ch1", UserID: 42, Amount: 150, Payload: inv.Payload}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	refund := func(context.Context, store.StarPayment) error { calls++; return nil }

	// Spend 1 credit: the refund would take back 100 of 99 and is refused
	// before Telegram is asked.
	spend := store.Transfer{Key: "spend", Kind: store.TransferPurchase, Postings: []store.Posting{
		{Account: store.UserAccount(42), Asset: "CREDITS", Amount: -1}, {Account: store.AccountIssued, Asset: "CREDITS", Amount: 1}}}
	if _, err := db.Post(ctx, spend); err != nil {
		t.Fatal(err)
	}
	_, err := pol.RefundStars(ctx, "ch1", "admin:1", refund)
	r, ok := store.AsRefusal(err)
	if !ok || r.Code != store.RefuseCreditsSpent || r.Need != 100 || r.Have != 99 || calls != 0 {
		t.Fatalf("refund of spent credits: %v (calls %d)", err, calls)
	}
	if p, _ := db.StarPayment(ctx, "ch1"); p.Status != store.StarPaid {
		t.Fatalf("status %s after a refused refund", p.Status)
	}
	// Telegram refusing leaves everything as it was.
	tgErr := errors.New("CHARGE_NOT_FOUND")
	if _, err := db.Post(ctx, store.Transfer{Key: "give", Kind: store.TransferAdjustment, Postings: []store.Posting{
		{Account: store.AccountIssued, Asset: "CREDITS", Amount: -1}, {Account: store.UserAccount(42), Asset: "CREDITS", Amount: 1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pol.RefundStars(ctx, "ch1", "admin:1", func(context.Context, store.StarPayment) error { return tgErr }); !errors.Is(err, tgErr) {
		t.Fatalf("telegram refused: %v", err)
	}
	if b := bal(t, db, store.AccountStarsRevenue, "XTR"); b != 150 {
		t.Fatalf("revenue %d after a failed refund", b)
	}
	// The refund goes through and reverses exactly.
	res, err := pol.RefundStars(ctx, "ch1", "admin:1", refund)
	if err != nil || !res.Created || calls != 1 || res.Payment.Status != store.StarRefunded || res.Payment.Clawed != 100 || res.Payment.Shortfall != 0 {
		t.Fatalf("refund: %+v %v (calls %d)", res, err, calls)
	}
	if es, _ := db.AuditLog(ctx, store.AuditFilter{}); len(es) != 1 || es[0].Action != store.AuditStarsRefund || es[0].ActorID != 1 ||
		es[0].After != "refunded (100 credits taken back)" {
		t.Fatalf("audit of the refund: %+v", es)
	}
	for acc, want := range map[[2]string]store.Amount{
		{store.UserAccount(42), "CREDITS"}:  0,
		{store.AccountStarsRevenue, "XTR"}:  0,
		{store.AccountStarsTelegram, "XTR"}: 0,
		{store.AccountIssued, "CREDITS"}:    0,
	} {
		if b := bal(t, db, acc[0], acc[1]); b != want {
			t.Fatalf("%s %s = %d, want %d", acc[0], acc[1], b, want)
		}
	}
	// Twice: refused, nothing posted, Telegram not asked.
	if _, err := pol.RefundStars(ctx, "ch1", "admin:1", refund); !errors.Is(err, &store.Refusal{Code: store.RefuseRefunded}) || calls != 1 {
		t.Fatalf("second refund: %v (calls %d)", err, calls)
	}
	// A refunded_payment update for it later changes nothing.
	if again, err := db.BookStarRefund(ctx, "ch1", "telegram"); err != nil || again.Created {
		t.Fatalf("redelivered refund: %+v %v", again, err)
	}
	if _, err := pol.RefundStars(ctx, "nope", "admin:1", refund); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown charge: %v", err)
	}
	storetest.Audit(t, db)
}

func TestStarRefundOutsideTheBotTakesBackWhatIsLeft(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	pol := starsPolicy(db)
	inv, _ := pol.StarsInvoice(42, "starter")
	if _, _, err := pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: "ch1", UserID: 42, Amount: 150, Payload: inv.Payload}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Post(ctx, store.Transfer{Key: "spend", Kind: store.TransferPurchase, Postings: []store.Posting{
		{Account: store.UserAccount(42), Asset: "CREDITS", Amount: -60}, {Account: store.AccountIssued, Asset: "CREDITS", Amount: 60}}}); err != nil {
		t.Fatal(err)
	}
	res, err := db.BookStarRefund(ctx, "ch1", "telegram")
	if err != nil || !res.Created || res.Payment.Clawed != 40 || res.Payment.Shortfall != 60 {
		t.Fatalf("support refund: %+v %v", res, err)
	}
	if b := bal(t, db, store.UserAccount(42), "CREDITS"); b != 0 {
		t.Fatalf("credits %d", b)
	}
	if b := bal(t, db, store.AccountStarsRevenue, "XTR"); b != 0 {
		t.Fatalf("revenue %d", b)
	}
	if evs := eventsOf(t, db, "stars.refund_shortfall"); len(evs) != 1 || evs[0].UserID != 0 {
		t.Fatalf("admins not told of the shortfall: %+v", evs)
	}
	storetest.Audit(t, db)
}

func TestStarSubscriptionRenewals(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	pol := starsPolicy(db)
	inv, err := pol.StarsInvoice(42, "pro")
	if err != nil || inv.Package.Period != store.StarsSubscriptionPeriod {
		t.Fatalf("invoice %+v %v", inv, err)
	}
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	month := 30 * 24 * time.Hour
	pay := func(charge string, first bool, expires time.Time) bool {
		t.Helper()
		_, created, err := pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: charge, UserID: 42, Amount: 500, Payload: inv.Payload,
			Recurring: true, FirstRecurring: first, ExpiresAt: expires})
		if err != nil {
			t.Fatal(err)
		}
		return created
	}
	pay("s1", true, t0.Add(month))
	pay("s2", false, t0.Add(2*month))
	pay("s3", false, t0.Add(3*month))
	if pay("s3", false, t0.Add(3*month)) {
		t.Fatal("a redelivered renewal was booked again")
	}
	if b := bal(t, db, store.UserAccount(42), "CREDITS"); b != 3000 {
		t.Fatalf("credits %d after a subscription and two renewals", b)
	}
	sub, err := db.StarSubscription(ctx, 42, "pro")
	if err != nil || sub.ChargeID != "s1" || sub.LastCharge != "s3" || sub.Payments != 3 || !sub.ExpiresAt.Equal(t0.Add(3*month)) || sub.Canceled {
		t.Fatalf("subscription %+v %v", sub, err)
	}
	if evs := eventsOf(t, db, "stars.paid"); len(evs) != 3 {
		t.Fatalf("%d stars.paid events", len(evs))
	}
	if err := db.SetStarSubscriptionCanceled(ctx, 42, "pro", true); err != nil {
		t.Fatal(err)
	}
	if sub, _ := db.StarSubscription(ctx, 42, "pro"); !sub.Canceled || !sub.Active(t0.Add(2*month)) || sub.Active(t0.Add(4*month)) {
		t.Fatalf("canceled subscription %+v", sub)
	}
	if err := db.SetStarSubscriptionCanceled(ctx, 42, "nope", true); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancel unknown: %v", err)
	}
	storetest.Audit(t, db)
}

func TestFlagMissingStarPayments(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	pol := starsPolicy(db)
	inv, _ := pol.StarsInvoice(42, "starter")
	for _, c := range []string{"a", "b"} {
		if _, _, err := pol.StarsPaid(ctx, "XTR", store.NewStarPayment{ChargeID: c, UserID: 42, Amount: 150, Payload: inv.Payload}); err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(time.Hour)
	flagged, err := db.FlagMissingStarPayments(ctx, map[string]bool{"a": true}, later)
	if err != nil || len(flagged) != 1 || flagged[0].ChargeID != "b" {
		t.Fatalf("flagged %+v %v", flagged, err)
	}
	if again, _ := db.FlagMissingStarPayments(ctx, map[string]bool{"a": true}, later); len(again) != 0 {
		t.Fatalf("flagged twice: %+v", again)
	}
	if evs := eventsOf(t, db, "stars.missing"); len(evs) != 1 {
		t.Fatalf("%d stars.missing events", len(evs))
	}
	// Payments newer than the cutoff are not judged yet.
	if f, _ := db.FlagMissingStarPayments(ctx, map[string]bool{}, time.Now().Add(-time.Hour)); len(f) != 0 {
		t.Fatalf("young payment flagged: %+v", f)
	}
	if p, _ := db.StarPayment(ctx, "b"); p.MissingAt.IsZero() {
		t.Fatal("missing_at not set")
	}
	if _, err := db.FlagMissingStarPayments(ctx, map[string]bool{"a": true, "b": true}, later); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.StarPayment(ctx, "b"); !p.MissingAt.IsZero() {
		t.Fatal("listed again but still flagged")
	}
}
