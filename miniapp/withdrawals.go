package miniapp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

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
