package merchant

import (
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

//go:embed openapi.json
var merchantOpenAPI []byte

// Limits of the merchant API's request fields.
const (
	merchantMaxPayload     = 4 << 10 // invoice payload, bytes
	merchantMaxDescription = 1024    // invoice description, bytes
	merchantMaxKey         = 128     // external_id and spend_id, bytes
	merchantMaxComment     = 120     // payout comment, bytes
	merchantMinTTL         = time.Minute
)

// Config is what the merchant API (and the webhooks' event data)
// needs from the service configuration.
type Config struct {
	Testnet        bool
	DepositAddress *address.Address // the hot wallet: where invoices are paid
	Assets         []store.Asset    // TON and the configured jettons
	// AssetRegistry is the asset registry; built from Assets and the store
	// when nil.
	AssetRegistry *store.Assets
	// Policy is the rule book (fees, minimums, approval, own addresses,
	// invoice lifetimes), the same the Mini App and the bot ask.
	Policy *store.Policy

	// BotUsername and AppName make an invoice's pay_url:
	// https://t.me/<bot>/<app>?startapp=<invoice id>, or
	// https://t.me/<bot>?start=<invoice id> without an app name. Invoice ids
	// already read "inv_<hex>". No bot username: no pay_url.
	BotUsername string
	AppName     string
	// PayURL, when set, is the pay_url prefix the invoice id completes
	// instead (the sandbox's own page).
	PayURL string

	RateLimit float64 // requests per second per token; 0 = 10
	RateBurst int     // 0 = twice RateLimit (at least 1)
	BodyLimit int64   // request body bytes; 0 = 16 KiB
}

// API is the merchant API under /api/v1: invoices, balance and
// payouts for a merchant authenticated by its Bearer token.
type API struct {
	cfg  Config
	db   *store.DB
	log  *slog.Logger
	view *merchantView

	limit *httpapi.Limiter[int64] // by merchant (one token per merchant), the Mini App's limiter
}

// New builds the merchant API; Register mounts it.
func New(cfg Config, db *store.DB, log *slog.Logger) *API {
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 10
	}
	if cfg.RateBurst <= 0 {
		cfg.RateBurst = max(1, int(math.Ceil(2*cfg.RateLimit)))
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 16 << 10
	}
	if log == nil {
		log = slog.Default()
	}
	return &API{cfg: cfg, db: db, log: log, view: newMerchantView(cfg, db), limit: httpapi.NewLimiter[int64](cfg.RateLimit, cfg.RateBurst)}
}

// Register mounts the API on g, which the caller creates at /api/v1 on the
// echo instance itself (not under a group with Mini App auth):
//
//	api.Register(e.Group("/api/v1"))
//
// Every route answers errors itself as {"error":{"code","message"}}.
func (a *API) Register(g *echo.Group) {
	g.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, merchantOpenAPI)
	})
	g.POST("/invoices", a.handle(a.createInvoice))
	g.GET("/invoices", a.handle(a.listInvoices))
	g.GET("/invoices/:id", a.handle(a.getInvoice))
	g.GET("/balance", a.handle(a.balance))
	g.POST("/payouts", a.handle(a.createPayout))
	g.GET("/payouts/:id", a.handle(a.getPayout))
	g.RouteNotFound("/*", func(c echo.Context) error {
		return a.fail(c, merchantErr(http.StatusNotFound, "not_found", "no such endpoint; see /api/v1/openapi.json"))
	})
}

func merchantErr(status int, code, format string, args ...any) error {
	return httpapi.Err(status, code, fmt.Sprintf(format, args...))
}

func merchantBadRequest(code, format string, args ...any) error {
	return merchantErr(http.StatusBadRequest, code, format, args...)
}

// fail answers err in the shared error shape: the one mapper the Mini App
// API uses too.
func (a *API) fail(c echo.Context, err error) error {
	httpapi.Write(a.log, c, err)
	return nil
}

type merchantHandler func(c echo.Context, m store.Merchant) error

// handle authenticates the merchant, applies its rate limit and the body
// limit, then runs h; errors are answered by fail.
func (a *API) handle(h merchantHandler) echo.HandlerFunc {
	return func(c echo.Context) error {
		m, err := a.authenticate(c)
		if err == nil {
			err = a.allow(m)
		}
		if err == nil {
			req := c.Request()
			if req.ContentLength > a.cfg.BodyLimit {
				err = merchantErr(http.StatusRequestEntityTooLarge, httpapi.CodeTooLarge, "request body is over %d bytes", a.cfg.BodyLimit)
			} else {
				req.Body = http.MaxBytesReader(c.Response(), req.Body, a.cfg.BodyLimit)
				err = h(c, m)
			}
		}
		if err != nil {
			return a.fail(c, err)
		}
		return nil
	}
}

func (a *API) authenticate(c echo.Context) (store.Merchant, error) {
	unauthorized := merchantErr(http.StatusUnauthorized, "unauthorized", "missing or invalid API token: send Authorization: Bearer <token>")
	scheme, token, ok := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tonpay"`)
		return store.Merchant{}, unauthorized
	}
	// The store looks the token up by its SHA-256: no comparison of secret
	// bytes happens here whose timing could leak them.
	m, err := a.db.MerchantByToken(c.Request().Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="tonpay", error="invalid_token"`)
		return store.Merchant{}, unauthorized
	}
	return m, err
}

func (a *API) allow(m store.Merchant) error {
	if ok, wait := a.limit.Allow(m.ID, time.Now()); !ok {
		return httpapi.RateLimited(wait)
	}
	return nil
}

// printable reports whether s is valid UTF-8 without control characters.
func merchantPrintable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

type merchantInvoiceRequest struct {
	Asset       string `json:"asset"`
	Amount      string `json:"amount"`
	Description string `json:"description"`
	Payload     string `json:"payload"`
	ExpiresIn   *int64 `json:"expires_in"`
	ExternalID  string `json:"external_id"`
	// OwnAddress asks for a deposit address of the invoice's own: paid
	// there with no comment (from an exchange, by hand).
	OwnAddress bool `json:"own_address"`
}

func (a *API) createInvoice(c echo.Context, m store.Merchant) error {
	var req merchantInvoiceRequest
	if err := httpapi.Decode(c, &req, true); err != nil {
		return err
	}
	return a.invoice(c, m, req, nil)
}

// invoice creates an invoice for the API or an owner's dashboard (by, audited)
// and answers it.
func (a *API) invoice(c echo.Context, m store.Merchant, req merchantInvoiceRequest, by *store.Actor) error {
	if len(req.Description) > merchantMaxDescription || !utf8.ValidString(req.Description) {
		return merchantBadRequest(httpapi.CodeBadRequest, "description must be UTF-8 text of at most %d bytes", merchantMaxDescription)
	}
	if len(req.Payload) > merchantMaxPayload || !utf8.ValidString(req.Payload) {
		return merchantBadRequest(httpapi.CodeBadRequest, "payload must be UTF-8 text of at most %d bytes", merchantMaxPayload)
	}
	if len(req.ExternalID) > merchantMaxKey || !merchantPrintable(req.ExternalID) {
		return merchantBadRequest(httpapi.CodeBadRequest, "external_id must be printable text of at most %d bytes", merchantMaxKey)
	}
	ttl, longest := a.cfg.Policy.InvoiceTTL()
	if req.ExpiresIn != nil {
		lo, hi := int64(merchantMinTTL/time.Second), int64(longest/time.Second)
		if *req.ExpiresIn < lo || *req.ExpiresIn > hi {
			return merchantBadRequest(httpapi.CodeBadRequest, "expires_in must be between %d and %d seconds", lo, hi)
		}
		ttl = time.Duration(*req.ExpiresIn) * time.Second
	}
	n, asset, err := a.cfg.Policy.NewInvoice(store.InvoiceRequest{MerchantID: m.ID, Asset: req.Asset, Amount: req.Amount, TTL: ttl,
		Description: req.Description, Payload: req.Payload, ExternalID: req.ExternalID, By: by, OwnAddress: req.OwnAddress})
	if err != nil {
		return err
	}
	amount := n.Amount
	ctx := c.Request().Context()
	same := func() (bool, error) {
		inv, err := a.db.MerchantInvoiceByExternalID(ctx, m.ID, req.ExternalID)
		if err != nil {
			return false, err
		}
		if inv.Asset != asset.Symbol || inv.Amount != amount {
			return false, merchantErr(http.StatusConflict, "external_id_conflict",
				"external_id %q already names an invoice of %s %s", req.ExternalID, inv.Amount.Format(asset.Decimals), inv.Asset)
		}
		return true, c.JSON(http.StatusOK, a.view.invoice(inv))
	}
	if req.ExternalID != "" {
		if found, err := same(); found || !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	inv, err := a.db.CreateInvoice(ctx, n)
	if errors.Is(err, store.ErrNoDepositWallets) {
		return merchantErr(http.StatusServiceUnavailable, "own_address_unavailable", "this service hands out no deposit addresses: create the invoice without own_address")
	}
	if errors.Is(err, store.ErrDuplicate) && req.ExternalID != "" {
		_, err = same() // a concurrent request with the same external_id won
		return err
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a.view.invoice(inv))
}

func (a *API) getInvoice(c echo.Context, m store.Merchant) error {
	inv, err := a.db.MerchantInvoice(c.Request().Context(), m.ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.view.invoice(inv))
}

// Invoice list cursors are opaque to merchants: base64url("<created ms>.<id>").
func encodeMerchantCursor(inv store.Invoice) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(inv.CreatedAt.UnixMilli(), 10) + "." + inv.ID))
}

func decodeMerchantCursor(s string) (store.InvoiceCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.InvoiceCursor{}, err
	}
	msStr, id, ok := strings.Cut(string(raw), ".")
	created, err := strconv.ParseInt(msStr, 10, 64)
	if !ok || err != nil || id == "" {
		return store.InvoiceCursor{}, errors.New("bad cursor")
	}
	return store.InvoiceCursor{CreatedAt: time.UnixMilli(created), ID: id}, nil
}

func (a *API) listInvoices(c echo.Context, m store.Merchant) error {
	status := c.QueryParam("status")
	switch status {
	case "", store.InvoiceCreated, store.InvoicePending, store.InvoicePaid, store.InvoiceExpired, store.InvoiceError:
	default:
		return merchantBadRequest(httpapi.CodeBadRequest, "status must be one of created, pending, paid, expired, error")
	}
	limit := 20
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return merchantBadRequest(httpapi.CodeBadRequest, "limit must be a whole number from 1 to 100")
		}
		limit = n
	}
	var cur store.InvoiceCursor
	if v := c.QueryParam("cursor"); v != "" {
		var err error
		if cur, err = decodeMerchantCursor(v); err != nil {
			return merchantBadRequest("invalid_cursor", "cursor must be a next_cursor this API returned")
		}
	}
	invs, err := a.db.MerchantInvoicesPage(c.Request().Context(), m.ID, status, cur, limit+1)
	if err != nil {
		return err
	}
	var next *string
	if len(invs) > limit {
		invs = invs[:limit]
		s := encodeMerchantCursor(invs[limit-1])
		next = &s
	}
	items := make([]merchantInvoice, 0, len(invs))
	for _, inv := range invs {
		items = append(items, a.view.invoice(inv))
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}

type merchantBalance struct {
	Asset       string `json:"asset"`
	Decimals    int    `json:"decimals"`
	Amount      string `json:"amount"`
	AmountUnits string `json:"amount_units"`
}

func (a *API) balance(c echo.Context, m store.Merchant) error {
	bal, err := a.db.MerchantBalances(c.Request().Context(), m.ID)
	if err != nil {
		return err
	}
	out := []merchantBalance{}
	for _, sym := range a.view.symbols() {
		asset, _ := a.view.asset(sym)
		v := bal[sym]
		out = append(out, merchantBalance{Asset: sym, Decimals: asset.Decimals, Amount: v.Format(asset.Decimals), AmountUnits: v.Units()})
	}
	return c.JSON(http.StatusOK, map[string]any{"balances": out})
}

type merchantPayoutRequest struct {
	Asset   string `json:"asset"`
	Amount  string `json:"amount"`
	Address string `json:"address"`
	SpendID string `json:"spend_id"`
	Comment string `json:"comment"`
}

func (a *API) createPayout(c echo.Context, m store.Merchant) error {
	var req merchantPayoutRequest
	if err := httpapi.Decode(c, &req, true); err != nil {
		return err
	}
	return a.payout(c, m, req, nil)
}

// payout asks the rule book for a payout for the API or an owner's
// dashboard (by, audited) and answers it.
func (a *API) payout(c echo.Context, m store.Merchant, req merchantPayoutRequest, by *store.Actor) error {
	if req.SpendID == "" || len(req.SpendID) > merchantMaxKey || !merchantPrintable(req.SpendID) {
		return merchantBadRequest(httpapi.CodeBadRequest, "spend_id is required: printable text of at most %d bytes, unique per payout", merchantMaxKey)
	}
	if len(req.Comment) > merchantMaxComment || !merchantPrintable(req.Comment) {
		return merchantBadRequest(httpapi.CodeBadRequest, "comment must be printable text of at most %d bytes", merchantMaxComment)
	}
	w, created, err := a.cfg.Policy.Withdraw(c.Request().Context(), store.WithdrawRequest{MerchantID: m.ID, Asset: req.Asset,
		Amount: req.Amount, Destination: req.Address, Comment: req.Comment, By: by}, req.SpendID)
	if r, ok := store.AsRefusal(err); ok && r.Code == store.RefuseIdemConflict {
		return merchantErr(http.StatusConflict, store.RefuseIdemConflict, "spend_id %q was already used for a payout with other terms", req.SpendID)
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, a.view.payout(w))
}

func (a *API) getPayout(c echo.Context, m store.Merchant) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.ErrNotFound
	}
	w, err := a.db.MerchantWithdrawal(c.Request().Context(), m.ID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.view.payout(w))
}

// merchantView renders invoices and payouts as merchants see them, in API
// answers and in webhook data alike.
type merchantView struct {
	testnet bool
	deposit *address.Address
	bot     string
	app     string
	payURL  string
	db      *store.DB
	reg     *store.Assets

	mu      sync.Mutex
	order   []string
	assets  map[string]store.Asset
	masters map[string]*address.Address
}

func newMerchantView(cfg Config, db *store.DB) *merchantView {
	v := &merchantView{testnet: cfg.Testnet, deposit: cfg.DepositAddress, bot: strings.TrimPrefix(cfg.BotUsername, "@"), app: cfg.AppName,
		payURL: cfg.PayURL, db: db, reg: cfg.AssetRegistry, assets: map[string]store.Asset{}, masters: map[string]*address.Address{}}
	if v.reg == nil {
		v.reg = store.NewAssets(db, cfg.Assets)
	}
	for _, a := range cfg.Assets {
		v.add(a)
	}
	return v
}

func (v *merchantView) add(a store.Asset) {
	if _, ok := v.assets[a.Symbol]; ok {
		return
	}
	v.order = append(v.order, a.Symbol)
	v.assets[a.Symbol] = a
	if a.Master != "" {
		if m, err := ton.ParseAddress(a.Master, v.testnet); err == nil {
			v.masters[a.Symbol] = m
		}
	}
}

// asset returns a configured asset.
func (v *merchantView) asset(symbol string) (store.Asset, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	a, ok := v.assets[symbol]
	return a, ok
}

func (v *merchantView) symbols() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.order...)
}

// decimals of an asset: configured, or as the registry has it for one no
// longer configured (an old invoice's).
func (v *merchantView) decimals(symbol string) int {
	if a, ok := v.asset(symbol); ok {
		return a.Decimals
	}
	return v.reg.Decimals(symbol)
}

type merchantInvoice struct {
	ID           string     `json:"id"`
	Status       string     `json:"status"`
	Asset        string     `json:"asset"`
	Decimals     int        `json:"decimals"`
	Amount       string     `json:"amount"`
	AmountUnits  string     `json:"amount_units"`
	Paid         string     `json:"paid"`
	PaidUnits    string     `json:"paid_units"`
	Late         bool       `json:"late"`
	Duplicate    bool       `json:"duplicate"`
	Description  string     `json:"description"`
	Payload      string     `json:"payload"`
	ExternalID   *string    `json:"external_id"`
	PayURL       string     `json:"pay_url,omitempty"`
	Address      string     `json:"address"`
	OwnAddress   bool       `json:"own_address,omitempty"`
	Comment      string     `json:"comment"`
	Link         string     `json:"link"`
	JettonMaster string     `json:"jetton_master,omitempty"`
	TxHash       string     `json:"tx_hash,omitempty"` // webhooks: the transaction that caused the event
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    time.Time  `json:"expires_at"`
	PaidAt       *time.Time `json:"paid_at"`
}

func (v *merchantView) invoice(inv store.Invoice) merchantInvoice {
	dec := v.decimals(inv.Asset)
	// The merchant API's money: amount in whole units beside amount_units,
	// both from the one money shape of the faces.
	amt, paid := httpapi.MoneyOf(inv.Asset, dec, inv.Amount), httpapi.MoneyOf(inv.Asset, dec, inv.Paid)
	out := merchantInvoice{ID: inv.ID, Status: inv.Status, Asset: inv.Asset, Decimals: dec,
		Amount: amt.Formatted, AmountUnits: amt.Amount, Paid: paid.Formatted, PaidUnits: paid.Amount,
		Late: inv.Late, Duplicate: inv.Duplicate, Description: inv.Description, Payload: inv.Payload,
		Address: ton.FormatAddress(v.deposit, v.testnet), Comment: inv.Comment,
		CreatedAt: inv.CreatedAt.UTC(), ExpiresAt: inv.ExpiresAt.UTC()}
	if inv.ExternalID != "" {
		out.ExternalID = &inv.ExternalID
	}
	if !inv.PaidAt.IsZero() {
		t := inv.PaidAt.UTC()
		out.PaidAt = &t
	}
	switch {
	case v.payURL != "":
		out.PayURL = v.payURL + inv.ID
	case v.bot != "":
		if v.app != "" {
			out.PayURL = "https://t.me/" + v.bot + "/" + v.app + "?startapp=" + inv.ID
		} else {
			out.PayURL = "https://t.me/" + v.bot + "?start=" + inv.ID
		}
	}
	to, comment := v.deposit, inv.Comment
	if inv.Address != "" {
		// Its own address: paid there, no comment to copy.
		if a, err := address.ParseRawAddr(inv.Address); err == nil {
			to, comment = a, ""
			out.Address, out.Comment, out.OwnAddress = ton.FormatAddress(a, v.testnet), "", true
		}
	}
	if to != nil {
		v.mu.Lock()
		master := v.masters[inv.Asset]
		v.mu.Unlock()
		if master != nil {
			out.JettonMaster = ton.FormatBounceable(master, v.testnet)
			out.Link = ton.JettonTransferLink(to, master, v.testnet, inv.Amount, comment)
		} else {
			out.Link = ton.TransferLink(to, v.testnet, inv.Amount, comment)
		}
	}
	return out
}

type merchantPayout struct {
	ID            int64     `json:"id"`
	SpendID       string    `json:"spend_id"`
	Status        string    `json:"status"`
	Asset         string    `json:"asset"`
	Decimals      int       `json:"decimals"`
	Amount        string    `json:"amount"`
	AmountUnits   string    `json:"amount_units"`
	Fee           string    `json:"fee"`
	FeeUnits      string    `json:"fee_units"`
	FeeAsset      string    `json:"fee_asset"`
	Address       string    `json:"address"`
	Comment       string    `json:"comment,omitempty"`
	TxHash        string    `json:"tx_hash,omitempty"`
	ExplorerURL   string    `json:"explorer_url,omitempty"`
	FailureReason string    `json:"failure_reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

func (v *merchantView) payout(w store.Withdrawal) merchantPayout {
	dec := v.decimals(w.Asset)
	amt, fee := httpapi.MoneyOf(w.Asset, dec, w.Amount), httpapi.MoneyOf(w.FeeAsset, v.decimals(w.FeeAsset), w.Fee)
	out := merchantPayout{ID: w.ID, SpendID: w.IdemKey, Status: w.Status, Asset: w.Asset, Decimals: dec,
		Amount: amt.Formatted, AmountUnits: amt.Amount, Fee: fee.Formatted, FeeUnits: fee.Amount,
		FeeAsset: w.FeeAsset, Address: w.Destination, Comment: w.Comment, TxHash: w.TxHash, CreatedAt: w.CreatedAt.UTC()}
	if w.TxHash != "" {
		out.ExplorerURL = ton.TxLink(v.testnet, w.TxHash)
	}
	switch w.Status {
	case store.WithdrawalFailed, store.WithdrawalRefunded, store.WithdrawalRejected:
		out.FailureReason = w.Error
	}
	return out
}
