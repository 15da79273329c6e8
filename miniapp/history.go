package miniapp

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

type historyItemJSON struct {
	ID int64 `json:"id"`
	httpapi.Money
	Kind        string `json:"kind"`
	Description string `json:"description"`
	CreatedAt   string `json:"created_at"`
	Link        string `json:"link,omitempty"`
}

// history is GET /api/history?cursor=&limit=: the user's ledger entries,
// newest first, each withdrawal's with its transaction: one statement
// (store.DB.UserHistory), which reads the user's standing too.
func (s *Server) history(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	// Bad paging reads no page, so no standing: it is read on its own, and
	// a blocked user is refused as blocked rather than told of the query.
	badInput := func(msg string) error {
		blocked, err := s.standingOr(ctx, u.ID, httpapi.BadRequest(httpapi.CodeBadRequest, msg))
		if err := refuseBlocked(blocked); err != nil {
			return err
		}
		return err
	}
	var before int64
	if v := c.QueryParam("cursor"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return badInput("bad cursor")
		}
		before = n
	}
	limit := 20
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return badInput("limit must be 1 to 100")
		}
		limit = n
	}
	page, err := s.db.UserHistory(ctx, u.ID, before, limit)
	if err != nil {
		return err
	}
	if err := refuseBlocked(page.Blocked); err != nil {
		return err
	}
	entries := page.Entries
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
			if isHex64(e.WithdrawalTx) {
				it.Link = ton.TxLink(s.cfg.Testnet, e.WithdrawalTx)
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
