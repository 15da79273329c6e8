package ton

import (
	"bytes"
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
//
// The hash itself is tonutils-go's (*tlb.ExternalMessage).NormalizedHash
// (since v1.14; it gives the same hashes as our own did, on the fixtures and
// the tests). What is kept here is what the library leaves to its caller:
// the BOC comes from a client, so it is parsed with ParseBOC's checks and a
// panic turns into an error; anything but an external-in message is refused
// (the library would hash whatever it was given); and the destination must
// be a standard address (the library's MustStoreAddr would panic on some).
func NormalizedHash(boc []byte) ([]byte, error) {
	root, err := ParseBOC(boc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	s, err := root.BeginParse()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	tag, err := s.LoadUInt(2)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if tag != 0b10 {
		return nil, ErrNotExternalIn
	}
	var msg tlb.ExternalMessage
	if err := safeParse(&msg, root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	if msg.DstAddr == nil || msg.DstAddr.Type() != address.StdAddress {
		return nil, fmt.Errorf("%w: destination is not a standard address", ErrBadMessage)
	}
	return msg.NormalizedHash(), nil
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

// maxBOC bounds the BOCs we parse from clients: a wallet state init is
// about 1 KB, an external message at most 64 KB on chain.
const maxBOC = 1 << 20

// ParseBOC parses a BOC of one root from an untrusted source (a wallet, a
// client). Use it instead of cell.FromBOC there: tonutils-go takes the
// header's counts at their word up to its own caps (since v1.18: 1,048,576
// cells and about 295 MB of cell data, whatever the length of the BOC; v1.12
// had none) and has panicked on malformed cells. Here the counts must fit
// the bytes actually sent, and a panic becomes an error.
func ParseBOC(boc []byte) (c *cell.Cell, err error) {
	if err := checkBOCHeader(boc); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("malformed boc: %v", r)
		}
	}()
	return cell.FromBOC(boc)
}

// checkBOCHeader checks the counts of a serialized_boc header against the
// length of the data, so that nothing is allocated for cells that cannot be
// there.
func checkBOCHeader(boc []byte) error {
	if len(boc) > maxBOC {
		return fmt.Errorf("boc of %d bytes is too large", len(boc))
	}
	if len(boc) < 6 || !bytes.Equal(boc[:4], []byte{0xb5, 0xee, 0x9c, 0x72}) {
		return errors.New("not a boc")
	}
	size, offBytes := int(boc[4]&7), int(boc[5])
	if size < 1 || size > 4 || offBytes < 1 || offBytes > 8 {
		return errors.New("malformed boc header")
	}
	rest := boc[6:]
	if len(rest) < 3*size+offBytes {
		return errors.New("short boc header")
	}
	num := func(n int) uint64 {
		var v uint64
		for _, b := range rest[:n] {
			v = v<<8 | uint64(b)
		}
		rest = rest[n:]
		return v
	}
	cells, roots, absent, total := num(size), num(size), num(size), num(offBytes)
	n := uint64(len(boc))
	// Every cell takes at least 2 bytes, every root index at least one.
	if cells == 0 || cells > n/2 || roots == 0 || roots > cells || absent > cells || total > n {
		return errors.New("boc header counts do not fit its length")
	}
	return nil
}

// safeParse is tlb.Parse that turns a panic on crafted cells into an error.
func safeParse(v any, c *cell.Cell) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed cell: %v", r)
		}
	}()
	return tlb.Parse(v, c)
}
