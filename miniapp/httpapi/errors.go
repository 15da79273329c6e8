// Package httpapi is what the two HTTP faces (the Mini App API and the
// merchant API) share so they cannot drift: the error answer and the one
// place errors become statuses and codes, the JSON request decoder, and the
// token-bucket rate limiter.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// Error codes of the API. Every error answer is
// {"error":{"code":"...","message":"..."}}; the message is for people, the
// code for the page.
const (
	CodeBadRequest        = "bad_request"      // 400 malformed request or JSON
	CodeInvalidAmount     = "invalid_amount"   // 400 not a decimal, too many decimals, out of range
	CodeBelowMinimum      = "below_minimum"    // 400 under the configured minimum
	CodeInvalidAddress    = "invalid_address"  // 400 not a TON address
	CodeWrongNetwork      = "wrong_network"    // 400 testnet address on mainnet
	CodeUnknownAsset      = "unknown_asset"    // 400
	CodeInvalidBOC        = "invalid_boc"      // 400 not a transfer a wallet signed
	CodeBOCMismatch       = "boc_mismatch"     // 400 a signed transfer that does not pay this invoice
	CodeInvoiceTaken      = "invoice_taken"    // 409 another user reported paying this invoice first
	CodeInvalidProof      = "invalid_proof"    // 400 ton_proof failed a check
	CodeAddressRequired   = "address_required" // 400 no address and no linked wallet
	CodeIdemKeyRequired   = "idempotency_key_required"
	CodeUnauthorized      = "unauthorized"       // 401 bad, expired or missing initData
	CodeForbidden         = "forbidden"          // 403 not for this client
	CodeBlocked           = "blocked"            // 403 an administrator blocked this account
	CodeNotFound          = "not_found"          // 404
	CodeMethodNotAllowed  = "method_not_allowed" // 405
	CodeConflict          = "conflict"           // 409 state does not allow it
	CodeProofUsed         = "proof_used"         // 409 the ton_proof payload was used before
	CodeIdemConflict      = "idempotency_conflict"
	CodeWalletRequired    = "wallet_required"    // 409 a jetton deposit needs a linked wallet
	CodeInsufficientFunds = "insufficient_funds" // 409
	CodeTooLarge          = "payload_too_large"  // 413
	CodeRateLimited       = "rate_limited"       // 429 with Retry-After
	CodeInternal          = "internal"           // 500, no detail
	CodeUnavailable       = "unavailable"        // 503
	CodeTimeout           = "timeout"            // 503 the request took too long
)

// CodeMisdirected is 421: a Host name this server does not answer for
// (Server.RestrictHosts).
const CodeMisdirected = "misdirected_request"

// Error is an answer the handler chose: status, code and a message that
// is safe to show.
type Error struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is seconds for a Retry-After header (429, 503).
	RetryAfter int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Err makes an answer.
func Err(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Classify maps any error to what the client sees. It is the one place
// where store and ton errors become HTTP statuses; anything unknown is a 500
// whose detail stays in the log.
func Classify(err error) (e *Error, internal bool) {
	var ae *Error
	if errors.As(err, &ae) {
		return ae, false
	}
	if r, ok := store.AsRefusal(err); ok {
		return Refusal(r), false
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
		switch he.Code {
		case http.StatusNotFound:
			return Err(he.Code, CodeNotFound, "not found"), false
		case http.StatusMethodNotAllowed:
			return Err(he.Code, CodeMethodNotAllowed, "method not allowed"), false
		case http.StatusRequestEntityTooLarge:
			return Err(he.Code, CodeTooLarge, "request body too large"), false
		case http.StatusUnauthorized:
			return Err(he.Code, CodeUnauthorized, msg), false
		case http.StatusServiceUnavailable:
			// echo's ContextTimeout answers a deadline with 503.
			return Err(he.Code, CodeTimeout, "the request took too long; try again"), false
		}
		if he.Code < 500 {
			return Err(he.Code, CodeBadRequest, msg), false
		}
		return Err(http.StatusInternalServerError, CodeInternal, "internal error"), true
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return Err(http.StatusRequestEntityTooLarge, CodeTooLarge, "request body too large"), false
	case errors.Is(err, context.DeadlineExceeded):
		return Err(http.StatusServiceUnavailable, CodeTimeout, "the request took too long; try again"), false
	case errors.Is(err, store.ErrNotFound):
		return Err(http.StatusNotFound, CodeNotFound, "not found"), false
	case errors.Is(err, store.ErrInsufficientFunds):
		return Err(http.StatusConflict, CodeInsufficientFunds, "insufficient funds; top up your balance first"), false
	case errors.Is(err, store.ErrUnknownAsset):
		return Err(http.StatusBadRequest, CodeUnknownAsset, "unknown asset"), false
	case errors.Is(err, store.ErrBadAmount):
		return Err(http.StatusBadRequest, CodeInvalidAmount, "invalid amount"), false
	case errors.Is(err, ton.ErrWrongNetwork):
		return Err(http.StatusBadRequest, CodeWrongNetwork, err.Error()), false
	case errors.Is(err, ton.ErrAddress):
		return Err(http.StatusBadRequest, CodeInvalidAddress, err.Error()), false
	case errors.Is(err, store.ErrConflict):
		return Err(http.StatusConflict, CodeConflict, detail(err, "conflicts with the current state")), false
	case errors.Is(err, store.ErrDuplicate):
		return Err(http.StatusConflict, CodeConflict, "conflicts with the current state"), false
	case errors.Is(err, store.ErrInvalid):
		return Err(http.StatusBadRequest, CodeBadRequest, detail(err, "invalid request")), false
	case errors.Is(err, store.ErrBlocked):
		return Err(http.StatusForbidden, CodeBlocked, detail(err, "this account was blocked by an administrator")), false
	}
	return Err(http.StatusInternalServerError, CodeInternal, "internal error"), true
}

// detail is what the store said after its sentinel ("conflict: withdrawal
// 7 is queued, not awaiting_approval" → "withdrawal 7 is queued, not
// awaiting_approval"), or fallback when it said nothing more. Store messages
// are written for the person who asked.
func detail(err error, fallback string) string {
	_, after, ok := strings.Cut(err.Error(), ": ")
	if !ok || after == "" {
		return fallback
	}
	return after
}

// Handler is echo's HTTPErrorHandler for a face: JSON errors everywhere,
// unknown errors logged with their detail and answered as a bare 500.
func Handler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) { Write(log, c, err) }
}

// Write answers err in the error shape.
func Write(log *slog.Logger, c echo.Context, err error) {
	if c.Response().Committed {
		return
	}
	e, internal := Classify(err)
	if internal {
		log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	} else if e.Status >= 500 {
		log.Warn("request failed", "method", c.Request().Method, "path", c.Path(), "code", e.Code, "err", err)
	}
	if e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(e.Status)
	} else {
		werr = c.JSON(e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message}})
	}
	if werr != nil {
		log.Debug("write error answer", "err", werr)
	}
}

// LogAttrs is a slog group for a request, for handlers that log.
func LogAttrs(c echo.Context) slog.Attr {
	return slog.Group("req", "method", c.Request().Method, "path", c.Path())
}

// Refusal is the rule book's no as an answer: its code as is (the same in
// every face), 409 when the request is fine but the balance, an earlier
// request or a per-user limit stands in the way, 400 otherwise.
func Refusal(r *store.Refusal) *Error {
	status := http.StatusBadRequest
	switch r.Code {
	case store.RefuseInsufficient, store.RefuseFeeNotCovered, store.RefuseIdemConflict,
		store.RefuseTooManyInvoices, store.RefuseTooManyWithdrawals, store.RefuseDailyLimit:
		status = http.StatusConflict
	case store.RefuseUnknownPackage:
		status = http.StatusNotFound
	case store.RefuseBlocked:
		status = http.StatusForbidden
	}
	return Err(status, r.Code, r.Message)
}

// BadRequest is a 400 with a code.
func BadRequest(code, msg string) *Error { return Err(http.StatusBadRequest, code, msg) }

// BadRequestf is a 400 with a code and a formatted message.
func BadRequestf(code, format string, args ...any) *Error {
	return Err(http.StatusBadRequest, code, fmt.Sprintf(format, args...))
}
