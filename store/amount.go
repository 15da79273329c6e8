package store

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
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

// ErrBadAmount is returned for an amount that cannot be parsed exactly.
var ErrBadAmount = errors.New("bad amount")

// ParseAmount parses a human decimal string such as "1.5" into the smallest
// unit of an asset with the given decimals. It never rounds: more fractional
// digits than decimals, signs, exponents, spaces or overflow are errors.
func ParseAmount(s string, decimals int) (Amount, error) {
	if decimals < 0 || decimals > MaxDecimals {
		return 0, fmt.Errorf("%w: unsupported decimals %d", ErrBadAmount, decimals)
	}
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrBadAmount)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" || whole == "" {
		return 0, fmt.Errorf("%w: %q is not a decimal number", ErrBadAmount, s)
	}
	if !digitsOnly(whole) || !digitsOnly(frac) {
		return 0, fmt.Errorf("%w: %q is not a decimal number", ErrBadAmount, s)
	}
	if len(frac) > decimals {
		return 0, fmt.Errorf("%w: %q has more than %d decimal places", ErrBadAmount, s, decimals)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is too large", ErrBadAmount, s)
	}
	unit := pow10(decimals)
	if w > math.MaxInt64/unit {
		return 0, fmt.Errorf("%w: %q is too large", ErrBadAmount, s)
	}
	var f int64
	if frac != "" {
		f, _ = strconv.ParseInt(frac, 10, 64) // at most 18 digits: fits
		f *= pow10(decimals - len(frac))
	}
	if w*unit > math.MaxInt64-f {
		return 0, fmt.Errorf("%w: %q is too large", ErrBadAmount, s)
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
