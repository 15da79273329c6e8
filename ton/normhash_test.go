package ton_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/ton"
)

func TestNormalizedHashFixture(t *testing.T) {
	t.Parallel()
	var f struct {
		BOC            string `json:"boc"`
		Hash           string `json:"hash_hex"`
		NormalizedHash string `json:"normalized_hash_hex"`
	}
	if err := json.Unmarshal(readFixture(t, "normalized_hash.json"), &f); err != nil {
		t.Fatal(err)
	}
	boc, err := base64.StdEncoding.DecodeString(f.BOC)
	if err != nil {
		t.Fatal(err)
	}
	root, err := ton.ParseBOC(boc)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(root.Hash()); got != f.Hash {
		t.Fatalf("plain hash %s, fixture says %s", got, f.Hash)
	}

	got, err := ton.NormalizedHash(boc)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != f.NormalizedHash {
		t.Fatalf("normalized hash %x, want %s", got, f.NormalizedHash)
	}
	urlSafe := strings.NewReplacer("+", "-", "/", "_").Replace(f.BOC)
	for _, s := range []string{f.BOC, strings.TrimRight(f.BOC, "="), urlSafe, strings.TrimRight(urlSafe, "="), " " + f.BOC + "\n"} {
		got, err := ton.NormalizedHashBase64(s)
		if err != nil || hex.EncodeToString(got) != f.NormalizedHash {
			t.Errorf("%q: %x %v", s, got, err)
		}
	}
}

// extIn builds an external-in message to dst by hand, with the parts
// TEP-467 normalizes away set or not.
func extIn(t *testing.T, dst *address.Address, src *address.Address, importFee uint64, init *cell.Cell, body *cell.Cell, bodyInline bool) []byte {
	t.Helper()
	b := cell.BeginCell().MustStoreUInt(0b10, 2).MustStoreAddr(src).MustStoreAddr(dst).MustStoreCoins(importFee)
	if init != nil {
		b.MustStoreBoolBit(true).MustStoreBoolBit(true).MustStoreRef(init)
	} else {
		b.MustStoreBoolBit(false)
	}
	if bodyInline {
		b.MustStoreBoolBit(false).MustStoreBuilder(body.ToBuilder())
	} else {
		b.MustStoreBoolBit(true).MustStoreRef(body)
	}
	return b.EndCell().ToBOC()
}

func mustBOC(t *testing.T, boc []byte) *cell.Cell {
	t.Helper()
	c, err := cell.FromBOC(boc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNormalizedHashInvariance(t *testing.T) {
	t.Parallel()
	dst := address.MustParseRawAddr("0:" + strings.Repeat("5a", 32))
	body := cell.BeginCell().MustStoreUInt(0xdeadbeef, 32).MustStoreRef(cell.BeginCell().MustStoreUInt(7, 8).EndCell()).EndCell()
	init, err := tlb.ToCell(&tlb.StateInit{Code: cell.BeginCell().MustStoreUInt(1, 8).EndCell(), Data: cell.BeginCell().EndCell()})
	if err != nil {
		t.Fatal(err)
	}
	ext := address.NewAddressExt(0, 16, []byte{0xab, 0xcd})

	ref := extIn(t, dst, nil, 0, nil, body, false)
	want, err := ton.NormalizedHash(ref)
	if err != nil {
		t.Fatal(err)
	}
	// tonutils-go's own normalization agrees.
	var msg tlb.ExternalMessage
	if err := tlb.LoadFromCell(&msg, mustBOC(t, ref).MustBeginParse()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(msg.NormalizedHash(), want) {
		t.Fatalf("tonutils-go says %x, we say %x", msg.NormalizedHash(), want)
	}
	// A message already in normal form hashes to itself.
	if !bytes.Equal(mustBOC(t, ref).Hash(), want) {
		t.Fatal("normal form does not hash to itself")
	}

	variants := map[string][]byte{
		"body inline":          extIn(t, dst, nil, 0, nil, body, true),
		"with state init":      extIn(t, dst, nil, 0, init, body, false),
		"with import fee":      extIn(t, dst, nil, 12345, nil, body, false),
		"with external source": extIn(t, dst, ext, 0, nil, body, false),
		"all of them":          extIn(t, dst, ext, 1, init, body, true),
	}
	for name, boc := range variants {
		got, err := ton.NormalizedHash(boc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %x", name, got, want)
		}
		if bytes.Equal(mustBOC(t, boc).Hash(), want) {
			t.Errorf("%s: plain hash equals the normalized one, the variant changes nothing", name)
		}
	}

	// What identifies the message does change the hash.
	for name, boc := range map[string][]byte{
		"other destination": extIn(t, address.MustParseRawAddr("-1:"+strings.Repeat("5a", 32)), nil, 0, nil, body, false),
		"other body":        extIn(t, dst, nil, 0, nil, cell.BeginCell().MustStoreUInt(0xdeadbeee, 32).EndCell(), false),
	} {
		got, err := ton.NormalizedHash(boc)
		if err != nil || bytes.Equal(got, want) {
			t.Errorf("%s: %x %v", name, got, err)
		}
	}
	// An empty inline body normalizes to an empty body in a ref.
	empty := cell.BeginCell().EndCell()
	a, err1 := ton.NormalizedHash(extIn(t, dst, nil, 0, nil, empty, true))
	b, err2 := ton.NormalizedHash(extIn(t, dst, nil, 0, nil, empty, false))
	if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
		t.Errorf("empty body: %x %v / %x %v", a, err1, b, err2)
	}
}

func TestNormalizedHashRejects(t *testing.T) {
	t.Parallel()
	dst := address.MustParseRawAddr("0:" + strings.Repeat("5a", 32))
	internal, err := tlb.ToCell(&tlb.InternalMessage{
		Bounce:  true,
		SrcAddr: address.NewAddressNone(),
		DstAddr: dst,
		Amount:  tlb.MustFromTON("1"),
		Body:    ton.CommentCell("hi"),
	})
	if err != nil {
		t.Fatal(err)
	}
	extOut, err := tlb.ToCell(&tlb.ExternalMessageOut{SrcAddr: dst, DstAddr: address.NewAddressNone(), Body: cell.BeginCell().EndCell()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		boc  []byte
		want error
	}{
		{"internal", internal.ToBOC(), ton.ErrNotExternalIn},
		{"external out", extOut.ToBOC(), ton.ErrNotExternalIn},
		{"empty cell", cell.BeginCell().EndCell().ToBOC(), ton.ErrBadMessage},
		{"truncated message", cell.BeginCell().MustStoreUInt(0b10, 2).MustStoreUInt(0, 2).EndCell().ToBOC(), ton.ErrBadMessage},
		{"no destination", cell.BeginCell().MustStoreUInt(0b10, 2).MustStoreUInt(0, 2).MustStoreUInt(0, 2).MustStoreCoins(0).MustStoreUInt(0, 2).EndCell().ToBOC(), ton.ErrBadMessage},
		{"empty", nil, ton.ErrBadMessage},
		{"garbage", []byte("definitely not a boc"), ton.ErrBadMessage},
		{"huge header", []byte("\xb5\xee\x9cr\x14\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00"), ton.ErrBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ton.NormalizedHash(tt.boc); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	for _, s := range []string{"", "!!!", "te6cc"} {
		if _, err := ton.NormalizedHashBase64(s); !errors.Is(err, ton.ErrBadMessage) {
			t.Errorf("%q: err = %v", s, err)
		}
	}
}

func FuzzNormalizedHash(f *testing.F) {
	var fx struct {
		BOC string `json:"boc"`
	}
	if err := json.Unmarshal(readFixture(f, "normalized_hash.json"), &fx); err == nil {
		if b, err := base64.StdEncoding.DecodeString(fx.BOC); err == nil {
			f.Add(b)
		}
	}
	f.Add(cell.BeginCell().MustStoreUInt(0b10, 2).EndCell().ToBOC())
	f.Add([]byte("\xb5\xee\x9cr\x15\x00\x19\xad\xcev\xa2h@ k\x90\xeb\x85\xff\xc0\x00\x19\xaf\x1d\xf6\xa2h@\x10k\x90\xeb\x85\x8f\xc0\x1c\xe3\x8b\x8a"))
	f.Fuzz(func(t *testing.T, boc []byte) {
		h, err := ton.NormalizedHash(boc)
		if err == nil && len(h) != 32 {
			t.Fatalf("hash of %d bytes", len(h))
		}
	})
}
