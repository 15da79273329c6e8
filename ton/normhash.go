package ton

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// Errors of NormalizedHash.
var (
	ErrBadMessage    = errors.New("not a ton message boc")
	ErrNotExternalIn = errors.New("not an external-in message")
)

// NormalizedHash is the TEP-467 normalized hash of an external-in message
// BOC, as a wallet returns it from TON Connect sendTransaction: the hash of
// the message rebuilt with src addr_none, import_fee 0, no state init and the
// body always in a ref. Explorers and indexers key on it, so it can show a
// payment as pending at once. It proves nothing: credit only from the
// incoming internal transaction on chain.
func NormalizedHash(boc []byte) ([]byte, error) {
	root, err := parseBOC(boc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	tag, err := root.BeginParse().LoadUInt(2)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if tag != 0b10 {
		return nil, ErrNotExternalIn
	}
	var msg tlb.ExternalMessage
	if err := safeLoad(&msg, root.BeginParse()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if msg.DstAddr == nil || msg.DstAddr.Type() != address.StdAddress {
		return nil, fmt.Errorf("%w: destination is not a standard address", ErrBadMessage)
	}
	body := msg.Body
	if body == nil {
		body = cell.BeginCell().EndCell()
	}
	b := cell.BeginCell()
	err = errors.Join(
		b.StoreUInt(0b10, 2), // ext_in_msg_info$10
		b.StoreAddr(nil),     // src: addr_none
		b.StoreAddr(msg.DstAddr),
		b.StoreCoins(0),       // import_fee
		b.StoreBoolBit(false), // no init
		b.StoreBoolBit(true),  // body in a ref
		b.StoreRef(body),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	return b.EndCell().Hash(), nil
}

// NormalizedHashBase64 is NormalizedHash of a base64 BOC, standard or
// url-safe, padded or not (wallets differ).
func NormalizedHashBase64(s string) ([]byte, error) {
	boc, err := decodeBase64(s)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrBadMessage)
	}
	return NormalizedHash(boc)
}

// decodeBase64 accepts standard and url-safe base64 with or without padding.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	s = strings.TrimRight(s, "=")
	return base64.RawStdEncoding.DecodeString(s)
}

// parseBOC parses a single-root BOC from an untrusted source. tonutils-go
// can panic on some malformed input; that becomes an error here.
func parseBOC(boc []byte) (c *cell.Cell, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("malformed boc: %v", r)
		}
	}()
	return cell.FromBOC(boc)
}

// safeLoad is tlb.LoadFromCell that turns a panic on crafted cells into an
// error.
func safeLoad(v any, s *cell.Slice) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed cell: %v", r)
		}
	}()
	return tlb.LoadFromCell(v, s)
}
