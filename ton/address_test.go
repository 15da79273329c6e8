package ton_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// friendly encodes a user-friendly address by hand (tag, workchain, hash,
// CRC16-XMODEM), so tests can make forms tonutils-go would refuse to.
func friendly(tag byte, wc int8, hash []byte) string {
	b := append([]byte{tag, byte(wc)}, hash...)
	var crc uint16
	for _, x := range b {
		crc ^= uint16(x) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint16(b, crc))
}

// urlSafeHash finds an account id whose user-friendly forms use the
// characters that differ between base64url and standard base64.
func urlSafeHash(t *testing.T) []byte {
	for i := 0; i < 10000; i++ {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		s := friendly(0x11, 0, h[:])
		if strings.Contains(s, "-") && strings.Contains(s, "_") {
			return h[:]
		}
	}
	t.Fatal("no account id with - and _")
	return nil
}

func TestParseAddress(t *testing.T) {
	t.Parallel()
	hash := urlSafeHash(t)
	raw := "0:" + hex.EncodeToString(hash)
	bounceable := friendly(0x11, 0, hash)
	nonBounceable := friendly(0x51, 0, hash)
	testnetBounceable := friendly(0x91, 0, hash)
	testnetNonBounceable := friendly(0xd1, 0, hash)
	std := strings.NewReplacer("-", "+", "_", "/").Replace(nonBounceable)
	flipped := bounceable[:47] + map[bool]string{true: "A", false: "B"}[bounceable[47] != 'A']
	midFlipped := bounceable[:20] + map[bool]string{true: "A", false: "B"}[bounceable[20] != 'A'] + bounceable[21:]

	// tonutils-go agrees with the hand-made forms.
	if a := address.NewAddress(0, 0, hash); a.String() != bounceable || a.Bounce(false).Testnet(true).String() != testnetNonBounceable {
		t.Fatalf("hand-made forms differ from tonutils-go: %s %s", a.String(), bounceable)
	}
	if !strings.HasPrefix(bounceable, "EQ") || !strings.HasPrefix(nonBounceable, "UQ") ||
		!strings.HasPrefix(testnetBounceable, "kQ") || !strings.HasPrefix(testnetNonBounceable, "0Q") {
		t.Fatalf("prefixes: %s %s %s %s", bounceable, nonBounceable, testnetBounceable, testnetNonBounceable)
	}
	if !strings.ContainsAny(std, "+/") {
		t.Fatalf("std form %s has no + or /", std)
	}

	tests := []struct {
		name    string
		in      string
		testnet bool
		wc      int32
		want    error
	}{
		{"raw", raw, false, 0, nil},
		{"raw on testnet", raw, true, 0, nil},
		{"raw upper case", "0:" + strings.ToUpper(hex.EncodeToString(hash)), false, 0, nil},
		{"raw masterchain", "-1:" + hex.EncodeToString(hash), false, -1, nil},
		{"raw workchain 1", "1:" + hex.EncodeToString(hash), false, 0, ton.ErrUnsupportedWorkchain},
		{"raw bad workchain", "x:" + hex.EncodeToString(hash), false, 0, ton.ErrNotAddress},
		{"raw short", raw[:len(raw)-1], false, 0, ton.ErrNotAddress},
		{"raw long", raw + "0", false, 0, ton.ErrNotAddress},
		{"raw not hex", "0:" + strings.Repeat("zz", 32), false, 0, ton.ErrNotAddress},
		{"raw no hash", "0:", false, 0, ton.ErrNotAddress},
		{"bounceable", bounceable, false, 0, nil},
		{"non-bounceable", nonBounceable, false, 0, nil},
		{"standard base64", std, false, 0, nil},
		{"standard base64 on testnet", strings.NewReplacer("-", "+", "_", "/").Replace(testnetBounceable), true, 0, nil},
		{"mainnet form on testnet", nonBounceable, true, 0, nil},
		{"testnet form on testnet", testnetNonBounceable, true, 0, nil},
		{"testnet bounceable on testnet", testnetBounceable, true, 0, nil},
		{"testnet form on mainnet", testnetNonBounceable, false, 0, ton.ErrWrongNetwork},
		{"testnet bounceable on mainnet", testnetBounceable, false, 0, ton.ErrWrongNetwork},
		{"masterchain", friendly(0x11, -1, hash), false, -1, nil},
		{"workchain 5", friendly(0x11, 5, hash), false, 0, ton.ErrUnsupportedWorkchain},
		{"unknown tag", friendly(0x00, 0, hash), false, 0, ton.ErrNotAddress},
		{"flipped checksum char", flipped, false, 0, ton.ErrBadChecksum},
		{"flipped hash char", midFlipped, false, 0, ton.ErrBadChecksum},
		{"empty", "", false, 0, ton.ErrNotAddress},
		{"spaces only", "   ", false, 0, ton.ErrNotAddress},
		{"surrounding spaces", "  " + bounceable + "\n", false, 0, nil},
		{"space inside", bounceable[:10] + " " + bounceable[11:], false, 0, ton.ErrNotAddress},
		{"too short", bounceable[:47], false, 0, ton.ErrNotAddress},
		{"too long", bounceable + "A", false, 0, ton.ErrNotAddress},
		{"padded", bounceable + "==", false, 0, ton.ErrNotAddress},
		{"not base64", strings.Repeat("!", 48), false, 0, ton.ErrNotAddress},
		{"ethereum", "0x52908400098527886E0F7030069857D2E4169EE7", false, 0, ton.ErrNotAddress},
		{"domain", "wallet.ton", false, 0, ton.ErrNotAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ton.ParseAddress(tt.in, tt.testnet)
			if tt.want != nil {
				if !errors.Is(err, tt.want) || !errors.Is(err, ton.ErrAddress) || !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Workchain() != tt.wc || hex.EncodeToString(a.Data()) != hex.EncodeToString(hash) {
				t.Fatalf("parsed %s", a.StringRaw())
			}
		})
	}
}

func TestFormatAddress(t *testing.T) {
	t.Parallel()
	a := address.MustParseRawAddr("0:" + strings.Repeat("ab", 32))
	for _, tt := range []struct {
		testnet, bounce bool
		prefix          string
	}{
		{false, false, "UQ"}, {true, false, "0Q"}, {false, true, "EQ"}, {true, true, "kQ"},
	} {
		s := ton.FormatAddress(a, tt.testnet)
		if tt.bounce {
			s = ton.FormatBounceable(a, tt.testnet)
		}
		if !strings.HasPrefix(s, tt.prefix) || strings.ContainsAny(s, "+/=") || len(s) != 48 {
			t.Errorf("testnet=%v bounce=%v: %s", tt.testnet, tt.bounce, s)
		}
		back, err := ton.ParseAddress(s, tt.testnet)
		if err != nil || !back.Equals(a) || back.IsBounceable() != tt.bounce || back.IsTestnetOnly() != tt.testnet {
			t.Errorf("%s does not parse back: %v", s, err)
		}
	}
	if ton.FormatAddress(nil, false) != "" || ton.FormatBounceable(nil, true) != "" {
		t.Error("nil address formats")
	}
	// The caller's address is not modified.
	if !a.IsBounceable() || a.IsTestnetOnly() {
		t.Error("FormatAddress changed its argument")
	}
}

func TestExplorerLink(t *testing.T) {
	t.Parallel()
	a := address.MustParseRawAddr("0:" + strings.Repeat("ab", 32))
	hash := strings.Repeat("C0", 32)
	tests := []struct{ got, want string }{
		{ton.TxLink(false, hash), "https://tonviewer.com/transaction/" + strings.ToLower(hash)},
		{ton.TxLink(true, hash), "https://testnet.tonviewer.com/transaction/" + strings.ToLower(hash)},
		{ton.TxLink(false, "a/b?c"), "https://tonviewer.com/transaction/a%2Fb%3Fc"},
		{ton.AddressLink(false, a), "https://tonviewer.com/" + ton.FormatAddress(a, false)},
		{ton.AddressLink(true, a), "https://testnet.tonviewer.com/" + ton.FormatAddress(a, true)},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}
