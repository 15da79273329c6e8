package miniapp

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
)

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

// getDeposit is GET /api/deposits/{id}: the user's top-up, which the page
// polls while it waits; one statement (the invoice and the user's standing).
func (s *Server) getDeposit(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	inv, blocked, err := s.db.UserInvoiceView(ctx, u.ID, c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		blocked, err = s.standingOr(ctx, u.ID, err)
	}
	if err := refuseBlocked(blocked); err != nil {
		return err
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"invoice": s.invoiceJSON(inv)})
}
