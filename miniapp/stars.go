package miniapp

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
)

// Stars is what the Mini App needs from the bot for Telegram Stars: an
// invoice link for Telegram.WebApp.openInvoice, and cancelling or
// re-enabling a subscription (editUserStarSubscription). The bot
// implements it; cmd/tonpay wires it with SetStars. Payments are booked by
// the bot from successful_payment, never from what the page reports.
type Stars interface {
	InvoiceLink(ctx context.Context, userID int64, pkg string) (string, error)
	SetSubscriptionCanceled(ctx context.Context, userID int64, pkg string, canceled bool) error
}

// SetStars enables the Stars routes; call it before Run.
func (s *Server) SetStars(st Stars) { s.stars = st }

type starPaymentJSON struct {
	ChargeID  string `json:"charge_id"`
	Package   string `json:"package"`
	Stars     string `json:"stars"`
	Credits   int64  `json:"credits"`
	Status    string `json:"status"` // paid | refunded
	Renewal   bool   `json:"recurring,omitempty"`
	ExpiresAt string `json:"expires_at,omitempty"`
	CreatedAt string `json:"created_at"`
}

type subscriptionJSON struct {
	Package   string `json:"package"`
	Stars     string `json:"stars"` // per period
	Credits   int64  `json:"credits"`
	Status    string `json:"status"`     // active | canceled | payment_failed | expired (store.StarSubscription.Status)
	ExpiresAt string `json:"expires_at"` // renewal date while active; the end of the paid period otherwise
}

func starPaymentOf(p store.StarPayment) starPaymentJSON {
	out := starPaymentJSON{ChargeID: p.ChargeID, Package: p.Package, Stars: p.Amount.Units(), Credits: int64(p.Credits), Status: p.Status,
		Renewal: p.Recurring, CreatedAt: rfc3339(p.CreatedAt)}
	if !p.ExpiresAt.IsZero() {
		out.ExpiresAt = rfc3339(p.ExpiresAt)
	}
	return out
}

func (s *Server) subscriptionOf(sub store.StarSubscription) subscriptionJSON {
	return subscriptionJSON{Package: sub.Package, Stars: sub.Amount.Units(), Credits: int64(sub.Credits), Status: sub.Status(s.db.Now()),
		ExpiresAt: rfc3339(sub.ExpiresAt)}
}

func (s *Server) starsOn() error {
	if s.stars == nil {
		return httpapi.Err(http.StatusServiceUnavailable, httpapi.CodeUnavailable, "Telegram Stars payments are not available")
	}
	return nil
}

// starsInvoice is POST /api/stars/invoices {"package"}: an invoice link for
// Telegram.WebApp.openInvoice. The purchase arrives on the event stream
// ("purchase", then "balance") once the bot has booked the payment.
func (s *Server) starsInvoice(c echo.Context) error {
	if err := s.starsOn(); err != nil {
		return err
	}
	var req struct {
		Package string `json:"package"`
	}
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	ctx := c.Request().Context()
	link, err := s.stars.InvoiceLink(ctx, user(c).ID, req.Package)
	if err != nil {
		return s.telegramErr(c, "invoice link", err)
	}
	k, _ := s.cfg.Policy.StarsPackage(req.Package)
	return c.JSON(http.StatusCreated, map[string]any{"link": link, "package": s.packageJSON(ctx, k)})
}

// starsPayments is GET /api/stars/payments: the user's Stars payments,
// newest first.
func (s *Server) starsPayments(c echo.Context) error {
	ps, err := s.db.StarPayments(c.Request().Context(), user(c).ID, 50)
	if err != nil {
		return err
	}
	out := make([]starPaymentJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, starPaymentOf(p))
	}
	return c.JSON(http.StatusOK, map[string]any{"payments": out})
}

// subscriptions is GET /api/stars/subscriptions.
func (s *Server) subscriptions(c echo.Context) error {
	subs, err := s.db.StarSubscriptions(c.Request().Context(), user(c).ID)
	if err != nil {
		return err
	}
	out := make([]subscriptionJSON, 0, len(subs))
	for _, sub := range subs {
		out = append(out, s.subscriptionOf(sub))
	}
	return c.JSON(http.StatusOK, map[string]any{"subscriptions": out})
}

// editSubscription is POST /api/stars/subscriptions/{package} {"canceled":
// bool}: cancel (it runs to the end of the paid month) or re-enable.
func (s *Server) editSubscription(c echo.Context) error {
	if err := s.starsOn(); err != nil {
		return err
	}
	var req struct {
		Canceled *bool `json:"canceled"`
	}
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	if req.Canceled == nil {
		return httpapi.BadRequest(httpapi.CodeBadRequest, "canceled (true or false) is required")
	}
	ctx := c.Request().Context()
	u := user(c)
	if err := s.stars.SetSubscriptionCanceled(ctx, u.ID, c.Param("package"), *req.Canceled); err != nil {
		return s.telegramErr(c, "edit subscription", err)
	}
	sub, err := s.db.StarSubscription(ctx, u.ID, c.Param("package"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"subscription": s.subscriptionOf(sub)})
}

// telegramErr passes the rule book's and the store's errors on and turns
// anything else (Telegram refusing or away) into a 502 without detail.
func (s *Server) telegramErr(c echo.Context, what string, err error) error {
	if _, ok := store.AsRefusal(err); ok {
		return err
	}
	if e, internal := httpapi.Classify(err); !internal {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	s.log.Warn("telegram: "+what, "err", err, httpapi.LogAttrs(c))
	return httpapi.Err(http.StatusBadGateway, httpapi.CodeUnavailable, "Telegram did not answer as expected; try again")
}
