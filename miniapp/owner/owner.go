package owner

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp"
	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/miniapp/merchant"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// The merchant dashboard inside the Mini App: /api/merchant/:mid/* for the
// merchant's owners, authenticated by initData like the rest of the Mini
// App. It does what the API does (same invoice and payout code, same rule
// book) plus what only an owner may: webhook settings, secret and token
// rotation, redelivery. Every change is audited by the store.

const ownerKey = "tonpay.owned_merchant"

// Dashboard serves a merchant's owners.
type Dashboard struct {
	shop *merchant.API
	cfg  merchant.Config
	db   *store.DB
}

// New builds the dashboard over the merchant API it shares its invoice and
// payout code with; Register mounts it.
func New(shop *merchant.API, db *store.DB) *Dashboard {
	return &Dashboard{shop: shop, cfg: shop.Config(), db: db}
}

// Register adds the dashboard routes to g, a group of
// miniapp.Server.Authed("/merchant/:mid").
func (a *Dashboard) Register(g *echo.Group) {
	g.Use(a.ownersOnly)
	g.GET("", a.ownerSummary)
	g.GET("/invoices", a.ownerInvoices)
	g.POST("/invoices", a.ownerCreateInvoice)
	g.GET("/invoices/:id", a.ownerInvoice)
	g.GET("/payouts", a.ownerPayouts)
	g.POST("/payouts/quote", a.ownerQuote)
	g.POST("/payouts", a.ownerPayout)
	g.GET("/webhook/deliveries", a.ownerDeliveries)
	g.PUT("/webhook", a.ownerSetWebhook)
	g.POST("/webhook/rotate", a.ownerRotateSecret)
	g.POST("/webhook/test", a.ownerTestWebhook)
	g.POST("/webhook/deliveries/:eid/redeliver", a.ownerRedeliver)
	g.POST("/token", a.ownerRotateToken)
	g.GET("/audit", a.ownerAudit)
	g.Any("/*", func(echo.Context) error { return echo.ErrNotFound })
}

// ownersOnly refuses anyone who does not own the merchant in the path, with
// the same 403 whether or not that merchant exists.
func (a *Dashboard) ownersOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		forbidden := httpapi.Err(http.StatusForbidden, httpapi.CodeForbidden, "only the merchant's owners see its dashboard")
		id, err := strconv.ParseInt(c.Param("mid"), 10, 64)
		if err != nil || id <= 0 {
			return forbidden
		}
		m, err := a.db.OwnedMerchant(c.Request().Context(), id, miniapp.UserOf(c).ID)
		if err == store.ErrNotFound {
			return forbidden
		}
		if err != nil {
			return err
		}
		c.Set(ownerKey, m)
		return next(c)
	}
}

func owned(c echo.Context) store.Merchant {
	m, _ := c.Get(ownerKey).(store.Merchant)
	return m
}

// ownerActor is the owner making a change.
func ownerActor(c echo.Context) *store.Actor {
	by := miniapp.ActorOf(c, store.RoleOwner)
	return &by
}

type ownerAsset struct {
	Symbol   string `json:"symbol"`
	Decimals int    `json:"decimals"`
}

type ownerSummary struct {
	ID       int64                     `json:"id"`
	Name     string                    `json:"name"`
	Assets   []ownerAsset              `json:"assets"`
	Balances []httpapi.Money           `json:"balances"`
	Webhook  httpapi.WebhookHealthJSON `json:"webhook"`
	Owners   []int64                   `json:"owners"`
}

func (a *Dashboard) ownerSummary(c echo.Context) error {
	ctx := c.Request().Context()
	m := owned(c)
	bals, err := a.db.MerchantBalances(ctx, m.ID)
	if err != nil {
		return err
	}
	h, err := a.db.WebhookHealth(ctx, m.ID)
	if err != nil {
		return err
	}
	owners, err := a.db.MerchantOwners(ctx, m.ID)
	if err != nil {
		return err
	}
	out := ownerSummary{ID: m.ID, Name: m.Name, Assets: []ownerAsset{}, Balances: []httpapi.Money{}, Webhook: httpapi.WebhookHealth(m, h),
		Owners: owners}
	for _, sym := range a.shop.Symbols() {
		dec := a.shop.Decimals(sym)
		out.Assets = append(out.Assets, ownerAsset{Symbol: sym, Decimals: dec})
		out.Balances = append(out.Balances, httpapi.MoneyOf(sym, dec, bals[sym]))
	}
	for sym, v := range bals { // anything else it holds (never hidden)
		if !slices.Contains(a.shop.Symbols(), sym) {
			out.Balances = append(out.Balances, httpapi.MoneyOf(sym, a.shop.Decimals(sym), v))
		}
	}
	return c.JSON(http.StatusOK, out)
}

func dateParam(c echo.Context, name string) (time.Time, error) {
	s := c.QueryParam(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, httpapi.BadRequestf(httpapi.CodeBadRequest, "%s is a date like 2026-11-30", name)
	}
	return t, nil
}

func (a *Dashboard) ownerInvoices(c echo.Context) error {
	f := store.InvoiceFilter{Status: c.QueryParam("status"), Limit: 50}
	switch f.Status {
	case "", store.InvoiceCreated, store.InvoicePending, store.InvoicePaid, store.InvoiceExpired, store.InvoiceError:
	default:
		return httpapi.BadRequest(httpapi.CodeBadRequest, "status is one of created, pending, paid, expired, error")
	}
	var err error
	if f.From, err = dateParam(c, "from"); err != nil {
		return err
	}
	to, err := dateParam(c, "to")
	if err != nil {
		return err
	}
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the whole day named
	}
	if cur := c.QueryParam("cursor"); cur != "" {
		if f.After, err = merchant.DecodeCursor(cur); err != nil {
			return httpapi.BadRequest(httpapi.CodeBadRequest, "cursor is not one this list gave")
		}
	}
	invs, err := a.db.FilterMerchantInvoices(c.Request().Context(), owned(c).ID, f)
	if err != nil {
		return err
	}
	out := make([]merchant.Invoice, 0, len(invs))
	for _, inv := range invs {
		out = append(out, a.shop.InvoiceView(inv))
	}
	var next *string
	if len(invs) == f.Limit {
		s := merchant.EncodeCursor(invs[len(invs)-1])
		next = &s
	}
	return c.JSON(http.StatusOK, map[string]any{"invoices": out, "next_cursor": next})
}

type ownerPayment struct {
	TxHash string        `json:"tx_hash"`
	Link   string        `json:"link"`
	Amount httpapi.Money `json:"amount"`
	Sender string        `json:"sender"`
	At     time.Time     `json:"at"`
	Kind   string        `json:"kind"`
	Note   string        `json:"note"`
}

func (a *Dashboard) ownerInvoice(c echo.Context) error {
	ctx := c.Request().Context()
	m := owned(c)
	inv, err := a.db.MerchantInvoice(ctx, m.ID, c.Param("id"))
	if err != nil {
		return err
	}
	evs, err := a.db.InvoicePayments(ctx, inv.ID)
	if err != nil {
		return err
	}
	pays := make([]ownerPayment, 0, len(evs))
	for _, e := range evs {
		pays = append(pays, ownerPayment{TxHash: e.Hash, Link: ton.TxLink(a.cfg.Testnet, e.Hash),
			Amount: httpapi.MoneyOf(e.Asset, a.shop.Decimals(e.Asset), e.Amount), Sender: e.Sender, At: e.Time, Kind: e.Kind, Note: e.Note})
	}
	ds, err := a.db.Deliveries(ctx, m.ID, inv.ID, 50)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"invoice": a.shop.InvoiceView(inv), "payments": pays, "deliveries": deliveries(ds)})
}

func deliveries(ds []store.WebhookDelivery) []httpapi.DeliveryJSON {
	out := make([]httpapi.DeliveryJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, httpapi.Delivery(d))
	}
	return out
}

func (a *Dashboard) ownerCreateInvoice(c echo.Context) error {
	var req struct {
		Asset       string `json:"asset"`
		Amount      string `json:"amount"`
		Description string `json:"description"`
	}
	if err := httpapi.Decode(c, &req, true); err != nil {
		return err
	}
	return a.shop.CreateInvoice(c, owned(c), merchant.InvoiceRequest{Asset: req.Asset, Amount: req.Amount,
		Description: strings.TrimSpace(req.Description)}, ownerActor(c))
}

func (a *Dashboard) ownerPayouts(c echo.Context) error {
	ws, err := a.db.MerchantWithdrawals(c.Request().Context(), owned(c).ID, 50)
	if err != nil {
		return err
	}
	out := make([]merchant.Payout, 0, len(ws))
	for _, w := range ws {
		out = append(out, a.shop.PayoutView(w))
	}
	return c.JSON(http.StatusOK, map[string]any{"payouts": out})
}

func (a *Dashboard) ownerQuote(c echo.Context) error {
	var req struct {
		Asset   string `json:"asset"`
		Amount  string `json:"amount"`
		Address string `json:"address"`
	}
	if err := httpapi.Decode(c, &req, true); err != nil {
		return err
	}
	q, err := a.cfg.Policy.Quote(c.Request().Context(), store.WithdrawRequest{MerchantID: owned(c).ID, Asset: req.Asset,
		Amount: req.Amount, Destination: req.Address})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"quote": miniapp.QuoteView(q)})
}

func (a *Dashboard) ownerPayout(c echo.Context) error {
	var req merchant.PayoutRequest
	if err := httpapi.Decode(c, &req, true); err != nil {
		return err
	}
	return a.shop.CreatePayout(c, owned(c), req, ownerActor(c))
}

func (a *Dashboard) ownerDeliveries(c echo.Context) error {
	ds, err := a.db.Deliveries(c.Request().Context(), owned(c).ID, "", 50)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"deliveries": deliveries(ds)})
}

func (a *Dashboard) ownerSetWebhook(c echo.Context) error {
	var req struct {
		URL string `json:"url"`
	}
	if err := httpapi.Decode(c, &req, true); err != nil {
		return err
	}
	ctx := c.Request().Context()
	m := owned(c)
	secret, err := a.db.SetWebhookURL(ctx, *ownerActor(c), m.ID, strings.TrimSpace(req.URL))
	if err != nil {
		return err
	}
	if m, err = a.db.Merchant(ctx, m.ID); err != nil {
		return err
	}
	h, err := a.db.WebhookHealth(ctx, m.ID)
	if err != nil {
		return err
	}
	out := webhookSettings{WebhookHealthJSON: httpapi.WebhookHealth(m, h), Secret: secret}
	return c.JSON(http.StatusOK, out)
}

// webhookSettings is the webhook after a change; Secret only when one was
// made (the first URL), shown once.
type webhookSettings struct {
	httpapi.WebhookHealthJSON
	Secret string `json:"secret,omitempty"`
}

func (a *Dashboard) ownerRotateSecret(c echo.Context) error {
	m := owned(c)
	if m.WebhookURL == "" {
		return httpapi.BadRequest(httpapi.CodeBadRequest, "set a webhook URL first")
	}
	secret, err := a.db.RotateWebhookSecret(c.Request().Context(), *ownerActor(c), m.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"secret": secret})
}

func (a *Dashboard) ownerTestWebhook(c echo.Context) error {
	m := owned(c)
	if m.WebhookURL == "" {
		return httpapi.BadRequest(httpapi.CodeBadRequest, "set a webhook URL first")
	}
	d, err := a.db.QueueTestWebhook(c.Request().Context(), *ownerActor(c), m.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.Delivery(d))
}

func (a *Dashboard) ownerRedeliver(c echo.Context) error {
	eid, err := strconv.ParseInt(c.Param("eid"), 10, 64)
	if err != nil || eid <= 0 {
		return store.ErrNotFound
	}
	d, err := a.db.Redeliver(c.Request().Context(), *ownerActor(c), owned(c).ID, eid)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, httpapi.Delivery(d))
}

func (a *Dashboard) ownerRotateToken(c echo.Context) error {
	token, err := a.db.RotateToken(c.Request().Context(), *ownerActor(c), owned(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"token": token})
}

func (a *Dashboard) ownerAudit(c echo.Context) error {
	es, err := a.db.AuditLog(c.Request().Context(), store.AuditFilter{MerchantID: owned(c).ID, Limit: 100})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": httpapi.AuditEntries(es)})
}
