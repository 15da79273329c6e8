package store

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Amount is a quantity of an asset in its smallest unit (nanoton for TON,
// 10^-6 for USDT). Amounts never pass through floating point.
type Amount int64

// MaxDecimals bounds an asset's decimals so that one whole unit fits in int64.
const MaxDecimals = 18

// MaxJettonDecimals bounds a jetton's decimals. The ledger counts in int64
// smallest units: with 9 decimals (TON's own) that is 9.2 billion tokens,
// but an 18-decimal jetton overflows at 9.22 tokens, and a transfer the
// ledger cannot hold could never be booked. Such a jetton is refused at start.
const MaxJettonDecimals = 9

// ErrBadAmount is returned (wrapped in an *AmountError) for an amount that
// cannot be read exactly.
var ErrBadAmount = errors.New("bad amount")

// Why an amount was refused (AmountError.Kind).
const (
	AmountMalformed = "malformed" // not digits with at most one dot
	AmountDecimals  = "decimals"  // more decimal places than the asset has
	AmountTooLarge  = "too_large" // does not fit the ledger
	AmountAmbiguous = "ambiguous" // "1,500": a thousands separator or a decimal comma
)

// AmountError says why an amount was refused, in words for the person who
// wrote it. errors.Is(err, ErrBadAmount) holds for it.
type AmountError struct {
	Input  string
	Kind   string
	Reason string
	// Readings are the amounts an ambiguous input could mean, written as
	// the parser reads them ("1500" and "1.5" for "1,500").
	Readings []string
}

func (e *AmountError) Error() string        { return ErrBadAmount.Error() + ": " + e.Reason }
func (e *AmountError) Is(target error) bool { return target == ErrBadAmount }

func badAmount(s, kind, format string, args ...any) *AmountError {
	return &AmountError{Input: s, Kind: kind, Reason: fmt.Sprintf(format, args...)}
}

// There are two ways into an amount, and no other parser of amounts:
//
//   - ParseAmount reads what a machine wrote (the merchant API, the
//     dashboards' API bodies, the configuration): ASCII digits with at most
//     one dot, nothing else. A comma or a space is refused whatever it may
//     have meant: "1,500" from an en-US formatter is 1500 and from a German
//     one 1.5, and a machine's amount is never guessed.
//   - ParseTypedAmount reads what a person typed (the bot, the Mini App):
//     surrounding spaces are dropped and a single decimal comma is read as
//     the dot when it cannot be a thousands separator ("1,5", "0,25",
//     "2,0001"); "1,500" could be either and is refused with both readings,
//     as is anything with more than one separator ("1,000,000", "1.000,5",
//     "1 500"). The face shows the amount read before money moves.

// ParseAmount parses a decimal string such as "1.5", as a machine writes
// it, into the smallest unit of an asset with the given decimals. It never
// rounds: more fractional digits than decimals, signs, exponents, commas,
// spaces, digits other than 0-9 or overflow are errors (*AmountError).
func ParseAmount(s string, decimals int) (Amount, error) {
	if decimals < 0 || decimals > MaxDecimals {
		return 0, badAmount(s, AmountMalformed, "unsupported decimals %d", decimals)
	}
	if s == "" {
		return 0, badAmount(s, AmountMalformed, "no amount given: write it like 1.5")
	}
	if strings.ContainsRune(s, ',') {
		return 0, badAmount(s, AmountMalformed, "%q has a comma: write the amount with digits and a dot only, like 1500 or 1.5", s)
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return 0, badAmount(s, AmountMalformed, "%q has a space: write the amount with digits and a dot only, like 1500 or 1.5", s)
	}
	return parseDecimal(s, decimals)
}

// ParseTypedAmount parses an amount a person typed (see above): "1,5" is
// 1.5, "1,500" is refused as ambiguous (AmountAmbiguous, with its two
// readings), "1.5" and " 1.5 " are 1.5.
func ParseTypedAmount(s string, decimals int) (Amount, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, badAmount(s, AmountMalformed, "no amount given: write it like 1.5")
	}
	seps := strings.Count(t, ",") + strings.Count(t, ".")
	if seps > 1 || strings.IndexFunc(t, unicode.IsSpace) >= 0 || strings.ContainsRune(t, '\'') || strings.ContainsRune(t, '_') {
		return 0, badAmount(s, AmountMalformed, "%q: write the amount without thousands separators, with a dot for decimals, like 1500 or 1.5", t)
	}
	if whole, frac, ok := strings.Cut(t, ","); ok {
		// A thousands group is exactly three digits after a group that
		// does not start with 0: then the comma could mean either.
		if len(frac) == 3 && digitsOnly(frac) && whole != "" && digitsOnly(whole) && strings.TrimLeft(whole, "0") != "" {
			grouped, decimal := whole+frac, whole
			if f := strings.TrimRight(frac, "0"); f != "" {
				decimal += "." + f
			}
			e := badAmount(s, AmountAmbiguous, "%q could mean %s or %s: write %s (no comma) or %s (with a dot)",
				t, grouped, decimal, grouped, decimal)
			e.Readings = []string{grouped, decimal}
			return 0, e
		}
		t = whole + "." + frac
	}
	v, err := parseDecimal(t, decimals)
	if e, ok := err.(*AmountError); ok {
		e.Input = s
	}
	return v, err
}

// parseDecimal reads ASCII digits with at most one dot, digits on both
// sides of it.
func parseDecimal(s string, decimals int) (Amount, error) {
	if decimals < 0 || decimals > MaxDecimals {
		return 0, badAmount(s, AmountMalformed, "unsupported decimals %d", decimals)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	switch {
	case strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+"):
		return 0, badAmount(s, AmountMalformed, "%q: write the amount without a sign, like 1.5", s)
	case hasDot && whole == "" && frac != "" && digitsOnly(frac):
		return 0, badAmount(s, AmountMalformed, "%q: write a digit before the dot, like 0.%s", s, frac)
	case hasDot && frac == "" && whole != "" && digitsOnly(whole):
		return 0, badAmount(s, AmountMalformed, "%q: write digits after the dot, or no dot, like %s", s, whole)
	case whole == "" || !digitsOnly(whole) || !digitsOnly(frac):
		return 0, badAmount(s, AmountMalformed, "%q is not a decimal number: write it with the digits 0-9 and a dot, like 1.5", s)
	}
	if len(frac) > decimals {
		if decimals == 0 {
			return 0, badAmount(s, AmountDecimals, "%q: this amount is a whole number, without decimals", s)
		}
		return 0, badAmount(s, AmountDecimals, "%q has more than %d decimal places", s, decimals)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, badAmount(s, AmountTooLarge, "%q is too large", s)
	}
	unit := pow10(decimals)
	if w > math.MaxInt64/unit {
		return 0, badAmount(s, AmountTooLarge, "%q is too large", s)
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64) // at most 18 digits: fits
		f *= pow10(decimals - len(frac))
	}
	if w*unit > math.MaxInt64-f {
		return 0, badAmount(s, AmountTooLarge, "%q is too large", s)
	}
	return Amount(w*unit + f), nil
}

// ParseUnits parses a decimal string of smallest units ("1500000000"), the form
// amounts take in JSON.
func ParseUnits(s string) (Amount, error) {
	if s == "" || !digitsOnly(s) {
		return 0, fmt.Errorf("%w: %q is not a whole number of units", ErrBadAmount, s)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is too large", ErrBadAmount, s)
	}
	return Amount(v), nil
}

// Format renders a in whole units with the given decimals, trimming trailing
// zeros: 1500000000 with 9 decimals is "1.5". Negative amounts keep their sign.
func (a Amount) Format(decimals int) string {
	if decimals <= 0 {
		return strconv.FormatInt(int64(a), 10)
	}
	neg := a < 0
	u := uint64(a)
	if neg {
		u = uint64(-(a + 1)) + 1 // safe for MinInt64
	}
	s := strconv.FormatUint(u, 10)
	if len(s) <= decimals {
		s = strings.Repeat("0", decimals-len(s)+1) + s
	}
	whole, frac := s[:len(s)-decimals], strings.TrimRight(s[len(s)-decimals:], "0")
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// Units is the decimal string of smallest units, the JSON form of an amount.
func (a Amount) Units() string { return strconv.FormatInt(int64(a), 10) }

func digitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
