package miniapp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// JSON shapes of the API. Amounts are decimal strings of smallest units,
// with "formatted" the same number in whole units.

type userJSON struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	Username  string `json:"username"`
}

type walletJSON struct {
	Address  string `json:"address"`  // raw 0:hex
	Friendly string `json:"friendly"` // user-friendly, non-bounceable
}

type assetJSON struct {
	Symbol   string `json:"symbol"`
	Decimals int    `json:"decimals"`
}

// balanceJSON is an amount in the one money shape (asset, amount, formatted).
type balanceJSON = httpapi.Money

type depositInfoJSON struct {
	Address string `json:"address"`
	Comment string `json:"comment"`
	Link    string `json:"link"`
}

type meJSON struct {
	User         userJSON        `json:"user"`
	Wallet       *walletJSON     `json:"wallet"`
	Network      string          `json:"network"`
	Assets       []assetJSON     `json:"assets"`
	Balances     []balanceJSON   `json:"balances"`
	Deposit      depositInfoJSON `json:"deposit"`
	TWAReturnURL string          `json:"twa_return_url,omitempty"`
	Roles        rolesJSON       `json:"roles"`
	Blocked      bool            `json:"blocked"` // an administrator blocked the user: every other call is refused
}

// rolesJSON is what dashboards the user sees.
type rolesJSON struct {
	Admin     bool            `json:"admin"`
	Merchants []ownedMerchant `json:"merchants"`
}

type ownedMerchant struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type invoiceJSON struct {
	ID        string `json:"id"`
	Asset     string `json:"asset"`
	Amount    string `json:"amount"`
	Formatted string `json:"formatted"`
	Paid      string `json:"paid"`
	Status    string `json:"status"`
	Comment   string `json:"comment"`
	Address   string `json:"address"`
	ExpiresAt string `json:"expires_at"`
}

type withdrawalJSON struct {
	ID           int64  `json:"id"`
	Asset        string `json:"asset"`
	Amount       string `json:"amount"`
	Fee          string `json:"fee"`
	FeeAsset     string `json:"fee_asset"`
	Formatted    string `json:"formatted"`
	FeeFormatted string `json:"fee_formatted"`
	Destination  string `json:"destination"`
	Status       string `json:"status"`
	TxHash       string `json:"tx_hash,omitempty"`
	Link         string `json:"link,omitempty"`
	CreatedAt    string `json:"created_at"`
}

type historyItemJSON struct {
	ID int64 `json:"id"`
	httpapi.Money
	Kind        string `json:"kind"`
	Description string `json:"description"`
	CreatedAt   string `json:"created_at"`
	Link        string `json:"link,omitempty"`
}

type packageJSON struct {
	Name      string `json:"name"`
	Asset     string `json:"asset"` // XTR: paid with Telegram Stars (POST /api/stars/invoices), not from the balance
	Price     string `json:"price"`
	Formatted string `json:"formatted"`
	Credits   int64  `json:"credits"`
	Period    int    `json:"period,omitempty"` // seconds: a monthly Stars subscription
}

type purchaseJSON struct {
	Package   string `json:"package"`
	Asset     string `json:"asset"`
	Price     string `json:"price"`
	Formatted string `json:"formatted"`
	Credits   int64  `json:"credits"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// chainAsset is a configured asset users can deposit and withdraw.
func (s *Server) chainAsset(symbol string) (store.Asset, bool) {
	for _, a := range s.cfg.Assets {
		if a.Symbol == symbol {
			return a, true
		}
	}
	return store.Asset{}, false
}

// format renders an amount in whole units of its asset (the registry's decimals).
func (s *Server) format(_ context.Context, asset string, a store.Amount) string {
	return s.assets.Format(store.Money{Asset: asset, Amount: a})
}

// money is an amount as the Mini App's JSON shows it.
func (s *Server) money(asset string, a store.Amount) httpapi.Money {
	return httpapi.MoneyOf(asset, s.assets.Decimals(asset), a)
}

// balances are the user's balances: every configured asset (zero included)
// in configuration order, then any other asset held (credits).
func (s *Server) balances(ctx context.Context, userID int64) ([]balanceJSON, error) {
	m, err := s.db.Balances(ctx, store.UserAccount(userID))
	if err != nil {
		return nil, err
	}
	out := make([]balanceJSON, 0, len(s.cfg.Assets)+len(m))
	for _, a := range s.cfg.Assets {
		v := m[a.Symbol]
		out = append(out, httpapi.MoneyOf(a.Symbol, a.Decimals, v))
		delete(m, a.Symbol)
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, s.money(k, m[k]))
	}
	return out, nil
}

func (s *Server) walletJSON(raw string) *walletJSON {
	a, err := ton.ParseAddress(raw, true)
	if err != nil {
		return &walletJSON{Address: raw, Friendly: raw}
	}
	return &walletJSON{Address: a.StringRaw(), Friendly: ton.FormatAddress(a, s.cfg.Testnet)}
}

func (s *Server) depositAddress() string { return ton.FormatAddress(s.cfg.Hot, s.cfg.Testnet) }

func (s *Server) invoiceJSON(inv store.Invoice) invoiceJSON {
	d := s.assets.Decimals(inv.Asset)
	return invoiceJSON{
		ID:        inv.ID,
		Asset:     inv.Asset,
		Amount:    inv.Amount.Units(),
		Formatted: inv.Amount.Format(d),
		Paid:      inv.Paid.Units(),
		Status:    inv.Status,
		Comment:   inv.Comment,
		Address:   s.depositAddress(),
		ExpiresAt: rfc3339(inv.ExpiresAt),
	}
}

func (s *Server) withdrawalJSON(w store.Withdrawal) withdrawalJSON {
	out := withdrawalJSON{
		ID:           w.ID,
		Asset:        w.Asset,
		Amount:       w.Amount.Units(),
		Fee:          w.Fee.Units(),
		FeeAsset:     w.FeeAsset,
		Formatted:    s.money(w.Asset, w.Amount).Formatted,
		FeeFormatted: s.money(w.FeeAsset, w.Fee).Formatted,
		Destination:  w.Destination,
		Status:       w.Status,
		TxHash:       w.TxHash,
		CreatedAt:    rfc3339(w.CreatedAt),
	}
	if isHex64(w.TxHash) {
		out.Link = ton.TxLink(s.cfg.Testnet, w.TxHash)
	}
	return out
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// me is GET /api/me: the user, their wallet, balances and deposit details.
// Two indexed reads; everything else is in memory.
func (s *Server) me(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	out := meJSON{
		User:         userJSON{ID: u.ID, FirstName: u.FirstName, Username: u.Username},
		Network:      s.network(),
		Assets:       s.assetList,
		TWAReturnURL: s.cfg.TWAReturnURL,
		Roles:        rolesJSON{Admin: s.IsAdmin(u.ID), Merchants: []ownedMerchant{}},
		Blocked:      u.Blocked,
		Deposit: depositInfoJSON{
			Address: s.depositAddress(),
			Comment: u.Comment,
		},
	}
	if s.cfg.Hot != nil {
		out.Deposit.Link = ton.TransferLink(s.cfg.Hot, s.cfg.Testnet, 0, u.Comment)
	}
	owned, err := s.db.OwnedMerchants(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, m := range owned {
		out.Roles.Merchants = append(out.Roles.Merchants, ownedMerchant{ID: m.ID, Name: m.Name})
	}
	w, err := s.db.WalletOf(ctx, u.ID)
	switch {
	case err == nil:
		out.Wallet = s.walletJSON(w.Address)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if out.Balances, err = s.balances(ctx, u.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) network() string {
	if s.cfg.Testnet {
		return "testnet"
	}
	return "mainnet"
}

// walletPayload is POST /api/wallet/payload: a fresh ton_proof payload.
func (s *Server) walletPayload(c echo.Context) error {
	now := time.Now()
	p, err := s.proof.Payload(now)
	if err != nil {
		return err
	}
	exp := now.Add(s.cfg.ProofTTL)
	if _, e, err := s.proof.Check(p, now); err == nil {
		exp = e
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"payload": p, "expires_at": rfc3339(exp)})
}

type linkWalletRequest struct {
	Account ton.ConnectAccount `json:"account"`
	Proof   ton.Proof          `json:"proof"`
}

// linkWallet is POST /api/wallet: verify the TON Connect account and its
// ton_proof, then link the wallet, consuming the payload's nonce in the same
// transaction so that a proof works once.
func (s *Server) linkWallet(c echo.Context) error {
	ctx := c.Request().Context()
	var req linkWalletRequest
	if err := httpapi.Decode(c, &req, false); err != nil {
		var ae *httpapi.Error
		if errors.As(err, &ae) && ae.Code == httpapi.CodeBadRequest && strings.Contains(ae.Message, "JSON") {
			return httpapi.BadRequest(httpapi.CodeInvalidProof, "the wallet's proof is malformed")
		}
		return err
	}
	if req.Account.Address == "" || req.Proof.Signature == "" {
		return httpapi.BadRequest(httpapi.CodeInvalidProof, "account and proof are required")
	}
	now := time.Now()
	addr, nonce, err := s.proof.VerifyProof(ctx, req.Account, req.Proof, ton.ProofPolicy{
		Domains: s.proofDomains,
		Now:     now,
		Testnet: s.cfg.Testnet,
		Keys:    s.cfg.Keys,
	})
	switch {
	case errors.Is(err, ton.ErrProof):
		return httpapi.BadRequest(httpapi.CodeInvalidProof, "could not verify the wallet: "+err.Error())
	case err != nil:
		s.log.Warn("ton_proof: key lookup failed", "err", err)
		return httpapi.Err(http.StatusServiceUnavailable, httpapi.CodeUnavailable, "could not reach the TON network to check the wallet; try again")
	}
	_, expires, err := s.proof.Check(req.Proof.Payload, now)
	if err != nil {
		return httpapi.BadRequest(httpapi.CodeInvalidProof, "could not verify the wallet: "+err.Error())
	}
	pub := strings.ToLower(req.Account.PublicKey)
	if len(pub) != 64 || !isHex64(pub) {
		pub = ""
	}
	u := user(c)
	err = s.db.LinkWallet(ctx, store.Wallet{UserID: u.ID, Address: addr.StringRaw(), PublicKey: pub}, nonce, expires)
	if errors.Is(err, store.ErrDuplicate) {
		return httpapi.Err(http.StatusConflict, httpapi.CodeProofUsed, "this wallet proof was already used; connect the wallet again")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"wallet": s.walletJSON(addr.StringRaw())})
}

// unlinkWallet is DELETE /api/wallet (204 whether or not one was linked).
func (s *Server) unlinkWallet(c echo.Context) error {
	err := s.db.UnlinkWallet(c.Request().Context(), user(c).ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type depositRequest struct {
	Asset  string `json:"asset"`
	Amount string `json:"amount"`
}

// createDeposit is POST /api/deposits: an invoice and the TON Connect
// request that pays it.
func (s *Server) createDeposit(c echo.Context) error {
	ctx := c.Request().Context()
	var req depositRequest
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	u := user(c)
	n, a, err := s.cfg.Policy.NewInvoice(store.InvoiceRequest{UserID: u.ID, Asset: req.Asset, Amount: req.Amount, Description: "top-up",
		Typed: true})
	if err != nil {
		return err
	}
	if s.cfg.Hot == nil {
		return httpapi.Err(http.StatusServiceUnavailable, httpapi.CodeUnavailable, "deposits are not available right now")
	}

	// A jetton is sent from the user's own jetton wallet: find it before
	// creating the invoice, so a failure leaves nothing behind.
	p, err := s.payerOf(ctx, u.ID, a, "top up with "+a.Symbol)
	if err != nil {
		return err
	}

	inv, err := s.db.CreateInvoice(ctx, n)
	if err != nil {
		return err
	}
	tx, link, err := s.payRequest(inv, a, p, inv.ExpiresAt)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"invoice": s.invoiceJSON(inv), "transaction": tx, "link": link})
}

// queryID is a jetton transfer's query id derived from the invoice, so the
// same invoice always yields the same message.
func queryID(invoiceID string) uint64 {
	h := sha256.Sum256([]byte(invoiceID))
	return binary.BigEndian.Uint64(h[:8]) >> 1
}

type jwKey struct{ master, owner string }

// jettonWallet asks Chain for the owner's jetton wallet, once per pair:
// the address is a pure function of master and owner.
func (s *Server) jettonWallet(ctx context.Context, master, owner *address.Address) (*address.Address, error) {
	k := jwKey{master.StringRaw(), owner.StringRaw()}
	if v, ok := s.jwallets.Load(k); ok {
		return v.(*address.Address), nil
	}
	if s.cfg.Chain == nil {
		return nil, errors.New("no chain configured")
	}
	a, err := s.cfg.Chain.JettonWallet(ctx, master, owner)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, errors.New("no jetton wallet address")
	}
	s.jwallets.Store(k, a)
	return a, nil
}

// depositBOC is POST /api/deposits/{id}/boc: the wallet's signed message,
// checked to pay the top-up (checkBOC), whose TEP-467 normalized hash marks
// the invoice pending. It never credits.
func (s *Server) depositBOC(c echo.Context) error {
	ctx := c.Request().Context()
	var req struct {
		BOC string `json:"boc"`
	}
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	u := user(c)
	inv, err := s.db.UserInvoice(ctx, u.ID, c.Param("id"))
	if err != nil {
		return err
	}
	h, err := s.checkBOC(ctx, u.ID, inv, req.BOC)
	if err != nil {
		return err
	}
	if inv, err = s.db.MarkInvoicePending(ctx, u.ID, inv.ID, h); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"invoice": s.invoiceJSON(inv)})
}

// getDeposit is GET /api/deposits/{id}.
func (s *Server) getDeposit(c echo.Context) error {
	inv, err := s.db.UserInvoice(c.Request().Context(), user(c).ID, c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"invoice": s.invoiceJSON(inv)})
}

// history is GET /api/history?cursor=&limit=: the user's ledger entries,
// newest first.
func (s *Server) history(c echo.Context) error {
	ctx := c.Request().Context()
	var before int64
	if v := c.QueryParam("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return httpapi.BadRequest(httpapi.CodeBadRequest, "bad cursor")
		}
		before = n
	}
	limit := 20
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return httpapi.BadRequest(httpapi.CodeBadRequest, "limit must be 1 to 100")
		}
		limit = n
	}
	u := user(c)
	entries, err := s.db.History(ctx, store.UserAccount(u.ID), before, limit)
	if err != nil {
		return err
	}
	items := make([]historyItemJSON, 0, len(entries))
	for _, e := range entries {
		it := historyItemJSON{
			ID:          e.ID,
			Money:       s.money(e.Asset, e.Amount),
			Kind:        e.Kind.Shown(),
			Description: e.Description,
			CreatedAt:   rfc3339(e.CreatedAt),
		}
		switch e.Kind {
		case store.TransferDeposit:
			if isHex64(e.Ref) {
				it.Link = ton.TxLink(s.cfg.Testnet, e.Ref)
			}
		case store.TransferWithdrawal, store.TransferRefund:
			if id, err := strconv.ParseInt(e.Ref, 10, 64); err == nil {
				if w, err := s.db.UserWithdrawal(ctx, u.ID, id); err == nil && isHex64(w.TxHash) {
					it.Link = ton.TxLink(s.cfg.Testnet, w.TxHash)
				}
			}
		}
		items = append(items, it)
	}
	var next *string
	if len(entries) == limit {
		v := strconv.FormatInt(entries[len(entries)-1].ID, 10)
		next = &v
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}

type withdrawRequest struct {
	Asset   string `json:"asset"`
	Amount  string `json:"amount"`
	Address string `json:"address"`
}

// QuoteJSON is what a withdrawal costs, shown before the user confirms.
type QuoteJSON struct {
	Asset          string `json:"asset"`
	Amount         string `json:"amount"`
	AmountUnits    string `json:"amount_units"`
	Fee            string `json:"fee"`
	FeeUnits       string `json:"fee_units"`
	FeeAsset       string `json:"fee_asset"`
	Destination    string `json:"destination"`
	NeedsApproval  bool   `json:"needs_approval"`
	Total          string `json:"total"` // what leaves the balance, e.g. "1.6 GRAM" or "5 USDT + 0.05 GRAM"
	FeeDescription string `json:"fee_description"`
}

// QuoteView renders the rule book's quote (shared with the merchant dashboard).
func QuoteView(q store.Quote) QuoteJSON {
	fee := q.Fee.Format(store.TON.Decimals)
	total := q.Debit[q.Asset.Symbol].Format(q.Asset.Decimals) + " " + q.Asset.Symbol
	if q.Asset.Symbol != store.TON.Symbol && q.Fee > 0 {
		total += " + " + fee + " " + store.TON.Symbol
	}
	return QuoteJSON{Asset: q.Asset.Symbol, Amount: q.Amount.Format(q.Asset.Decimals), AmountUnits: q.Amount.Units(),
		Fee: fee, FeeUnits: q.Fee.Units(), FeeAsset: q.FeeAsset, Destination: q.Destination.Display,
		NeedsApproval: q.NeedsApproval, Total: total,
		FeeDescription: "the withdrawal fee, charged in Gram"}
}

// quoteWithdrawal is POST /api/withdrawals/quote: what the withdrawal would
// cost (or why it is refused), from the rule book, before the user confirms.
func (s *Server) quoteWithdrawal(c echo.Context) error {
	var req withdrawRequest
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	q, err := s.cfg.Policy.Quote(c.Request().Context(), store.WithdrawRequest{UserID: user(c).ID, Asset: req.Asset, Amount: req.Amount,
		Destination: req.Address, Typed: true})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"quote": QuoteView(q)})
}

// withdraw is POST /api/withdrawals: the rule book debits amount and fee
// into the hold and queues the payout (or holds it for an admin above the
// approval threshold). The Idempotency-Key header makes a retry return the
// first withdrawal.
func (s *Server) withdraw(c echo.Context) error {
	key := strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))
	if key == "" || len(key) > 128 {
		return httpapi.BadRequest(httpapi.CodeIdemKeyRequired, "the Idempotency-Key header (1 to 128 characters) is required")
	}
	var req withdrawRequest
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	w, created, err := s.cfg.Policy.Withdraw(c.Request().Context(), store.WithdrawRequest{UserID: user(c).ID, Asset: req.Asset,
		Amount: req.Amount, Destination: req.Address, Typed: true}, key)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, map[string]any{"withdrawal": s.withdrawalJSON(w)})
}

// getWithdrawal is GET /api/withdrawals/{id}.
func (s *Server) getWithdrawal(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return store.ErrNotFound
	}
	w, err := s.db.UserWithdrawal(c.Request().Context(), user(c).ID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"withdrawal": s.withdrawalJSON(w)})
}

// packages is GET /api/packages.
func (s *Server) packages(c echo.Context) error {
	ctx := c.Request().Context()
	pkgs := s.cfg.Policy.Packages()
	out := make([]packageJSON, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, s.packageJSON(ctx, p))
	}
	return c.JSON(http.StatusOK, map[string]any{"packages": out})
}

func (s *Server) packageJSON(ctx context.Context, p store.Package) packageJSON {
	return packageJSON{Name: p.Name, Asset: p.Asset, Price: p.Price.Units(), Formatted: s.format(ctx, p.Asset, p.Price),
		Credits: p.Credits, Period: p.Period}
}

// purchase is POST /api/purchases: buy a package from the balance in one
// ledger transaction. An optional Idempotency-Key makes a retry safe.
func (s *Server) purchase(c echo.Context) error {
	ctx := c.Request().Context()
	var req struct {
		Package string `json:"package"`
	}
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	key := strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))
	if len(key) > 128 {
		return httpapi.BadRequest(httpapi.CodeBadRequest, "Idempotency-Key is longer than 128 characters")
	}
	if key == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		key = "auto:" + hex.EncodeToString(b)
	}
	u := user(c)
	pkg, res, err := s.cfg.Policy.Buy(ctx, u.ID, req.Package, key)
	if err != nil {
		return err
	}
	bals, err := s.balances(ctx, u.ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	return c.JSON(status, map[string]any{
		"purchase": purchaseJSON{Package: pkg.Name, Asset: pkg.Asset, Price: pkg.Price.Units(),
			Formatted: s.format(ctx, pkg.Asset, pkg.Price), Credits: pkg.Credits},
		"balances": bals,
	})
}
