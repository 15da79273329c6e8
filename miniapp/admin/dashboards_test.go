package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/miniapp/admin"
	"github.com/tonpay/tonpay/miniapp/merchant"
	"github.com/tonpay/tonpay/miniapp/owner"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

const (
	token    = "7000000001:AAtonpay-test-token_for-dashboards"
	hotRaw   = "0:1111111111111111111111111111111111111111111111111111111111111111"
	adminID  = 1
	ownerID  = 10                                                 // owns merchant 1
	otherID  = 20                                                 // owns merchant 2
	userID   = 30                                                 // a plain user
	payoutTo = "0QAs9VlT6S776tq3unJcP5Ogsj-ELLunLXuOb1EKcOQi4-QO" // a testnet wallet address
)

type dash struct {
	t      *testing.T
	db     *store.DB
	ts     *httptest.Server
	shop   store.Merchant
	rival  store.Merchant
	shopTk string
}

func newDash(t *testing.T) *dash {
	t.Helper()
	ctx := context.Background()
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{store.TON, store.Credits}})
	hot, err := ton.ParseAddress(hotRaw, true)
	if err != nil {
		t.Fatal(err)
	}
	policy := store.NewPolicy(db, store.Rules{Assets: []store.Asset{store.TON},
		DepositMin:       map[string]store.Amount{store.TON.Symbol: 10_000_000},
		WithdrawFee:      map[string]store.Amount{store.TON.Symbol: 100_000_000},
		WithdrawMin:      map[string]store.Amount{store.TON.Symbol: 500_000_000},
		ApprovalAbove:    map[string]store.Amount{store.TON.Symbol: 10_000_000_000},
		ParseDestination: ton.Destinations(true),
		Own:              func() []string { return []string{hot.Bounce(true).StringRaw()} }})
	srv := miniapp.New(miniapp.Config{BotToken: token, Testnet: true, Hot: hot, Assets: []store.Asset{store.TON},
		Policy: policy, AdminIDs: []int64{adminID}, Limits: miniapp.Limits{IPPerSecond: -1, UserPerSecond: -1}}, db, nil)
	shop := merchant.New(merchant.Config{Testnet: true, DepositAddress: hot, Assets: []store.Asset{store.TON}, Policy: policy,
		BotUsername: "tonpay_bot", AppName: "app"}, db, nil)
	owner.New(shop, db).Register(srv.Authed("/merchant/:mid"))
	admin.New(admin.Config{AdminIDs: []int64{adminID}, Assets: []store.Asset{store.TON}, Testnet: true}, db, nil).
		Register(srv.Authed("/admin"))
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })

	d := &dash{t: t, db: db, ts: ts}
	for _, id := range []int64{adminID, ownerID, otherID, userID} {
		if _, err := db.UpsertUser(ctx, store.User{ID: id, Username: "u" + strconv.FormatInt(id, 10), FirstName: "U"}); err != nil {
			t.Fatal(err)
		}
	}
	if d.shop, d.shopTk, err = db.AddMerchant(ctx, store.Operator, "Shop", "https://shop.example/hook", []int64{ownerID}); err != nil {
		t.Fatal(err)
	}
	if d.rival, _, err = db.AddMerchant(ctx, store.Operator, "Rival", "", []int64{otherID}); err != nil {
		t.Fatal(err)
	}
	return d
}

func auth(t *testing.T, id int64) string {
	t.Helper()
	now := time.Now()
	qs := url.Values{"auth_date": {strconv.FormatInt(now.Unix(), 10)},
		"user": {fmt.Sprintf(`{"id":%d,"first_name":"U","username":"u%d","language_code":"en"}`, id, id)}}.Encode()
	hash, err := initdata.SignQueryString(qs, token, now)
	if err != nil {
		t.Fatal(err)
	}
	return "tma " + qs + "&hash=" + hash
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

func (a answer) code() string {
	e, _ := a.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (d *dash) call(as int64, method, path string, body any) answer {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.ts.URL+path, rd)
	if as != 0 {
		req.Header.Set("Authorization", auth(d.t, as))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func (d *dash) balance(account string) store.Amount {
	d.t.Helper()
	b, err := d.db.Balance(context.Background(), account, store.TON.Symbol)
	if err != nil {
		d.t.Fatal(err)
	}
	return b
}

func (d *dash) audit(mid int64) []store.AuditEntry {
	d.t.Helper()
	es, err := d.db.AuditLog(context.Background(), store.AuditFilter{MerchantID: mid})
	if err != nil {
		d.t.Fatal(err)
	}
	return es
}

// deposit books a TON arrival on the hot wallet with a comment, as the
// chain follower does; it returns the chain event's id.
func (d *dash) deposit(lt uint64, amount store.Amount, comment string) int64 {
	d.t.Helper()
	ev := store.ChainEvent{Account: hotRaw, LT: lt, Hash: fmt.Sprintf("%064x", lt), Time: time.Now(), Kind: store.KindCredited}
	app, err := d.db.ApplyChainTx(context.Background(), store.DepositTx(ev, store.Incoming{Asset: store.TON.Symbol, Amount: amount,
		Sender: "0:" + strings.Repeat("7", 64), Comment: comment, Min: 10_000_000}, 0))
	if err != nil {
		d.t.Fatal(err)
	}
	evs, err := d.db.ChainEvents(context.Background(), 0, 1)
	if err != nil || len(evs) == 0 || evs[0].LT != lt {
		d.t.Fatalf("chain event of lt %d: %v %v (%+v)", lt, evs, err, app)
	}
	return evs[0].ID
}

// Every admin and merchant route refuses a user without the role, before it
// reads or changes anything: same 403 for an unknown merchant as for
// someone else's.
func TestDashboardRoutesRefuseOthers(t *testing.T) {
	d := newDash(t)
	ev := d.deposit(100, 2_000_000_000, "nobody's")
	shop := "/api/merchant/" + strconv.FormatInt(d.shop.ID, 10)
	routes := []struct{ method, path string }{
		{"GET", "/api/admin/overview"}, {"GET", "/api/admin/withdrawals"}, {"GET", "/api/admin/withdrawals?status=awaiting_approval"},
		{"POST", "/api/admin/withdrawals/1/approve"}, {"POST", "/api/admin/withdrawals/1/reject"},
		{"GET", "/api/admin/unmatched"}, {"POST", fmt.Sprintf("/api/admin/unmatched/%d/assign", ev)},
		{"POST", fmt.Sprintf("/api/admin/unmatched/%d/refund", ev)}, {"GET", "/api/admin/payouts"},
		{"POST", "/api/admin/payouts/pause"}, {"POST", "/api/admin/payouts/resume"}, {"GET", "/api/admin/merchants"},
		{"GET", "/api/admin/users?q=u"}, {"GET", "/api/admin/users/30"}, {"POST", "/api/admin/users/30/block"},
		{"POST", "/api/admin/users/30/unblock"}, {"GET", "/api/admin/audit"}, {"GET", "/api/admin/nothing-here"},
		{"GET", shop}, {"GET", shop + "/invoices"}, {"POST", shop + "/invoices"}, {"GET", shop + "/invoices/x"},
		{"GET", shop + "/payouts"}, {"POST", shop + "/payouts/quote"}, {"POST", shop + "/payouts"},
		{"GET", shop + "/webhook/deliveries"}, {"PUT", shop + "/webhook"}, {"POST", shop + "/webhook/rotate"},
		{"POST", shop + "/webhook/test"}, {"POST", shop + "/webhook/deliveries/1/redeliver"}, {"POST", shop + "/token"},
		{"GET", shop + "/audit"}, {"GET", "/api/merchant/999"}, {"GET", "/api/merchant/abc/invoices"},
	}
	bodies := map[string]any{"reason": "x", "user_id": userID, "tx_hash": strings.Repeat("a", 64), "url": "https://evil.example/",
		"asset": "GRAM", "amount": "1", "address": payoutTo, "spend_id": "s"}
	for _, who := range []int64{userID, otherID, ownerID} {
		for _, r := range routes {
			isAdmin := strings.HasPrefix(r.path, "/api/admin/")
			if who == ownerID && (!isAdmin && strings.HasPrefix(r.path, shop)) {
				continue // the owner's own dashboard
			}
			var body any
			if r.method != "GET" {
				body = bodies
			}
			a := d.call(who, r.method, r.path, body)
			if a.status != http.StatusForbidden || a.code() != "forbidden" {
				t.Errorf("user %d %s %s: %d %s, want 403 forbidden", who, r.method, r.path, a.status, a.raw)
			}
		}
	}
	// Without initData: 401, as everywhere under /api.
	if a := d.call(0, "GET", "/api/admin/overview", nil); a.status != http.StatusUnauthorized {
		t.Errorf("no initData: %d", a.status)
	}
	// Nothing changed: the deposit still waits, nobody is blocked, the
	// webhook and token are as they were, and the log has only the CLI's
	// records of creating the merchants.
	if b := d.balance(store.AccountUnmatched); b != 2_000_000_000 {
		t.Errorf("unmatched %d", b)
	}
	if u, _ := d.db.UserRow(context.Background(), userID); u.Blocked {
		t.Error("user blocked by a refused call")
	}
	if m, _ := d.db.Merchant(context.Background(), d.shop.ID); m.WebhookURL != "https://shop.example/hook" {
		t.Errorf("webhook changed to %q", m.WebhookURL)
	}
	if _, err := d.db.MerchantByToken(context.Background(), d.shopTk); err != nil {
		t.Errorf("token rotated by a refused call: %v", err)
	}
	for _, e := range d.audit(0) {
		if e.Role != store.RoleOperator {
			t.Errorf("audit entry from a refused call: %+v", e)
		}
	}
	// The roles as /api/me tells the page.
	me := d.call(ownerID, "GET", "/api/me", nil).body
	roles, _ := me["roles"].(map[string]any)
	if ms, _ := roles["merchants"].([]any); roles["admin"] != false || len(ms) != 1 {
		t.Errorf("owner's roles %v", roles)
	}
	if roles := d.call(adminID, "GET", "/api/me", nil).body["roles"].(map[string]any); roles["admin"] != true {
		t.Errorf("admin's roles %v", roles)
	}
}

// Assigning an unmatched deposit moves exactly its amount once: a replay
// answers the same and moves nothing, racing admins move it once, a
// different resolution afterwards is refused, and the log says who did it.
func TestAssignUnmatchedOnce(t *testing.T) {
	d := newDash(t)
	ev := d.deposit(100, 1_234_567_891, "WHO-ARE-YOU")
	dust := d.deposit(101, 5_000_000, "")
	if d.balance(store.AccountUnmatched) != 1_239_567_891 {
		t.Fatalf("unmatched %d", d.balance(store.AccountUnmatched))
	}
	list := d.call(adminID, "GET", "/api/admin/unmatched", nil)
	deps, _ := list.body["deposits"].([]any)
	if len(deps) != 2 {
		t.Fatalf("unmatched list: %s", list.raw)
	}
	path := fmt.Sprintf("/api/admin/unmatched/%d/assign", ev)

	// Bad input changes nothing.
	for _, body := range []any{map[string]any{}, map[string]any{"user_id": userID, "merchant_id": d.shop.ID},
		map[string]any{"user_id": -5}, map[string]any{"user_id": 999999}, map[string]any{"user": userID}} {
		if a := d.call(adminID, "POST", path, body); a.status < 400 || a.status >= 500 {
			t.Errorf("assign %v: %d %s", body, a.status, a.raw)
		}
	}
	if d.balance(store.UserAccount(userID)) != 0 {
		t.Fatal("a refused assignment moved money")
	}

	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = d.call(adminID, "POST", path, map[string]any{"user_id": userID}).status
		}()
	}
	wg.Wait()
	for _, c := range codes {
		if c != http.StatusOK {
			t.Errorf("concurrent assign answered %d", c)
		}
	}
	a := d.call(adminID, "POST", path, map[string]any{"user_id": userID})
	res, _ := a.body["resolution"].(map[string]any)
	if a.status != 200 || res["kind"] != "assigned" || res["user_id"] != float64(userID) {
		t.Fatalf("replay: %d %s", a.status, a.raw)
	}
	if got := d.balance(store.UserAccount(userID)); got != 1_234_567_891 {
		t.Fatalf("user balance %d, want exactly the deposit once", got)
	}
	if got := d.balance(store.AccountUnmatched); got != 5_000_000 {
		t.Fatalf("unmatched left %d", got)
	}
	// Resolved: to someone else or refunded is a conflict, and moves nothing.
	if a := d.call(adminID, "POST", path, map[string]any{"merchant_id": d.shop.ID}); a.status != http.StatusConflict {
		t.Errorf("reassign: %d %s", a.status, a.raw)
	}
	if a := d.call(adminID, "POST", fmt.Sprintf("/api/admin/unmatched/%d/refund", ev), map[string]any{"tx_hash": strings.Repeat("b", 64)}); a.status != http.StatusConflict {
		t.Errorf("refund after assign: %d %s", a.status, a.raw)
	}
	// The dust is refunded by hand: a bad hash is refused, a good one books it.
	refund := fmt.Sprintf("/api/admin/unmatched/%d/refund", dust)
	if a := d.call(adminID, "POST", refund, map[string]any{"tx_hash": "abc"}); a.status != 400 {
		t.Errorf("refund with a bad hash: %d %s", a.status, a.raw)
	}
	if a := d.call(adminID, "POST", refund, map[string]any{"tx_hash": strings.Repeat("C", 64)}); a.status != 200 {
		t.Errorf("refund: %d %s", a.status, a.raw)
	}
	if d.balance(store.AccountUnmatched) != 0 || d.balance(store.AccountRefunded) != 5_000_000 {
		t.Errorf("after the refund: unmatched %d, refunded %d", d.balance(store.AccountUnmatched), d.balance(store.AccountRefunded))
	}
	storetest.Audit(t, d.db)
	var assigns, refunds int
	for _, e := range d.audit(0) {
		switch e.Action {
		case store.AuditAssign:
			assigns++
			if e.ActorID != adminID || e.Role != store.RoleAdmin || !strings.Contains(e.Before, "1234567891 GRAM") ||
				e.After != fmt.Sprintf("user %d", userID) || e.Actor != "@u1 (1)" {
				t.Errorf("assign audit %+v", e)
			}
		case store.AuditRefund:
			refunds++
		}
	}
	if assigns != 1 || refunds != 1 {
		t.Errorf("audit: %d assigns, %d refunds", assigns, refunds)
	}
	// The user was told, as for a deposit.
	evs, _ := d.db.DueEvents(context.Background(), store.TopicBot, 100)
	told := 0
	for _, e := range evs {
		if e.Type == "deposit.credited" && e.UserID == userID {
			told++
		}
	}
	if told != 1 {
		t.Errorf("%d deposit notices to the user", told)
	}
	// The overview agrees.
	ov := d.call(adminID, "GET", "/api/admin/overview", nil)
	assets, _ := ov.body["assets"].([]any)
	days, _ := ov.body["days"].([]any)
	if len(assets) == 0 || len(days) != 30 {
		t.Fatalf("overview: %s", ov.raw)
	}
	ton := assets[0].(map[string]any)
	if ton["asset"] != "GRAM" || ton["users"].(map[string]any)["amount"] != "1234567891" || ton["unmatched_count"] != float64(0) {
		t.Errorf("overview TON: %v", ton)
	}
}

// Approving and rejecting from the dashboard: a reason is required, the
// money of a rejection goes back, a decided withdrawal cannot be decided
// again, and both decisions are in the log.
func TestApproveAndRejectAudited(t *testing.T) {
	d := newDash(t)
	ctx := context.Background()
	u, _ := d.db.User(ctx, userID)
	d.deposit(100, 50_000_000_000, u.Comment)
	ask := func(key string) int64 {
		w, _, err := store.NewPolicy(d.db, store.Rules{Assets: []store.Asset{store.TON}, ApprovalAbove: map[string]store.Amount{store.TON.Symbol: 1},
			WithdrawFee: map[string]store.Amount{store.TON.Symbol: 100_000_000}, ParseDestination: ton.Destinations(true)}).
			Withdraw(ctx, store.WithdrawRequest{UserID: userID, Asset: store.TON.Symbol, Amount: "20", Destination: payoutTo}, key)
		if err != nil || w.Status != store.WithdrawalAwaitingApproval {
			t.Fatalf("withdraw: %+v %v", w, err)
		}
		return w.ID
	}
	w1, w2 := ask("a"), ask("b")
	if d.balance(store.UserAccount(userID)) != 50_000_000_000-2*20_100_000_000 {
		t.Fatalf("balance %d", d.balance(store.UserAccount(userID)))
	}
	pending := d.call(adminID, "GET", "/api/admin/withdrawals?status=awaiting_approval", nil)
	if ws, _ := pending.body["withdrawals"].([]any); len(ws) != 2 || ws[0].(map[string]any)["who"] != "@u30 (30)" {
		t.Fatalf("pending: %s", pending.raw)
	}
	reject := fmt.Sprintf("/api/admin/withdrawals/%d/reject", w1)
	for _, body := range []any{map[string]any{}, map[string]any{"reason": "   "}, map[string]any{"reason": strings.Repeat("x", 201)}} {
		if a := d.call(adminID, "POST", reject, body); a.status != 400 {
			t.Errorf("reject %v: %d %s", body, a.status, a.raw)
		}
	}
	if w, _ := d.db.Withdrawal(ctx, w1); w.Status != store.WithdrawalAwaitingApproval {
		t.Fatalf("refused reject changed it to %s", w.Status)
	}
	if a := d.call(adminID, "POST", reject, map[string]any{"reason": "destination looks wrong"}); a.status != 200 || a.body["status"] != "rejected" {
		t.Fatalf("reject: %d %s", a.status, a.raw)
	}
	// A blocked user's withdrawal is not approved (unblock first, or reject).
	if _, err := d.db.BlockUser(ctx, store.AdminActor(adminID, ""), userID, "checking"); err != nil {
		t.Fatal(err)
	}
	if a := d.call(adminID, "POST", fmt.Sprintf("/api/admin/withdrawals/%d/approve", w2), nil); a.status != 403 || a.code() != "blocked" {
		t.Fatalf("approve a blocked user's withdrawal: %d %s", a.status, a.raw)
	}
	if _, err := d.db.UnblockUser(ctx, store.AdminActor(adminID, ""), userID); err != nil {
		t.Fatal(err)
	}
	if a := d.call(adminID, "POST", fmt.Sprintf("/api/admin/withdrawals/%d/approve", w2), nil); a.status != 200 || a.body["status"] != "queued" {
		t.Fatalf("approve: %d %s", a.status, a.raw)
	}
	again := d.call(adminID, "POST", fmt.Sprintf("/api/admin/withdrawals/%d/approve", w1), nil)
	if again.status != http.StatusConflict || !strings.Contains(again.raw, "rejected") {
		t.Errorf("approve a rejected one: %d %s", again.status, again.raw)
	}
	if got := d.balance(store.UserAccount(userID)); got != 50_000_000_000-20_100_000_000 {
		t.Errorf("balance after reject %d", got)
	}
	var seen []string
	for _, e := range d.audit(0) {
		if e.ActorID == adminID {
			if e.Action == store.AuditApprove || e.Action == store.AuditReject {
				seen = append(seen, e.Action+": "+e.Before+" → "+e.After)
			}
		}
	}
	want := []string{"withdrawal.approve: awaiting_approval → queued", "withdrawal.reject: awaiting_approval → rejected: destination looks wrong"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("audit %q, want %q", seen, want)
	}
	// Pause and resume from the dashboard are audited too.
	if a := d.call(adminID, "POST", "/api/admin/payouts/pause", map[string]any{"reason": "checking the books"}); a.body["paused"] != true {
		t.Errorf("pause: %s", a.raw)
	}
	if a := d.call(adminID, "POST", "/api/admin/payouts/resume", nil); a.body["paused"] != false {
		t.Errorf("resume: %s", a.raw)
	}
	if es := d.audit(0); es[0].Action != store.AuditResume || es[1].Action != store.AuditPause || !strings.Contains(es[1].After, "checking the books") {
		t.Errorf("pause/resume audit: %+v %+v", es[0], es[1])
	}
}

// A blocked user can open the app (to be told) but do nothing else, and
// cannot withdraw through any face; unblocking restores them.
func TestBlockedUser(t *testing.T) {
	d := newDash(t)
	path := fmt.Sprintf("/api/admin/users/%d", userID)
	if a := d.call(adminID, "POST", path+"/block", map[string]any{}); a.status != 400 {
		t.Errorf("block without a reason: %d", a.status)
	}
	if a := d.call(adminID, "POST", fmt.Sprintf("/api/admin/users/%d/block", adminID), map[string]any{"reason": "x"}); a.status != 400 {
		t.Errorf("block an admin: %d", a.status)
	}
	// The user's session is cached before the block: the block still bites.
	if a := d.call(userID, "GET", "/api/history", nil); a.status != 200 {
		t.Fatalf("history before: %d", a.status)
	}
	if a := d.call(adminID, "POST", path+"/block", map[string]any{"reason": "chargeback fraud"}); a.status != 200 || a.body["blocked"] != true {
		t.Fatalf("block: %d %s", a.status, a.raw)
	}
	if a := d.call(userID, "GET", "/api/history", nil); a.status != 403 || a.code() != "blocked" {
		t.Errorf("history of a blocked user: %d %s", a.status, a.raw)
	}
	if me := d.call(userID, "GET", "/api/me", nil); me.status != 200 || me.body["blocked"] != true {
		t.Errorf("me of a blocked user: %d %s", me.status, me.raw)
	}
	_, _, err := store.NewPolicy(d.db, store.Rules{Assets: []store.Asset{store.TON}, ParseDestination: ton.Destinations(true)}).
		Withdraw(context.Background(), store.WithdrawRequest{UserID: userID, Asset: store.TON.Symbol, Amount: "1", Destination: payoutTo}, "k")
	if r, ok := store.AsRefusal(err); !ok || r.Code != store.RefuseBlocked {
		t.Errorf("withdrawal of a blocked user: %v", err)
	}
	found := d.call(adminID, "GET", "/api/admin/users?q=@u30", nil)
	if us, _ := found.body["users"].([]any); len(us) == 0 || us[0].(map[string]any)["blocked_reason"] != "chargeback fraud" {
		t.Errorf("search: %s", found.raw)
	}
	if a := d.call(adminID, "POST", path+"/unblock", nil); a.status != 200 || a.body["blocked"] != false {
		t.Fatalf("unblock: %d %s", a.status, a.raw)
	}
	if a := d.call(userID, "GET", "/api/history", nil); a.status != 200 {
		t.Errorf("history after unblock: %d", a.status)
	}
	es := d.audit(0)
	if es[0].Action != store.AuditUnblock || es[1].Action != store.AuditBlock || es[1].After != "blocked: chargeback fraud" || es[1].Before != "active" {
		t.Errorf("audit %+v %+v", es[0], es[1])
	}
}

// An owner runs their merchant: invoices by hand (same rules as the API),
// filters, payouts with a quote, webhook URL, secret, test event and
// redelivery, token rotation; each change audited, no secret in the log.
func TestOwnerDashboard(t *testing.T) {
	d := newDash(t)
	ctx := context.Background()
	base := "/api/merchant/" + strconv.FormatInt(d.shop.ID, 10)
	sum := d.call(ownerID, "GET", base, nil)
	if sum.status != 200 || sum.body["name"] != "Shop" {
		t.Fatalf("summary: %d %s", sum.status, sum.raw)
	}
	for _, body := range []map[string]any{{"asset": "GRAM", "amount": "0.0000000001"}, {"asset": "BTC", "amount": "1"},
		{"asset": "GRAM", "amount": "-1"}, {"asset": "GRAM", "amount": "0.001"}, {"asset": "GRAM", "amount": "1", "extra": 1}} {
		if a := d.call(ownerID, "POST", base+"/invoices", body); a.status != 400 {
			t.Errorf("invoice %v: %d %s", body, a.status, a.raw)
		}
	}
	created := d.call(ownerID, "POST", base+"/invoices", map[string]any{"asset": "TON", "amount": "2.5", "description": "Blue mug"})
	id, _ := created.body["id"].(string)
	if created.status != 201 || created.body["amount_units"] != "2500000000" || !strings.Contains(fmt.Sprint(created.body["pay_url"]), id) {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	inv, err := d.db.MerchantInvoice(ctx, d.shop.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	d.deposit(200, 2_500_000_000, inv.Comment)
	if d.balance(store.MerchantAccount(d.shop.ID)) != 2_500_000_000 {
		t.Fatalf("merchant balance %d", d.balance(store.MerchantAccount(d.shop.ID)))
	}
	today := time.Now().UTC().Format(time.DateOnly)
	for q, n := range map[string]int{"?status=paid": 1, "?status=created": 0, "?from=" + today + "&to=" + today: 1, "?to=2020-01-01": 0} {
		a := d.call(ownerID, "GET", base+"/invoices"+q, nil)
		if invs, _ := a.body["invoices"].([]any); a.status != 200 || len(invs) != n {
			t.Errorf("invoices%s: %d %s", q, a.status, a.raw)
		}
	}
	if a := d.call(ownerID, "GET", base+"/invoices?from=yesterday", nil); a.status != 400 {
		t.Errorf("bad date: %d", a.status)
	}
	detail := d.call(ownerID, "GET", base+"/invoices/"+id, nil)
	pays, _ := detail.body["payments"].([]any)
	dels, _ := detail.body["deliveries"].([]any)
	if len(pays) != 1 || len(dels) != 1 || dels[0].(map[string]any)["type"] != "invoice.paid" {
		t.Fatalf("detail: %s", detail.raw)
	}
	if a := d.call(otherID, "GET", base+"/invoices/"+id, nil); a.status != 403 {
		t.Errorf("another owner reads the invoice: %d", a.status)
	}
	// The rival's invoice is not found through this merchant's path.
	rivalInv, err := d.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: d.rival.ID, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if a := d.call(ownerID, "GET", base+"/invoices/"+rivalInv.ID, nil); a.status != 404 {
		t.Errorf("rival's invoice through our path: %d", a.status)
	}

	// Payouts: the quote is the rule book's, the payout debits amount + fee once.
	q := d.call(ownerID, "POST", base+"/payouts/quote", map[string]any{"asset": "GRAM", "amount": "1", "address": payoutTo})
	quote, _ := q.body["quote"].(map[string]any)
	if q.status != 200 || quote["fee"] != "0.1" || quote["total"] != "1.1 GRAM" {
		t.Fatalf("quote: %d %s", q.status, q.raw)
	}
	if a := d.call(ownerID, "POST", base+"/payouts/quote", map[string]any{"asset": "GRAM", "amount": "1", "address": "EQnot-an-address"}); a.status != 400 || a.code() != "invalid_address" {
		t.Errorf("bad address quote: %d %s", a.status, a.raw)
	}
	body := map[string]any{"asset": "GRAM", "amount": "1", "address": payoutTo, "spend_id": "dash-1"}
	if a := d.call(ownerID, "POST", base+"/payouts", body); a.status != 201 {
		t.Fatalf("payout: %d %s", a.status, a.raw)
	}
	if a := d.call(ownerID, "POST", base+"/payouts", body); a.status != 200 {
		t.Errorf("payout replay: %d %s", a.status, a.raw)
	}
	if got := d.balance(store.MerchantAccount(d.shop.ID)); got != 2_500_000_000-1_100_000_000 {
		t.Errorf("merchant balance after payout %d", got)
	}

	// Webhook settings.
	if a := d.call(ownerID, "PUT", base+"/webhook", map[string]any{"url": "ftp://x"}); a.status != 400 {
		t.Errorf("bad url: %d %s", a.status, a.raw)
	}
	// A new URL keeps the secret the merchant verifies with.
	set := d.call(ownerID, "PUT", base+"/webhook", map[string]any{"url": "https://shop.example/v2"})
	secret1 := d.shop.WebhookSecret
	if m, _ := d.db.Merchant(ctx, d.shop.ID); set.status != 200 || set.body["secret"] != nil || set.body["url"] != "https://shop.example/v2" ||
		m.WebhookSecret != secret1 || m.WebhookURL != "https://shop.example/v2" {
		t.Fatalf("set webhook: %d %s", set.status, set.raw)
	}
	// The rival had none: its first URL makes a secret, shown once.
	first := d.call(otherID, "PUT", fmt.Sprintf("/api/merchant/%d/webhook", d.rival.ID), map[string]any{"url": "https://rival.example/hook"})
	if s, _ := first.body["secret"].(string); first.status != 200 || !strings.HasPrefix(s, "whsec_") {
		t.Fatalf("first webhook URL: %d %s", first.status, first.raw)
	}
	rot := d.call(ownerID, "POST", base+"/webhook/rotate", nil)
	secret2, _ := rot.body["secret"].(string)
	if m, _ := d.db.Merchant(ctx, d.shop.ID); secret2 == "" || secret2 == secret1 || m.WebhookSecret != secret2 {
		t.Fatalf("rotate: %s", rot.raw)
	}
	test := d.call(ownerID, "POST", base+"/webhook/test", nil)
	if test.status != 200 || test.body["type"] != "webhook.test" || test.body["status"] != "pending" {
		t.Fatalf("test event: %d %s", test.status, test.raw)
	}
	// Deliver the invoice's event, then redeliver it: due again, same id.
	eid := int64(dels[0].(map[string]any)["id"].(float64))
	if err := d.db.MarkEventDone(ctx, eid); err != nil {
		t.Fatal(err)
	}
	red := d.call(ownerID, "POST", fmt.Sprintf("%s/webhook/deliveries/%d/redeliver", base, eid), nil)
	if red.status != 200 || red.body["status"] != "pending" || red.body["id"] != float64(eid) {
		t.Fatalf("redeliver: %d %s", red.status, red.raw)
	}
	due, _ := d.db.DueWebhookEvents(ctx, 10)
	if len(due) == 0 || due[0].ID != eid || !due[0].Manual {
		t.Errorf("redelivered event not due first: %+v", due)
	}
	if a := d.call(otherID, "POST", fmt.Sprintf("/api/merchant/%d/webhook/deliveries/%d/redeliver", d.rival.ID, eid), nil); a.status != 404 {
		t.Errorf("redeliver another merchant's event: %d %s", a.status, a.raw)
	}
	// Token rotation: shown once, the old one stops working.
	tok := d.call(ownerID, "POST", base+"/token", nil)
	newTk, _ := tok.body["token"].(string)
	if _, err := d.db.MerchantByToken(ctx, d.shopTk); err == nil {
		t.Error("the old token still works")
	}
	if m, err := d.db.MerchantByToken(ctx, newTk); err != nil || m.ID != d.shop.ID {
		t.Errorf("new token: %v", err)
	}

	var actions []string
	for _, e := range d.audit(d.shop.ID) {
		if e.Role == store.RoleOwner {
			actions = append(actions, e.Action)
			if e.ActorID != ownerID {
				t.Errorf("owner entry by %d", e.ActorID)
			}
		}
		for _, s := range []string{secret1, secret2, newTk, d.shopTk} {
			if strings.Contains(e.Before+e.After+e.Subject, s) {
				t.Errorf("a secret in the audit log: %+v", e)
			}
		}
	}
	want := "merchant.token merchant.redeliver merchant.webhook_test merchant.webhook_secret merchant.webhook_url merchant.payout merchant.invoice"
	if strings.Join(actions, " ") != want {
		t.Errorf("owner audit\n got %s\nwant %s", strings.Join(actions, " "), want)
	}
	if a := d.call(ownerID, "GET", base+"/audit", nil); len(a.body["entries"].([]any)) != len(d.audit(d.shop.ID)) {
		t.Errorf("audit route: %s", a.raw)
	}
	// The rival's owner sees none of it.
	if a := d.call(otherID, "GET", fmt.Sprintf("/api/merchant/%d/audit", d.rival.ID), nil); strings.Contains(a.raw, "Blue mug") || strings.Contains(a.raw, "merchant.invoice") {
		t.Errorf("rival audit shows ours: %s", a.raw)
	}
}
