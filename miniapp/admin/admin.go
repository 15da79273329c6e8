// Package admin is the admin dashboard's API (/api/admin/*) inside the Mini
// App: the same initData authentication as the rest, refused (403) to anyone
// not in ADMIN_IDS. It reads the store and asks it to act; every change is
// audited by the store in the transaction that makes it.
package admin

import (
	"cmp"
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// Config is what the admin API needs.
type Config struct {
	AdminIDs []int64
	Assets   []store.Asset // the chain assets in display order (TON first)
	// AssetRegistry is the asset registry; built from Assets and the store
	// when nil.
	AssetRegistry *store.Assets
	Testnet       bool
	// Status is the chain follower's state (reconciled block, synced); nil
	// when there is no chain.
	Status func() ton.ScanStatus
}

// API serves /api/admin/*.
type API struct {
	cfg Config
	db  *store.DB
	log *slog.Logger
	v   *view
}

// New builds the admin API.
func New(cfg Config, db *store.DB, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &API{cfg: cfg, db: db, log: log, v: newView(cfg.Assets, cfg.AssetRegistry, cfg.Testnet, db)}
}

// Register adds the routes to g, a group of miniapp.Server.Authed("/admin").
func (a *API) Register(g *echo.Group) {
	g.Use(a.adminsOnly)
	g.GET("/overview", a.overview)
	g.GET("/withdrawals", a.withdrawals)
	g.POST("/withdrawals/:id/approve", a.approve)
	g.POST("/withdrawals/:id/reject", a.reject)
	g.GET("/unmatched", a.unmatched)
	g.POST("/unmatched/:id/assign", a.assign)
	g.POST("/unmatched/:id/refund", a.refund)
	g.GET("/payouts", a.payouts)
	g.POST("/payouts/pause", a.pause)
	g.POST("/payouts/resume", a.resume)
	g.GET("/merchants", a.merchants)
	g.GET("/users", a.users)
	g.GET("/users/:id", a.userDetail)
	g.POST("/users/:id/block", a.block)
	g.POST("/users/:id/unblock", a.unblock)
	g.GET("/audit", a.audit)
	g.Any("/*", func(echo.Context) error { return echo.ErrNotFound })
}

// adminsOnly refuses everyone not in ADMIN_IDS, before anything is read.
func (a *API) adminsOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !slices.Contains(a.cfg.AdminIDs, miniapp.UserOf(c).ID) {
			return httpapi.Err(http.StatusForbidden, httpapi.CodeForbidden, "administrators only")
		}
		return next(c)
	}
}

// actor is the admin making a change.
func actor(c echo.Context) store.Actor { return miniapp.ActorOf(c, store.RoleAdmin) }

func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.ErrNotFound
	}
	return id, nil
}

// reasonMax bounds reasons admins type.
const reasonMax = 200

// reasonOf reads the body {"reason": "..."}: 1 to reasonMax characters.
func reasonOf(c echo.Context) (string, error) {
	var req struct {
		Reason string `json:"reason"`
	}
	if err := httpapi.Decode(c, &req, true); err != nil {
		return "", err
	}
	s := strings.TrimSpace(req.Reason)
	if s == "" || utf8.RuneCountInString(s) > reasonMax || !utf8.ValidString(s) {
		return "", httpapi.BadRequestf(httpapi.CodeBadRequest, "reason: 1 to %d characters", reasonMax)
	}
	return s, nil
}

type assetTotalsJSON struct {
	Asset          string         `json:"asset"`
	Decimals       int            `json:"decimals"`
	Users          httpapi.Money  `json:"users"`
	Merchants      httpapi.Money  `json:"merchants"`
	Fees           httpapi.Money  `json:"fees"`
	HotLedger      httpapi.Money  `json:"hot_ledger"`
	HotChain       *httpapi.Money `json:"hot_chain"`
	OnDeposit      httpapi.Money  `json:"on_deposit"` // on deposit addresses, not yet swept (ledger)
	Capital        httpapi.Money  `json:"capital"`    // the operator's own money
	Drift          *httpapi.Money `json:"drift"`
	Unmatched      httpapi.Money  `json:"unmatched"`
	UnmatchedCount int            `json:"unmatched_count"`
	Awaiting       httpapi.Money  `json:"awaiting"`
	AwaitingCount  int            `json:"awaiting_count"`
	ReconciledAt   *time.Time     `json:"reconciled_at,omitempty"`
}

type dayJSON struct {
	Day         string                   `json:"day"`
	Deposits    map[string]httpapi.Money `json:"deposits"`
	Withdrawals map[string]httpapi.Money `json:"withdrawals"`
}

type pauseJSON struct {
	Paused bool       `json:"paused"`
	Cause  string     `json:"cause"`
	Reason string     `json:"reason"`
	Since  *time.Time `json:"since"`
}

type overviewJSON struct {
	Assets          []assetTotalsJSON `json:"assets"`
	Days            []dayJSON         `json:"days"`
	Payouts         pauseJSON         `json:"payouts"`
	ReconciledBlock uint32            `json:"reconciled_block"`
	Synced          bool              `json:"synced"`
}

// overviewDays is how far back the chart goes.
const overviewDays = 30

func (a *API) overview(c echo.Context) error {
	ctx := c.Request().Context()
	totals, err := a.db.Overview(ctx)
	if err != nil {
		return err
	}
	recs, err := a.db.Reconciliations(ctx)
	if err != nil {
		return err
	}
	byAsset := map[string]store.Reconciliation{}
	for _, r := range recs {
		byAsset[r.Asset] = r
	}
	out := overviewJSON{Assets: []assetTotalsJSON{}}
	for _, sym := range a.v.order(ctx, totals) {
		t := totals[sym]
		if t == nil {
			t = &store.Totals{Asset: sym}
		}
		row := assetTotalsJSON{Asset: sym, Decimals: a.v.decimals(ctx, sym),
			Users: a.v.money(ctx, sym, t.Users), Merchants: a.v.money(ctx, sym, t.Merchants), Fees: a.v.money(ctx, sym, t.Fees),
			HotLedger: a.v.money(ctx, sym, t.Hot), OnDeposit: a.v.money(ctx, sym, t.OnDeposit), Capital: a.v.money(ctx, sym, t.Capital),
			Unmatched: a.v.money(ctx, sym, t.Unmatched), UnmatchedCount: t.UnmatchedCount,
			Awaiting: a.v.money(ctx, sym, t.Awaiting), AwaitingCount: t.AwaitingCount}
		if r, ok := byAsset[sym]; ok {
			// The hot wallet's own figure beside the books' hot wallet; the
			// drift is over every wallet (deposit addresses included).
			chain, drift := a.v.money(ctx, sym, r.Hot), a.v.money(ctx, sym, r.Drift)
			at := r.BlockTime
			row.HotChain, row.Drift, row.ReconciledAt = &chain, &drift, &at
		}
		out.Assets = append(out.Assets, row)
	}
	days, err := a.db.DailyFlows(ctx, overviewDays)
	if err != nil {
		return err
	}
	for _, d := range days {
		dj := dayJSON{Day: d.Day.Format(time.DateOnly), Deposits: map[string]httpapi.Money{}, Withdrawals: map[string]httpapi.Money{}}
		for sym, v := range d.Deposits {
			dj.Deposits[sym] = a.v.money(ctx, sym, v)
		}
		for sym, v := range d.Withdrawals {
			dj.Withdrawals[sym] = a.v.money(ctx, sym, v)
		}
		out.Days = append(out.Days, dj)
	}
	if out.Payouts, err = a.pauseState(ctx); err != nil {
		return err
	}
	if a.cfg.Status != nil {
		st := a.cfg.Status()
		out.ReconciledBlock, out.Synced = st.Reconciled, st.Synced
	}
	return c.JSON(http.StatusOK, out)
}

func (a *API) pauseState(ctx context.Context) (pauseJSON, error) {
	p, paused, err := a.db.PayoutPause(ctx)
	if err != nil || !paused {
		return pauseJSON{}, err
	}
	since := p.CreatedAt
	return pauseJSON{Paused: true, Cause: p.Cause, Reason: p.Reason, Since: &since}, nil
}

func (a *API) withdrawals(c echo.Context) error {
	ctx := c.Request().Context()
	var ws []store.Withdrawal
	var err error
	switch st := c.QueryParam("status"); st {
	case "":
		ws, err = a.db.RecentWithdrawals(ctx, 50)
	case store.WithdrawalAwaitingApproval:
		ws, err = a.db.Withdrawals(ctx, st, 100)
	default:
		return httpapi.BadRequestf(httpapi.CodeBadRequest, "status is %q or empty (recent withdrawals)", store.WithdrawalAwaitingApproval)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"withdrawals": render(ctx, ws, a.v.withdrawal)})
}

func (a *API) approve(c echo.Context) error {
	return a.decide(c, func(ctx context.Context, id int64) (store.Withdrawal, error) {
		return a.db.ApproveWithdrawal(ctx, actor(c), id)
	})
}

func (a *API) reject(c echo.Context) error {
	reason, err := reasonOf(c)
	if err != nil {
		return err
	}
	return a.decide(c, func(ctx context.Context, id int64) (store.Withdrawal, error) {
		return a.db.RejectWithdrawal(ctx, actor(c), id, reason)
	})
}

// decide applies an admin's decision to the withdrawal in the path and
// answers it as it is now.
func (a *API) decide(c echo.Context, do func(context.Context, int64) (store.Withdrawal, error)) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	w, err := do(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.v.withdrawal(ctx, w))
}

// render renders a list (never null in JSON).
func render[T, J any](ctx context.Context, items []T, one func(context.Context, T) J) []J {
	out := make([]J, 0, len(items))
	for _, it := range items {
		out = append(out, one(ctx, it))
	}
	return out
}

// resolvedShown is how long resolved unmatched deposits stay listed.
const resolvedShown = 30 * 24 * time.Hour

func (a *API) unmatched(c echo.Context) error {
	ctx := c.Request().Context()
	us, err := a.db.UnmatchedDeposits(ctx, a.db.Now().Add(-resolvedShown), 200)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deposits": render(ctx, us, a.v.unmatched)})
}

func (a *API) assign(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req struct {
		UserID     int64 `json:"user_id"`
		MerchantID int64 `json:"merchant_id"`
	}
	if err := httpapi.Decode(c, &req, true); err != nil {
		return err
	}
	if (req.UserID > 0) == (req.MerchantID > 0) || req.UserID < 0 || req.MerchantID < 0 {
		return httpapi.BadRequest(httpapi.CodeBadRequest, "give either user_id or merchant_id (a positive id)")
	}
	ctx := c.Request().Context()
	u, err := a.db.AssignUnmatched(ctx, actor(c), id, req.UserID, req.MerchantID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.v.unmatched(ctx, u))
}

func (a *API) refund(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var req struct {
		TxHash string `json:"tx_hash"`
	}
	if err := httpapi.Decode(c, &req, true); err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := a.db.RefundUnmatched(ctx, actor(c), id, req.TxHash)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.v.unmatched(ctx, u))
}

func (a *API) payouts(c echo.Context) error {
	p, err := a.pauseState(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (a *API) pause(c echo.Context) error {
	reason, err := reasonOf(c)
	if err != nil {
		return err
	}
	by := actor(c)
	ctx := c.Request().Context()
	if err := a.db.PausePayouts(ctx, by, reason+" ("+by.String()+")"); err != nil {
		return err
	}
	a.log.Warn("payouts paused by an admin", "admin", by.ID, "reason", reason)
	return a.payouts(c)
}

func (a *API) resume(c echo.Context) error {
	by := actor(c)
	was, paused, err := a.db.ResumePayouts(c.Request().Context(), by)
	if err != nil {
		return err
	}
	if paused {
		a.log.Warn("payouts resumed by an admin", "admin", by.ID, "cause", was.Cause, "reason", was.Reason)
	}
	return a.payouts(c)
}

type merchantJSON struct {
	ID       int64                     `json:"id"`
	Name     string                    `json:"name"`
	Owners   []int64                   `json:"owners"`
	Balances []httpapi.Money           `json:"balances"`
	Webhook  httpapi.WebhookHealthJSON `json:"webhook"`
}

func (a *API) merchants(c echo.Context) error {
	ctx := c.Request().Context()
	ms, err := a.db.ListMerchants(ctx)
	if err != nil {
		return err
	}
	out := make([]merchantJSON, 0, len(ms))
	for _, m := range ms {
		owners, err := a.db.MerchantOwners(ctx, m.ID)
		if err != nil {
			return err
		}
		bals, err := a.db.MerchantBalances(ctx, m.ID)
		if err != nil {
			return err
		}
		h, err := a.db.WebhookHealth(ctx, m.ID)
		if err != nil {
			return err
		}
		out = append(out, merchantJSON{ID: m.ID, Name: m.Name, Owners: nonNil(owners), Balances: a.v.balances(ctx, bals),
			Webhook: httpapi.WebhookHealth(m, h)})
	}
	return c.JSON(http.StatusOK, map[string]any{"merchants": out})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (a *API) users(c echo.Context) error {
	q := strings.TrimSpace(c.QueryParam("q"))
	if len(q) > 64 {
		return httpapi.BadRequest(httpapi.CodeBadRequest, "search by a user id, @username or name (at most 64 characters)")
	}
	ctx := c.Request().Context()
	us, err := a.db.SearchUsers(ctx, q, 20)
	if err != nil {
		return err
	}
	out := make([]userJSON, 0, len(us))
	for _, u := range us {
		uj, err := a.v.user(ctx, u)
		if err != nil {
			return err
		}
		out = append(out, uj)
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

type userDetailJSON struct {
	userJSON
	History     []historyJSON    `json:"history"`
	Withdrawals []withdrawalJSON `json:"withdrawals"`
}

func (a *API) userDetail(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := a.db.UserRow(ctx, id)
	if err != nil {
		return err
	}
	return a.renderUser(c, u)
}

func (a *API) renderUser(c echo.Context, u store.UserRow) error {
	ctx := c.Request().Context()
	uj, err := a.v.user(ctx, u)
	if err != nil {
		return err
	}
	out := userDetailJSON{userJSON: uj, History: []historyJSON{}, Withdrawals: []withdrawalJSON{}}
	es, err := a.db.History(ctx, store.UserAccount(u.ID), 0, 30)
	if err != nil {
		return err
	}
	for _, e := range es {
		m := a.v.money(ctx, e.Asset, e.Amount)
		out.History = append(out.History, historyJSON{ID: e.ID, Asset: e.Asset, Amount: m.Amount, Formatted: m.Formatted, Kind: e.Kind.Shown(),
			Description: e.Description, CreatedAt: e.CreatedAt})
	}
	ws, err := a.db.UserWithdrawals(ctx, u.ID, 20)
	if err != nil {
		return err
	}
	out.Withdrawals = render(ctx, ws, a.v.withdrawal)
	return c.JSON(http.StatusOK, out)
}

func (a *API) block(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	reason, err := reasonOf(c)
	if err != nil {
		return err
	}
	by := actor(c)
	if slices.Contains(a.cfg.AdminIDs, id) {
		return httpapi.BadRequest(httpapi.CodeBadRequest, "an administrator cannot be blocked here; remove them from ADMIN_IDS instead")
	}
	u, err := a.db.BlockUser(c.Request().Context(), by, id, reason)
	if err != nil {
		return err
	}
	return a.renderUser(c, u)
}

func (a *API) unblock(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u, err := a.db.UnblockUser(c.Request().Context(), actor(c), id)
	if err != nil {
		return err
	}
	return a.renderUser(c, u)
}

func (a *API) audit(c echo.Context) error {
	var mid int64
	if s := c.QueryParam("merchant_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return httpapi.BadRequest(httpapi.CodeBadRequest, "merchant_id is a merchant's id")
		}
		mid = n
	}
	es, err := a.db.AuditLog(c.Request().Context(), store.AuditFilter{MerchantID: mid, Limit: 100})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": httpapi.AuditEntries(es)})
}

// sortAssets orders symbols: configured chain assets first, in their order,
// then the rest alphabetically.
func sortAssets(order []string, syms []string) {
	slices.SortFunc(syms, func(x, y string) int {
		ix, iy := slices.Index(order, x), slices.Index(order, y)
		if ix < 0 {
			ix = len(order)
		}
		if iy < 0 {
			iy = len(order)
		}
		return cmp.Or(cmp.Compare(ix, iy), cmp.Compare(x, y))
	})
}
