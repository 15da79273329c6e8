package merchant

import (
	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/store"
)

// What the owners' dashboard (miniapp/owner) shares with the API: the same
// invoice and payout code, the same JSON views, the same cursor.

// InvoiceRequest is the body of POST /api/v1/invoices.
type InvoiceRequest = merchantInvoiceRequest

// PayoutRequest is the body of POST /api/v1/payouts.
type PayoutRequest = merchantPayoutRequest

// Invoice and Payout are the API's views of an invoice and a payout.
type (
	Invoice = merchantInvoice
	Payout  = merchantPayout
)

// Config is the configuration the API was built with.
func (a *API) Config() Config { return a.cfg }

// CreateInvoice creates an invoice for m and answers it as the API does;
// by is the owner making it (audited), nil for the API.
func (a *API) CreateInvoice(c echo.Context, m store.Merchant, req InvoiceRequest, by *store.Actor) error {
	return a.invoice(c, m, req, by)
}

// CreatePayout asks the rule book for a payout for m and answers it as the
// API does; by is the owner asking (audited), nil for the API.
func (a *API) CreatePayout(c echo.Context, m store.Merchant, req PayoutRequest, by *store.Actor) error {
	return a.payout(c, m, req, by)
}

// InvoiceView is an invoice as the API shows it.
func (a *API) InvoiceView(inv store.Invoice) Invoice { return a.view.invoice(inv) }

// PayoutView is a payout as the API shows it.
func (a *API) PayoutView(w store.Withdrawal) Payout { return a.view.payout(w) }

// Symbols are the assets the API shows, in order.
func (a *API) Symbols() []string { return a.view.symbols() }

// Decimals is an asset's number of decimals.
func (a *API) Decimals(symbol string) int { return a.view.decimals(symbol) }

// EncodeCursor and DecodeCursor are the invoice list's paging cursor.
func EncodeCursor(inv store.Invoice) string { return encodeMerchantCursor(inv) }

// DecodeCursor reads a cursor EncodeCursor made.
func DecodeCursor(s string) (store.InvoiceCursor, error) { return decodeMerchantCursor(s) }
