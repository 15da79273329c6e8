package store_test

import (
	"errors"
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
