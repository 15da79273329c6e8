package miniapp

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// Error codes of the API. Every error answer is
// {"error":{"code":"...","message":"..."}}; the message is for people, the
// code for the page.
const (
	codeBadRequest        = "bad_request"      // 400 malformed request or JSON
	codeInvalidAmount     = "invalid_amount"   // 400 not a decimal, too many decimals, out of range
	codeBelowMinimum      = "below_minimum"    // 400 under the configured minimum
	codeInvalidAddress    = "invalid_address"  // 400 not a TON address
	codeWrongNetwork      = "wrong_network"    // 400 testnet address on mainnet
	codeUnknownAsset      = "unknown_asset"    // 400
	codeInvalidBOC        = "invalid_boc"      // 400
	codeInvalidProof      = "invalid_proof"    // 400 ton_proof failed a check
	codeAddressRequired   = "address_required" // 400 no address and no linked wallet
	codeIdemKeyRequired   = "idempotency_key_required"
	codeUnauthorized      = "unauthorized"       // 401 bad, expired or missing initData
	codeNotFound          = "not_found"          // 404
	codeMethodNotAllowed  = "method_not_allowed" // 405
	codeConflict          = "conflict"           // 409 state does not allow it
	codeProofUsed         = "proof_used"         // 409 the ton_proof payload was used before
	codeIdemConflict      = "idempotency_conflict"
	codeWalletRequired    = "wallet_required"    // 409 a jetton deposit needs a linked wallet
	codeInsufficientFunds = "insufficient_funds" // 409
	codeTooLarge          = "payload_too_large"  // 413
	codeRateLimited       = "rate_limited"       // 429 with Retry-After
	codeInternal          = "internal"           // 500, no detail
	codeUnavailable       = "unavailable"        // 503
	codeTimeout           = "timeout"            // 503 the request took too long
)

// apiError is an answer the handler chose: status, code and a message that
// is safe to show.
type apiError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter is seconds for a Retry-After header (429, 503).
	RetryAfter int
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func apiErr(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// classify maps any error to what the client sees. It is the one place
// where store and ton errors become HTTP statuses; anything unknown is a 500
// whose detail stays in the log.
func classify(err error) (e *apiError, internal bool) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae, false
	}
	if r, ok := store.AsRefusal(err); ok {
		return refusal(r), false
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg := http.StatusText(he.Code)
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
		switch he.Code {
		case http.StatusNotFound:
			return apiErr(he.Code, codeNotFound, "not found"), false
		case http.StatusMethodNotAllowed:
			return apiErr(he.Code, codeMethodNotAllowed, "method not allowed"), false
		case http.StatusRequestEntityTooLarge:
			return apiErr(he.Code, codeTooLarge, "request body too large"), false
		case http.StatusUnauthorized:
			return apiErr(he.Code, codeUnauthorized, msg), false
		case http.StatusServiceUnavailable:
			// echo's ContextTimeout answers a deadline with 503.
			return apiErr(he.Code, codeTimeout, "the request took too long; try again"), false
		}
		if he.Code < 500 {
			return apiErr(he.Code, codeBadRequest, msg), false
		}
		return apiErr(http.StatusInternalServerError, codeInternal, "internal error"), true
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return apiErr(http.StatusRequestEntityTooLarge, codeTooLarge, "request body too large"), false
	case errors.Is(err, context.DeadlineExceeded):
		return apiErr(http.StatusServiceUnavailable, codeTimeout, "the request took too long; try again"), false
	case errors.Is(err, store.ErrNotFound):
		return apiErr(http.StatusNotFound, codeNotFound, "not found"), false
	case errors.Is(err, store.ErrInsufficientFunds):
		return apiErr(http.StatusConflict, codeInsufficientFunds, "insufficient funds; top up your balance first"), false
	case errors.Is(err, store.ErrUnknownAsset):
		return apiErr(http.StatusBadRequest, codeUnknownAsset, "unknown asset"), false
	case errors.Is(err, store.ErrBadAmount):
		return apiErr(http.StatusBadRequest, codeInvalidAmount, "invalid amount"), false
	case errors.Is(err, ton.ErrWrongNetwork):
		return apiErr(http.StatusBadRequest, codeWrongNetwork, err.Error()), false
	case errors.Is(err, ton.ErrAddress):
		return apiErr(http.StatusBadRequest, codeInvalidAddress, err.Error()), false
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrDuplicate):
		return apiErr(http.StatusConflict, codeConflict, "conflicts with the current state"), false
	case errors.Is(err, store.ErrInvalid):
		return apiErr(http.StatusBadRequest, codeBadRequest, "invalid request"), false
	}
	return apiErr(http.StatusInternalServerError, codeInternal, "internal error"), true
}

// handleError is echo's HTTPErrorHandler: JSON errors everywhere.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	e, internal := classify(err)
	if internal {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	} else if e.Status >= 500 {
		s.log.Warn("request failed", "method", c.Request().Method, "path", c.Path(), "code", e.Code, "err", err)
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
		s.log.Debug("write error answer", "err", werr)
	}
}

// logAttrs is a slog group for a request, for handlers that log.
func logAttrs(c echo.Context) slog.Attr {
	return slog.Group("req", "method", c.Request().Method, "path", c.Path())
}

// refusal is the rule book's no as an answer: its code as is (the same in
// every face), 409 when the request is fine but the balance or an earlier
// request stands in the way, 400 otherwise.
func refusal(r *store.Refusal) *apiError {
	status := http.StatusBadRequest
	switch r.Code {
	case store.RefuseInsufficient, store.RefuseFeeNotCovered, store.RefuseIdemConflict:
		status = http.StatusConflict
	}
	return apiErr(status, r.Code, r.Message)
}
