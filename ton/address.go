package ton

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
)

// addressError is the type of the address sentinels: each one also matches
// ErrAddress and store.ErrInvalid, so the HTTP layer maps them to a 400 without
// knowing every case.
type addressError string

func (e addressError) Error() string { return string(e) }

func (e addressError) Is(target error) bool {
	return target == ErrAddress || target == store.ErrInvalid
}

// Errors of ParseAddress. Each matches ErrAddress and store.ErrInvalid.
var (
	ErrAddress              error = addressError("bad ton address")
	ErrNotAddress           error = addressError("not a ton address")
	ErrBadChecksum          error = addressError("ton address checksum mismatch (mistyped?)")
	ErrWrongNetwork         error = addressError("ton address is for testnet, this service runs on mainnet")
	ErrUnsupportedWorkchain error = addressError("unsupported ton workchain")
)

// User-friendly address tag byte: 0x11 bounceable, 0x51 non-bounceable, plus
// 0x80 when the address is flagged testnet-only.
const (
	tagBounceable    = 0x11
	tagNonBounceable = 0x51
	tagTestnet       = 0x80
)

// ParseAddress parses a TON address as users paste it: raw ("0:<64 hex>",
// "-1:<64 hex>"), or the 48-character user-friendly form (bounceable EQ../kQ..
// or non-bounceable UQ../0Q..) in base64url or standard base64 (+/).
// Surrounding white space is ignored.
//
// Network: an address carrying the testnet flag is rejected on mainnet with
// ErrWrongNetwork (money sent there would be lost to a testnet-only
// recipient). The other way is lenient: wallets often show the mainnet form
// even when connected to testnet, and the account id is the same, so a
// mainnet-form address is accepted on testnet. Raw addresses carry no flag
// and are accepted on both.
//
// Only the basechain (0) and the masterchain (-1) are supported.
func ParseAddress(s string, testnet bool) (*address.Address, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrNotAddress)
	}
	if strings.Contains(s, ":") {
		return parseRawAddress(s)
	}
	if len(s) != 48 {
		return nil, fmt.Errorf("%w: %d characters, want 48 (or raw 0:<hex>)", ErrNotAddress, len(s))
	}
	// Standard base64 differs from base64url only in these two characters.
	norm := strings.NewReplacer("+", "-", "/", "_").Replace(s)
	data, err := base64.RawURLEncoding.Strict().DecodeString(norm)
	if err != nil || len(data) != 36 {
		return nil, fmt.Errorf("%w: not base64", ErrNotAddress)
	}
	if !crcMatches(data) {
		return nil, ErrBadChecksum
	}
	tag := data[0]
	if t := tag &^ tagTestnet; t != tagBounceable && t != tagNonBounceable {
		return nil, fmt.Errorf("%w: unknown tag 0x%02x", ErrNotAddress, tag)
	}
	wc := int8(data[1])
	if wc != 0 && wc != -1 {
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedWorkchain, wc)
	}
	if tag&tagTestnet != 0 && !testnet {
		return nil, ErrWrongNetwork
	}
	return address.NewAddress(tag, byte(wc), append([]byte(nil), data[2:34]...)), nil
}

// crcMatches computes the CRC16-XMODEM of the first 34 bytes of a
// user-friendly address and compares it with the last two.
func crcMatches(data []byte) bool {
	var crc uint16
	for _, b := range data[:34] {
		crc ^= uint16(b) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc == binary.BigEndian.Uint16(data[34:])
}

func parseRawAddress(s string) (*address.Address, error) {
	wcStr, hashStr, _ := strings.Cut(s, ":")
	wc, err := strconv.ParseInt(wcStr, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("%w: bad workchain %q", ErrNotAddress, wcStr)
	}
	if wc != 0 && wc != -1 {
		return nil, fmt.Errorf("%w: %d", ErrUnsupportedWorkchain, wc)
	}
	if len(hashStr) != 64 {
		return nil, fmt.Errorf("%w: raw account id has %d hex digits, want 64", ErrNotAddress, len(hashStr))
	}
	data, err := hex.DecodeString(hashStr)
	if err != nil {
		return nil, fmt.Errorf("%w: raw account id is not hex", ErrNotAddress)
	}
	return address.NewAddress(tagBounceable, byte(wc), data), nil
}

// FormatAddress is the form to show users and to send to wallets for a
// plain transfer: user-friendly, url-safe, non-bounceable (UQ..), with the
// testnet flag on testnet (0Q..). Nil gives "".
func FormatAddress(a *address.Address, testnet bool) string {
	if a == nil {
		return ""
	}
	return a.Bounce(false).Testnet(testnet).String()
}

// FormatBounceable is the bounceable form (EQ.., kQ.. on testnet), for
// contracts that must receive a message back if they fail (jetton wallets).
func FormatBounceable(a *address.Address, testnet bool) string {
	if a == nil {
		return ""
	}
	return a.Bounce(true).Testnet(testnet).String()
}

func explorer(testnet bool) string {
	if testnet {
		return "https://testnet.tonviewer.com/"
	}
	return "https://tonviewer.com/"
}

// TxLink links a transaction (or a normalized message hash) on tonviewer.
// hashHex is the 64-digit hex hash.
func TxLink(testnet bool, hashHex string) string {
	return explorer(testnet) + "transaction/" + url.PathEscape(strings.ToLower(hashHex))
}

// AddressLink links an account on tonviewer.
func AddressLink(testnet bool, a *address.Address) string {
	return explorer(testnet) + FormatAddress(a, testnet)
}

// Destinations is the rule book's address reader (store.Rules.ParseDestination)
// for a network: the raw form to compare, the form to show and pay.
func Destinations(testnet bool) func(string) (store.Destination, error) {
	return func(s string) (store.Destination, error) {
		a, err := ParseAddress(s, testnet)
		switch {
		case errors.Is(err, ErrWrongNetwork):
			return store.Destination{}, fmt.Errorf("%w: %v", store.ErrAddressWrongNetwork, err)
		case errors.Is(err, ErrBadChecksum):
			return store.Destination{}, fmt.Errorf("%w: %v", store.ErrAddressChecksum, err)
		case err != nil:
			return store.Destination{}, err
		}
		return store.Destination{Raw: a.Bounce(true).StringRaw(), Display: FormatAddress(a, testnet)}, nil
	}
}
