package miniapp

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// Paying an invoice from its pay link: a merchant's pay_url opens the Mini
// App with start_param "inv_<id>"; the page shows the invoice and pays it
// with the same TON Connect request a top-up uses.

// payInvoiceJSON is an invoice as the paying user sees it: a top-up, or a
// merchant invoice with the merchant's name and its description.
type payInvoiceJSON struct {
	invoiceJSON
	Merchant    string `json:"merchant,omitempty"`
	Description string `json:"description,omitempty"`
}

// payInvoiceJSON reads the merchant's name for a merchant invoice.
func (s *Server) payInvoiceJSON(ctx context.Context, inv store.Invoice) (payInvoiceJSON, error) {
	out := payInvoiceJSON{invoiceJSON: s.invoiceJSON(inv)}
	if inv.MerchantID == 0 {
		return out, nil
	}
	m, err := s.db.Merchant(ctx, inv.MerchantID)
	if err != nil {
		return payInvoiceJSON{}, fmt.Errorf("merchant of invoice %s: %w", inv.ID, err)
	}
	out.Merchant, out.Description = m.Name, inv.Description
	return out, nil
}

// validInvoiceID is the shape of ids the store issues ("inv_" + 20 hex);
// anything else is not looked up.
func validInvoiceID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, "inv_")
	if !ok || len(hexPart) == 0 || len(hexPart) > 64 {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}

// payer is where a jetton payment comes from: the user's own jetton wallet
// of the asset's master. Zero for TON.
type payer struct {
	owner, master, jettonWallet *address.Address
}

// payerOf finds the user's jetton wallet for a jetton asset (409
// wallet_required without a linked wallet; purpose completes "connect your
// wallet to ..."). TON needs nothing.
func (s *Server) payerOf(ctx context.Context, userID int64, a store.Asset, purpose string) (payer, error) {
	if a.Master == "" {
		return payer{}, nil
	}
	w, err := s.db.WalletOf(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return s.payerWith(ctx, "", a, purpose)
	}
	if err != nil {
		return payer{}, err
	}
	return s.payerWith(ctx, w.Address, a, purpose)
}

// payerWith is payerOf of a user whose linked wallet (raw; "" for none)
// was read already.
func (s *Server) payerWith(ctx context.Context, wallet string, a store.Asset, purpose string) (payer, error) {
	if a.Master == "" {
		return payer{}, nil
	}
	if wallet == "" {
		return payer{}, httpapi.Err(http.StatusConflict, httpapi.CodeWalletRequired, "connect your wallet to "+purpose)
	}
	var p payer
	var err error
	if p.owner, err = ton.ParseAddress(wallet, true); err != nil {
		return payer{}, fmt.Errorf("linked wallet %q: %w", wallet, err)
	}
	if p.master, err = ton.ParseAddress(a.Master, true); err != nil {
		return payer{}, fmt.Errorf("jetton master of %s: %w", a.Symbol, err)
	}
	if p.jettonWallet, err = s.jettonWallet(ctx, p.master, p.owner); err != nil {
		s.log.Warn("jetton wallet lookup failed", "asset", a.Symbol, "owner", p.owner.StringRaw(), "err", err)
		return payer{}, httpapi.Err(http.StatusServiceUnavailable, httpapi.CodeUnavailable, "could not reach the TON network; try again")
	}
	return p, nil
}

// payRequest is the TON Connect sendTransaction request that pays inv and
// the ton:// link for paying by hand: TON with the comment as payload to
// the deposit address; a jetton as a transfer body to the payer's own jetton
// wallet, with the comment as forward payload and 1 nanoton forwarded.
func (s *Server) payRequest(inv store.Invoice, a store.Asset, p payer, validUntil time.Time) (ton.SendTransaction, string, error) {
	var msg ton.Message
	var link string
	to, comment := s.payTo(inv)
	if a.Master == "" {
		msg = ton.TONMessage(to, s.cfg.Testnet, inv.Amount, comment)
		link = ton.TransferLink(to, s.cfg.Testnet, inv.Amount, comment)
	} else {
		body := ton.JettonTransferBody(queryID(inv.ID), inv.Amount, to, p.owner, 1, comment)
		msg = ton.JettonMessage(p.jettonWallet, s.cfg.Testnet, s.cfg.JettonAttach, body)
		link = ton.JettonTransferLink(to, p.master, s.cfg.Testnet, inv.Amount, comment)
	}
	tx := ton.NewSendTransaction(validUntil, s.cfg.Testnet, msg)
	if err := tx.Validate(time.Now()); err != nil {
		return ton.SendTransaction{}, "", fmt.Errorf("invoice %s transaction: %w", inv.ID, err)
	}
	return tx, link, nil
}

// getInvoice is GET /api/invoices/{id}: a merchant invoice (or the user's
// own top-up) with, while it can still be paid on time, the TON Connect
// request that pays it and a ton:// link. An invoice past its expiry reads
// "expired" even before the expirer marks it. Another user's top-up is 404.
func (s *Server) getInvoice(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	u := user(c)
	if !validInvoiceID(id) {
		blocked, err := s.standingOr(ctx, u.ID, store.ErrNotFound)
		if err := refuseBlocked(blocked); err != nil {
			return err
		}
		return err
	}
	// One statement: the invoice, its merchant's name, the user's linked
	// wallet (a jetton's payer) and their standing.
	v, err := s.db.PayInvoiceView(ctx, u.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		v.Blocked, err = s.standingOr(ctx, u.ID, err)
	}
	if err := refuseBlocked(v.Blocked); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	inv := v.Invoice
	out := payInvoiceJSON{invoiceJSON: s.invoiceJSON(inv)}
	if inv.MerchantID != 0 {
		out.Merchant, out.Description = v.Merchant, inv.Description
	}
	now := time.Now()
	if inv.Open() && !now.Before(inv.ExpiresAt) {
		out.Status = store.InvoiceExpired
	}
	if out.Status != store.InvoiceCreated && out.Status != store.InvoicePending {
		return c.JSON(http.StatusOK, map[string]any{"invoice": out})
	}
	a, ok := s.chainAsset(inv.Asset)
	if !ok || s.cfg.Hot == nil {
		return httpapi.Err(http.StatusServiceUnavailable, httpapi.CodeUnavailable, "payments in "+inv.Asset+" are not available right now")
	}
	p, err := s.payerWith(ctx, v.Wallet, a, "pay in "+a.Symbol)
	if err != nil {
		return err
	}
	validUntil := inv.ExpiresAt
	if ttl, _ := s.cfg.Policy.InvoiceTTL(); validUntil.After(now.Add(ttl)) {
		// Wallets refuse requests valid for too long; the page asks again.
		validUntil = now.Add(ttl)
	}
	tx, link, err := s.payRequest(inv, a, p, validUntil)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"invoice": out, "transaction": tx, "link": link})
}

// invoiceBOC is POST /api/invoices/{id}/boc: the wallet's signed message
// for a merchant invoice (or the user's own top-up). The message must pay
// the invoice (checkBOC); then its normalized hash marks an open invoice
// pending and makes the user its payer, whose event stream then hears the
// invoice's changes. The first user to report paying a merchant invoice
// stays its payer (another user's report is 409 invoice_taken). It never
// credits; an invoice no longer open is answered as it stands.
func (s *Server) invoiceBOC(c echo.Context) error {
	ctx := c.Request().Context()
	var req struct {
		BOC string `json:"boc"`
	}
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	id := c.Param("id")
	if !validInvoiceID(id) {
		return store.ErrNotFound
	}
	u := user(c)
	inv, err := s.db.InvoiceForUser(ctx, u.ID, id)
	if err != nil {
		return err
	}
	h, err := s.checkBOC(ctx, u.ID, inv, req.BOC)
	if err != nil {
		return err
	}
	if inv.MerchantID == 0 {
		inv, err = s.db.MarkInvoicePending(ctx, u.ID, id, h)
	} else {
		inv, err = s.db.MarkMerchantInvoicePending(ctx, u.ID, id, h)
	}
	if errors.Is(err, store.ErrInvoiceTaken) {
		return httpapi.Err(http.StatusConflict, httpapi.CodeInvoiceTaken, "another user already reported paying this invoice")
	}
	if err != nil {
		return err
	}
	out, err := s.payInvoiceJSON(ctx, inv)
	if err != nil {
		return err
	}
	if inv.Open() && !time.Now().Before(inv.ExpiresAt) {
		out.Status = store.InvoiceExpired
	}
	return c.JSON(http.StatusOK, map[string]any{"invoice": out})
}

// checkBOC reads a BOC reported for inv and returns its normalized hash
// (hex) when it is an external message the payer's wallet signed (V3R2,
// V4R2 or W5) that pays inv: the native coin to our deposit address, or a
// jetton transfer through the wallet's own jetton wallet to it; at least
// what is still due (exactly the amount of a memo-less invoice); with the
// invoice's comment (as the forward payload of a jetton transfer). A BOC
// that does not parse or whose signature is not the wallet's is 400
// invalid_boc; one that pays something else, 400 boc_mismatch.
func (s *Server) checkBOC(ctx context.Context, userID int64, inv store.Invoice, boc string) (string, error) {
	if boc == "" {
		return "", httpapi.BadRequest(httpapi.CodeInvalidBOC, "boc is required")
	}
	tr, err := ton.ParseWalletTransfer(boc)
	if err != nil {
		return "", httpapi.BadRequest(httpapi.CodeInvalidBOC, "boc is not a transfer a wallet signed: "+bocReason(err))
	}
	a, ok := s.chainAsset(inv.Asset)
	if !ok || s.cfg.Hot == nil {
		return "", httpapi.Err(http.StatusServiceUnavailable, httpapi.CodeUnavailable, "payments in "+inv.Asset+" are not available right now")
	}
	to, comment := s.payTo(inv)
	p := ton.Payment{To: to, Amount: max(inv.Amount-inv.Paid, 0), Comment: comment}
	if inv.MemoLess {
		p.Amount, p.Exact = inv.Amount, true
	}
	if a.Master != "" {
		master, err := ton.ParseAddress(a.Master, true)
		if err != nil {
			return "", fmt.Errorf("jetton master of %s: %w", a.Symbol, err)
		}
		if p.Via, err = s.jettonWallet(ctx, master, tr.Wallet); err != nil {
			s.log.Warn("jetton wallet lookup failed", "asset", a.Symbol, "owner", tr.Wallet.StringRaw(), "err", err)
			return "", httpapi.Err(http.StatusServiceUnavailable, httpapi.CodeUnavailable, "could not reach the TON network; try again")
		}
	}
	if err := tr.Pays(p); err != nil {
		return "", httpapi.BadRequest(httpapi.CodeBOCMismatch, "boc does not pay invoice "+inv.ID+": "+bocReason(err))
	}
	// Then that its wallet signed it (asking the chain only now).
	var known ed25519.PublicKey
	if w, err := s.db.WalletOf(ctx, userID); err == nil {
		if addr, err := ton.ParseAddress(w.Address, true); err == nil && addr.Equals(tr.Wallet) {
			known, _ = hex.DecodeString(w.PublicKey)
		}
	}
	if err := tr.Verify(ctx, known, s.cfg.Keys); err != nil {
		if ton.IsBadMessage(err) {
			return "", httpapi.BadRequest(httpapi.CodeInvalidBOC, "boc is not a transfer a wallet signed: "+bocReason(err))
		}
		s.log.Warn("boc: wallet key lookup failed", "wallet", tr.Wallet.StringRaw(), "err", err)
		return "", httpapi.Err(http.StatusServiceUnavailable, httpapi.CodeUnavailable, "could not reach the TON network; try again")
	}
	return hex.EncodeToString(tr.NormalizedHash), nil
}

// bocReason is err without the "not a ton message boc: " prefix its
// sentinel adds.
func bocReason(err error) string {
	return strings.TrimPrefix(err.Error(), ton.ErrBadMessage.Error()+": ")
}
