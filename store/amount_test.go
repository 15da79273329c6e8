package store_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/store"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		dec  int
		want store.Amount
		ok   bool
	}{
		{"1.5", 9, 1_500_000_000, true},
		{"0.000000001", 9, 1, true},
		{"10", 6, 10_000_000, true},
		{"0", 9, 0, true},
		{"007.10", 6, 7_100_000, true},
		{"9223372036.854775807", 9, 9223372036854775807, true},
		{"9223372036.854775808", 9, 0, false},
		{"1.0000000001", 9, 0, false},
		{"1.1234567", 6, 0, false},
		{"-1", 9, 0, false},
		{"+1", 9, 0, false},
		{"1e9", 9, 0, false},
		{"1,5", 9, 0, false},
		{" 1", 9, 0, false},
		{"1.", 9, 0, false},
		{".5", 9, 0, false},
		{"", 9, 0, false},
		{"1.5", 0, 0, false},
		{"99999999999999999999", 0, 0, false},
		// A machine's amount: digits and a dot only, nothing guessed.
		{"1,500", 9, 0, false},
		{"1,000,000", 9, 0, false},
		{"1 500", 9, 0, false},
		{"1\u00a0500", 9, 0, false},
		{"1.5 ", 9, 0, false},
		{"\u0661", 9, 0, false}, // Arabic-Indic 1
		{"１", 9, 0, false},      // fullwidth 1
		{"1E3", 9, 0, false},
		{"0x10", 9, 0, false},
		{"Inf", 9, 0, false},
		{"NaN", 9, 0, false},
		{"1..5", 9, 0, false},
		{"1.5.0", 9, 0, false},
		{"9223372036854775807", 0, 9223372036854775807, true},
		{"9223372036854775808", 0, 0, false},
		{"9223372037", 9, 0, false},
		{"0.000001", 6, 1, true},
		{"0.0000001", 6, 0, false},
		{"000", 9, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := store.ParseAmount(tt.in, tt.dec)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("ParseAmount(%q, %d) = %d, %v", tt.in, tt.dec, got, err)
			}
			if err != nil && !errors.Is(err, store.ErrBadAmount) {
				t.Fatalf("error %v is not ErrBadAmount", err)
			}
			if err == nil {
				back, err := store.ParseAmount(got.Format(tt.dec), tt.dec)
				if err != nil || back != got {
					t.Fatalf("round trip %q -> %d -> %q -> %d", tt.in, got, got.Format(tt.dec), back)
				}
			}
		})
	}
}

// A machine's amount with a comma or a space is refused with a message that
// says how to write it.
func TestParseAmountSaysHowToWriteIt(t *testing.T) {
	for in, want := range map[string]string{
		"1,500": `"1,500" has a comma: write the amount with digits and a dot only, like 1500 or 1.5`,
		"1 500": `"1 500" has a space: write the amount with digits and a dot only, like 1500 or 1.5`,
		"-1":    `"-1": write the amount without a sign, like 1.5`,
		".5":    `"0.5"`,
		"1.":    `like 1`,
		"1e9":   `"1e9" is not a decimal number: write it with the digits 0-9 and a dot, like 1.5`,
		"":      "no amount given",
	} {
		_, err := store.ParseAmount(in, 9)
		var ae *store.AmountError
		if !errors.As(err, &ae) || !strings.Contains(ae.Reason, strings.Trim(want, `"`)) && !strings.Contains(ae.Reason, want) {
			t.Errorf("ParseAmount(%q): %v, want it to say %s", in, err, want)
		}
	}
}

// A person's amount: a decimal comma is read when it cannot be a thousands
// separator; "1,500" could be either and is refused with both readings.
func TestParseTypedAmount(t *testing.T) {
	tests := []struct {
		in       string
		dec      int
		want     store.Amount
		kind     string // "" for success
		readings []string
	}{
		{"1.5", 9, 1_500_000_000, "", nil},
		{"1,5", 9, 1_500_000_000, "", nil},
		{"0,25", 9, 250_000_000, "", nil},
		{"0,250", 9, 250_000_000, "", nil}, // a thousands group never follows a lone 0
		{"2,0001", 9, 2_000_100_000, "", nil},
		{"1,50", 6, 1_500_000, "", nil},
		{" 1,5 ", 9, 1_500_000_000, "", nil},
		{"1500", 9, 1_500_000_000_000, "", nil},
		{"0,000000001", 9, 1, "", nil},
		{"1,500", 9, 0, store.AmountAmbiguous, []string{"1500", "1.5"}},
		{"1,000", 9, 0, store.AmountAmbiguous, []string{"1000", "1"}},
		{"12,345", 6, 0, store.AmountAmbiguous, []string{"12345", "12.345"}},
		{"1,000,000", 9, 0, store.AmountMalformed, nil},
		{"1.000,5", 9, 0, store.AmountMalformed, nil},
		{"1,000.5", 9, 0, store.AmountMalformed, nil},
		{"1 500", 9, 0, store.AmountMalformed, nil},
		{"1\u00a0500", 9, 0, store.AmountMalformed, nil},
		{"1'500", 9, 0, store.AmountMalformed, nil},
		{"1_500", 9, 0, store.AmountMalformed, nil},
		{"1,", 9, 0, store.AmountMalformed, nil},
		{",5", 9, 0, store.AmountMalformed, nil},
		{"1.", 9, 0, store.AmountMalformed, nil},
		{".5", 9, 0, store.AmountMalformed, nil},
		{"-1", 9, 0, store.AmountMalformed, nil},
		{"+1,5", 9, 0, store.AmountMalformed, nil},
		{"1e3", 9, 0, store.AmountMalformed, nil},
		{"\u0661,\u0665", 9, 0, store.AmountMalformed, nil},
		{"", 9, 0, store.AmountMalformed, nil},
		{"   ", 9, 0, store.AmountMalformed, nil},
		{"1,0000000001", 9, 0, store.AmountDecimals, nil},
		{"0,0000001", 6, 0, store.AmountDecimals, nil},
		{"9223372036,854775807", 9, 9223372036854775807, "", nil},
		{"9223372036,854775808", 9, 0, store.AmountTooLarge, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := store.ParseTypedAmount(tt.in, tt.dec)
			if tt.kind == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ParseTypedAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
				}
				return
			}
			var ae *store.AmountError
			if !errors.As(err, &ae) || !errors.Is(err, store.ErrBadAmount) || ae.Kind != tt.kind || got != 0 {
				t.Fatalf("ParseTypedAmount(%q) = %d, %v; want a %s error", tt.in, got, err, tt.kind)
			}
			if !slices.Equal(ae.Readings, tt.readings) {
				t.Fatalf("readings %q, want %q", ae.Readings, tt.readings)
			}
			if tt.kind == store.AmountAmbiguous && !strings.Contains(ae.Reason, "write "+tt.readings[0]+" (no comma) or "+tt.readings[1]+" (with a dot)") {
				t.Fatalf("reason %q does not say how to write it", ae.Reason)
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		a    store.Amount
		dec  int
		want string
	}{
		{1_500_000_000, 9, "1.5"}, {1, 9, "0.000000001"}, {0, 9, "0"}, {-2_500_000, 6, "-2.5"},
		{100, 0, "100"}, {-9223372036854775808, 9, "-9223372036.854775808"},
	}
	for _, tt := range tests {
		if got := tt.a.Format(tt.dec); got != tt.want {
			t.Errorf("%d.Format(%d) = %q, want %q", tt.a, tt.dec, got, tt.want)
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"1.5", "0.000000001", "18446744073.709551615", "1e5", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := store.ParseAmount(s, 9)
		if err != nil {
			return
		}
		if a < 0 {
			t.Fatalf("%q parsed negative", s)
		}
		if b, err := store.ParseAmount(a.Format(9), 9); err != nil || b != a {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}
