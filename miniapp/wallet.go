package miniapp

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

type walletJSON struct {
	Address  string `json:"address"`  // raw 0:hex
	Friendly string `json:"friendly"` // user-friendly, non-bounceable
}

func (s *Server) walletJSON(raw string) *walletJSON {
	a, err := ton.ParseAddress(raw, true)
	if err != nil {
		return &walletJSON{Address: raw, Friendly: raw}
	}
	return &walletJSON{Address: a.StringRaw(), Friendly: ton.FormatAddress(a, s.cfg.Testnet)}
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
