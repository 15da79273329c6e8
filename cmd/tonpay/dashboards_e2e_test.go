package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// dashHook is what the merchant's webhook endpoint received: the event and
// which of the secrets it knew at the time signed it (-1: none).
type dashHook struct {
	ID     int64
	Type   string
	Secret int
	Err    string
}

// dashMerchantSite plays the merchant's server for the dashboard test: its
// webhook endpoint (/hook) checks Tonpay-Signature against the secrets it
// was given (the first from `tonpay merchant add`, later ones POSTed to
// /secret by the driver after the owner rotates it in the page) and acks
// only what verifies. /pay is the customer: it pays a merchant invoice on
// chain (amount and comment as the service issued them).
type dashMerchantSite struct {
	srv  *httptest.Server
	db   *store.DB
	send func(inv store.Invoice) error

	mu      sync.Mutex
	secrets []string
	hooks   []dashHook
}

func (s *dashMerchantSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	switch r.URL.Path {
	case "/hook":
		h := dashHook{Secret: -1}
		var env struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &env); err != nil {
			h.Err = "body: " + err.Error()
		}
		h.ID, h.Type = env.ID, env.Type
		s.mu.Lock()
		if h.Err == "" {
			h.Secret, h.Err = verifyTonpaySignature(r.Header.Get("Tonpay-Signature"), body, s.secrets)
		}
		s.hooks = append(s.hooks, h)
		s.mu.Unlock()
		if h.Err != "" {
			http.Error(w, h.Err, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "/secret":
		var req struct{ Secret string }
		if err := json.Unmarshal(body, &req); err != nil || !strings.HasPrefix(req.Secret, "whsec_") {
			http.Error(w, "want {secret: whsec_...}", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.secrets = append(s.secrets, req.Secret)
		s.mu.Unlock()
		w.Write([]byte(`{}`))
	case "/pay":
		var req struct {
			MerchantID int64  `json:"merchant_id"`
			InvoiceID  string `json:"invoice_id"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		inv, err := s.db.MerchantInvoice(r.Context(), req.MerchantID, req.InvoiceID)
		if err != nil {
			http.Error(w, fmt.Sprintf("invoice %s of merchant %d: %v", req.InvoiceID, req.MerchantID, err), http.StatusNotFound)
			return
		}
		if err := s.send(inv); err != nil {
			http.Error(w, "paying: "+err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"amount": inv.Amount.Units(), "comment": inv.Comment})
	default:
		http.NotFound(w, r)
	}
}

func (s *dashMerchantSite) received() ([]dashHook, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]dashHook(nil), s.hooks...), append([]string(nil), s.secrets...)
}

// verifyTonpaySignature checks "t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>"
// as a merchant would: a fresh timestamp and a MAC by one of the secrets.
func verifyTonpaySignature(header string, body []byte, secrets []string) (int, string) {
	var ts, v1 string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = v
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || v1 == "" {
		return -1, "malformed Tonpay-Signature " + strconv.Quote(header)
	}
	if d := time.Since(time.Unix(t, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return -1, "stale Tonpay-Signature timestamp " + ts
	}
	got, err := hex.DecodeString(v1)
	if err != nil {
		return -1, "v1 is not hex"
	}
	for i, secret := range secrets {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(ts + "."))
		mac.Write(body)
		if hmac.Equal(mac.Sum(nil), got) {
			return i, ""
		}
	}
	return -1, fmt.Sprintf("signature matches none of the %d known secrets", len(secrets))
}

// TestDashboardsInBrowser drives the admin and merchant-owner dashboards
// of the Mini App in headless Chromium against the whole service on the
// offline chain:
//
//  1. an admin approves a withdrawal above WITHDRAW_APPROVAL_ABOVE and
//     watches it get paid (the destination receives it on chain);
//  2. the admin credits an unmatched deposit to a user, whose own page
//     shows the balance grow by exactly that amount (once, even when the
//     assignment is replayed);
//  3. a merchant owner (not an admin) creates an invoice, sees it paid on
//     chain and its webhook delivered (signed with the secret the merchant
//     got from `tonpay merchant add`), rotates the secret and redelivers
//     the event, which arrives again signed with the new one;
//  4. the admin overview and the merchant's invoice list in light and dark.
//
// Each change is in the audit log under the person who made it.
func TestDashboardsInBrowser(t *testing.T) {
	t.Parallel()
	started := time.Now()
	const (
		token   = "123456:E2E-dashboards"
		adminID = 777201
		userID  = 777202
		ownerID = 777203
	)
	e := newE2E(t, token, 200*time.Millisecond, map[string]string{
		"ADMIN_IDS":               strconv.Itoa(adminID),
		"WITHDRAW_APPROVAL_ABOVE": "TON:1",
		"WITHDRAW_FEE":            "TON:0.05",
		"WEBHOOKS_ALLOW_PRIVATE":  "true",
	})
	ctx := context.Background()
	chain, hot := e.chain, e.hot
	payer, stranger, dest := roleWallets(t, chain, 50_000_000_000)
	customer, err := chain.NewWallet(wallet.V4R2, 20_000_000_000)
	if err != nil {
		t.Fatal(err)
	}

	site := &dashMerchantSite{send: func(inv store.Invoice) error {
		return customer.Send(hot, uint64(inv.Amount), inv.Comment, false)
	}}
	site.srv = httptest.NewServer(site) // 127.0.0.1: needs WEBHOOKS_ALLOW_PRIVATE
	defer site.srv.Close()

	// The operator adds the merchant with its owner, as the README says.
	m := e.addMerchant("Coffee Lab", site.srv.URL+"/hook", strconv.Itoa(ownerID),
		regexp.MustCompile(`merchant (\d+) "Coffee Lab" created(?s:.*)webhook secret: (whsec_\S+)`))
	merchantID, _ := strconv.ParseInt(m[1], 10, 64)
	site.secrets = []string{m[2]}

	e.start()
	svc, db := e.svc, e.db
	site.db = db

	call := func(method, path string, as int64, body any, hdr ...string) (int, map[string]any) {
		t.Helper()
		return e.call(method, path, tma(t, token, as), body, hdr...)
	}
	fail := func(format string, a ...any) {
		t.Helper()
		t.Fatalf(format+"\nservice log:\n%s", append(a, svc.log())...)
	}

	// Everyone has opened the Mini App once; the owner sees its merchant,
	// not the admin dashboard.
	for _, id := range []int64{adminID, userID, ownerID} {
		if code, me := call("GET", "/api/me", id, nil); code != 200 {
			fail("me %d: %d %v", id, code, me)
		}
	}
	_, me := call("GET", "/api/me", ownerID, nil)
	if roles, _ := json.Marshal(me["roles"]); !strings.Contains(string(roles), `"admin":false`) ||
		!strings.Contains(string(roles), fmt.Sprintf(`"id":%d`, merchantID)) {
		fail("the owner's roles: %s", roles)
	}

	// 1. The user tops up 5 TON by comment and asks for 1.25 TON: above
	// the 1 TON threshold, it waits for an admin.
	_, me = call("GET", "/api/me", userID, nil)
	comment := me["deposit"].(map[string]any)["comment"].(string)
	if err := payer.Send(hot, 5_000_000_000, comment, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 45*time.Second, func() bool {
		b, _ := db.Balance(ctx, store.UserAccount(userID), store.TON.Symbol)
		return b == 5_000_000_000
	})
	wreq := map[string]any{"asset": "TON", "amount": "1.25", "address": ton.FormatAddress(dest.Address(), true)}
	code, created := call("POST", "/api/withdrawals", userID, wreq, "Idempotency-Key", "dash-w-1")
	if code != http.StatusCreated {
		fail("withdraw: %d %v", code, created)
	}
	wd := created["withdrawal"].(map[string]any)
	withdrawalID := fmt.Sprint(wd["id"])
	if wd["status"] != store.WithdrawalAwaitingApproval {
		fail("withdrawal above the threshold is %v", wd["status"])
	}
	destBefore := chain.Balance(dest.Address())

	// 2. Someone pays the hot wallet with a comment nobody issued.
	const strayComment = "e2e-no-such-invoice"
	const strayAmount = 700_000_000
	if err := stranger.Send(hot, strayAmount, strayComment, false); err != nil {
		t.Fatal(err)
	}
	var unmatchedID int64
	waitFor(t, 45*time.Second, func() bool {
		us, _ := db.UnmatchedDeposits(ctx, time.Now().Add(-time.Hour), 50)
		for _, u := range us {
			if u.Event.Comment == strayComment {
				unmatchedID = u.Event.ID
				return true
			}
		}
		return false
	})
	userBefore, _ := db.Balance(ctx, store.UserAccount(userID), store.TON.Symbol)
	if userBefore != 5_000_000_000-1_250_000_000-50_000_000 {
		fail("user balance with the withdrawal held: %d", userBefore)
	}

	// The page does the rest.
	const invoiceDescription = "Flat white x2"
	initData := func(id int64) string { return strings.TrimPrefix(tma(t, token, id), "tma ") }
	var res struct {
		OK              bool   `json:"ok"`
		WithdrawalShown string `json:"withdrawal_shown"`
		BalanceBefore   string `json:"balance_before"`
		BalanceAfter    string `json:"balance_after"`
		InvoiceID       string `json:"invoice_id"`
		EventID         string `json:"event_id"`
		NewSecret       string `json:"new_secret"`
		MerchantLight   string `json:"merchant_balance_light"`
		MerchantDark    string `json:"merchant_balance_dark"`
		Overview        struct {
			Users, Drift, Unmatched, Awaiting string
		} `json:"overview_dark"`
	}
	last, err := e.driver("dashboards.mjs", []string{"ADMIN_INIT=" + initData(adminID), "USER_INIT=" + initData(userID),
		"OWNER_INIT=" + initData(ownerID), "USER_ID=" + strconv.Itoa(userID), "WITHDRAWAL_ID=" + withdrawalID,
		"UNMATCHED_ID=" + strconv.FormatInt(unmatchedID, 10), "UNMATCHED_UNITS=" + strconv.Itoa(strayAmount),
		"MERCHANT_ID=" + strconv.FormatInt(merchantID, 10), "MERCHANT_SITE=" + site.srv.URL,
		"INVOICE_AMOUNT=2.5", "INVOICE_DESCRIPTION=" + invoiceDescription}, &res)
	if err != nil || !res.OK {
		fail("browser run failed (%v): %s", err, last)
	}
	t.Logf("dashboards e2e (driver): %s", last)

	// 1. Paid on chain, confirmed in the books, approved by the admin.
	wid, _ := strconv.ParseInt(withdrawalID, 10, 64)
	if w, err := db.Withdrawal(ctx, wid); err != nil || w.Status != store.WithdrawalConfirmed {
		fail("withdrawal %d after approval: %+v %v", wid, w, err)
	}
	if res.WithdrawalShown != "confirmed" {
		fail("the admin's withdrawal list says %q", res.WithdrawalShown)
	}
	// What the destination's own transaction took, as its phases booked it.
	var txFee uint64
	for _, tx := range chain.Transactions(dest.Address()) {
		if in := tx.IO.In; in != nil && in.MsgType == tlb.MsgTypeInternal && in.AsInternal().SrcAddr.Equals(hot) {
			txFee += tx.TotalFees.Coins.Nano().Uint64()
		}
	}
	if got := chain.Balance(dest.Address()) - destBefore; got != 1_250_000_000-txFee {
		fail("destination gained %d nanoton, want 1.25 TON less its own transaction fee", got)
	}
	var fromHot int
	for _, tx := range chain.Transactions(dest.Address()) {
		if in := tx.IO.In; in != nil && in.MsgType == tlb.MsgTypeInternal && in.AsInternal().SrcAddr.Equals(hot) {
			fromHot++
		}
	}
	if fromHot != 1 {
		fail("%d transfers from the hot wallet to the destination, want 1", fromHot)
	}

	// 2. Credited exactly once: replaying the assignment moves nothing; a
	// different resolution of it is refused.
	wantUser := userBefore + strayAmount
	if b, _ := db.Balance(ctx, store.UserAccount(userID), store.TON.Symbol); b != wantUser {
		fail("user balance %d after the assignment, want %d", b, wantUser)
	}
	if res.BalanceBefore != strconv.FormatInt(int64(userBefore), 10) || res.BalanceAfter != strconv.FormatInt(int64(wantUser), 10) {
		fail("the user's page showed %s then %s, want %d then %d", res.BalanceBefore, res.BalanceAfter, userBefore, wantUser)
	}
	assignPath := fmt.Sprintf("/api/admin/unmatched/%d/assign", unmatchedID)
	code, again := call("POST", assignPath, adminID, map[string]any{"user_id": userID})
	if code != http.StatusOK || again["resolution"] == nil {
		fail("replayed assignment: %d %v", code, again)
	}
	if code, other := call("POST", assignPath, adminID, map[string]any{"user_id": adminID}); code != http.StatusConflict {
		fail("assigning it to someone else: %d %v", code, other)
	}
	if code, _ := call("POST", assignPath, userID, map[string]any{"user_id": userID}); code != http.StatusForbidden {
		fail("a non-admin assigning: %d", code)
	}
	if b, _ := db.Balance(ctx, store.UserAccount(userID), store.TON.Symbol); b != wantUser {
		fail("user balance %d after the replay, want %d", b, wantUser)
	}
	if b, _ := db.Balance(ctx, store.AccountUnmatched, store.TON.Symbol); b != 0 {
		fail("unmatched account holds %d", b)
	}

	// 3. The invoice was paid and its event reached the merchant twice:
	// signed with the secret from `merchant add`, then, redelivered after
	// the rotation, with the new one.
	inv, err := db.MerchantInvoice(ctx, merchantID, res.InvoiceID)
	if err != nil || inv.Status != store.InvoicePaid || inv.Amount != 2_500_000_000 || inv.Description != invoiceDescription {
		fail("invoice %q: %+v %v", res.InvoiceID, inv, err)
	}
	if bals, err := db.MerchantBalances(ctx, merchantID); err != nil || bals[store.TON.Symbol] != 2_500_000_000 ||
		res.MerchantLight != "2500000000" || res.MerchantDark != "2500000000" {
		fail("merchant balance %v %v; its dashboard showed %s (light) and %s (dark)", bals, err, res.MerchantLight, res.MerchantDark)
	}
	hooks, secrets := site.received()
	if len(secrets) != 2 || secrets[1] != res.NewSecret || secrets[1] == secrets[0] {
		fail("secrets the merchant knows %q; the page showed %q", secrets, res.NewSecret)
	}
	if cur, _ := db.Merchant(ctx, merchantID); cur.WebhookSecret != res.NewSecret {
		fail("the service signs with another secret than the page showed")
	}
	var ofEvent []dashHook
	for _, h := range hooks {
		if h.Err != "" {
			fail("webhook refused by the merchant: %+v (all: %+v)", h, hooks)
		}
		if strconv.FormatInt(h.ID, 10) == res.EventID {
			ofEvent = append(ofEvent, h)
		}
	}
	if len(ofEvent) != 2 || ofEvent[0].Type != "invoice.paid" || ofEvent[0].Secret != 0 || ofEvent[1].Secret != 1 {
		fail("deliveries of event %s: %+v (all: %+v)", res.EventID, ofEvent, hooks)
	}

	// Every change is in the audit log under whoever made it.
	entries, err := db.AuditLog(ctx, store.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range entries {
		switch e.Action {
		case store.AuditApprove, store.AuditAssign:
			if e.ActorID != adminID || e.Role != store.RoleAdmin {
				fail("%s by %d (%s), want admin %d", e.Action, e.ActorID, e.Role, adminID)
			}
		case store.AuditInvoice, store.AuditWebhookSecret, store.AuditRedeliver:
			if e.ActorID != ownerID || e.Role != store.RoleOwner || e.MerchantID != merchantID {
				fail("%s by %d (%s) for merchant %d, want owner %d of %d", e.Action, e.ActorID, e.Role, e.MerchantID, ownerID, merchantID)
			}
		}
		count[e.Action]++
	}
	for _, a := range []string{store.AuditApprove, store.AuditAssign, store.AuditInvoice, store.AuditWebhookSecret, store.AuditRedeliver} {
		if count[a] != 1 {
			fail("%d audit entries %s, want 1 (all: %v)", count[a], a, count)
		}
	}

	// 4. The overview adds up (nothing left unmatched or awaiting, books
	// equal to the chain), and the screenshots are there.
	if o := res.Overview; o.Users != "4.4 GRAM" || o.Drift != "0" || o.Unmatched != "0 · 0 GRAM" || o.Awaiting != "0 · 0 GRAM" {
		fail("admin overview: %+v", o)
	}
	for _, name := range []string{"dashboard-overview-light", "dashboard-overview-dark", "merchant-invoices-light", "merchant-invoices-dark"} {
		if st, err := os.Stat(filepath.Join(e.root, "test-artifacts", "e2e", name+".png")); err != nil || st.Size() == 0 || st.ModTime().Before(started) {
			fail("screenshot %s: %v", name, err)
		}
	}
	if problems, err := db.Audit(ctx); err != nil || len(problems) > 0 {
		fail("ledger audit: %v %v", problems, err)
	}
}
