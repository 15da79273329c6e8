package ton_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
)

func extKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
}

func extAddr(seed byte) *address.Address {
	return address.NewAddress(0, 0, bytes.Repeat([]byte{seed}, 32))
}

func coinMsg(to *address.Address, nano int64, body *cell.Cell) *wallet.Message {
	if body == nil {
		body = cell.BeginCell().EndCell()
	}
	return &wallet.Message{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
		IHRDisabled: true, Bounce: false, DstAddr: to, Amount: tlb.FromNanoTON(big.NewInt(nano)), Body: body}}
}

func signed(t *testing.T, key ed25519.PrivateKey, v wallet.VersionConfig, seqno uint32, msgs ...*wallet.Message) (string, *address.Address) {
	t.Helper()
	boc, addr, err := tontest.SignExternal(key, v, seqno, msgs...)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(boc), addr
}

type keyMap map[string]ed25519.PublicKey

func (k keyMap) GetPublicKey(_ context.Context, a *address.Address) (ed25519.PublicKey, error) {
	if p, ok := k[a.StringRaw()]; ok {
		return p, nil
	}
	return nil, ton.ErrProof // "the chain has no key"
}

func TestWalletTransferPays(t *testing.T) {
	t.Parallel()
	hot, jw, other := extAddr(1), extAddr(2), extAddr(3)
	versions := []struct {
		name string
		v    wallet.VersionConfig
	}{{"v4r2", wallet.V4R2}, {"w5", wallet.ConfigV5R1Final{NetworkGlobalID: wallet.TestnetGlobalID}}}
	for _, ver := range versions {
		t.Run(ver.name, func(t *testing.T) {
			t.Parallel()
			key := extKey(7)
			pub := key.Public().(ed25519.PublicKey)
			pay := ton.Payment{To: hot, Amount: 1_500_000_000, Comment: "ABC123"}

			// A wallet not deployed yet: the state init gives the key.
			b64, addr := signed(t, key, ver.v, 0, coinMsg(hot, 1_500_000_000, ton.CommentCell("abc123")))
			tr, err := ton.ParseWalletTransfer(b64)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Version != ver.name || !tr.Wallet.Equals(addr) || len(tr.Messages) != 1 || tr.Messages[0].Amount != 1_500_000_000 {
				t.Fatalf("parsed %+v", tr)
			}
			if err := tr.Verify(context.Background(), nil, nil); err != nil {
				t.Fatalf("verify with state init: %v", err)
			}
			if err := tr.Pays(pay); err != nil {
				t.Fatalf("pays: %v", err)
			}
			h, _ := ton.NormalizedHashBase64(b64)
			if !bytes.Equal(h, tr.NormalizedHash) {
				t.Fatal("normalized hash differs")
			}

			// Deployed (seqno 5, no state init): the key comes from the
			// linked wallet or the chain; another key fails.
			b64, _ = signed(t, key, ver.v, 5, coinMsg(other, 1, nil), coinMsg(hot, 1_000_000_000, ton.CommentCell("ABC123")), coinMsg(hot, 500_000_000, ton.CommentCell("ABC123")))
			tr, err = ton.ParseWalletTransfer(b64)
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Messages) != 3 || !tr.Messages[0].To.Equals(other) {
				t.Fatalf("messages %+v", tr.Messages)
			}
			if err := tr.Verify(context.Background(), pub, nil); err != nil {
				t.Fatal(err)
			}
			if err := tr.Verify(context.Background(), nil, keyMap{addr.StringRaw(): pub}); err != nil {
				t.Fatal(err)
			}
			if err := tr.Verify(context.Background(), extKey(8).Public().(ed25519.PublicKey), nil); !errors.Is(err, ton.ErrBadSignature) {
				t.Fatalf("wrong key: %v", err)
			}
			if err := tr.Verify(context.Background(), nil, keyMap{}); !errors.Is(err, ton.ErrBadSignature) {
				t.Fatalf("no key: %v", err)
			}
			if err := tr.Pays(pay); err != nil {
				t.Fatalf("two messages summing to the amount: %v", err)
			}
			if err := tr.Pays(ton.Payment{To: hot, Amount: 1_500_000_001, Comment: "ABC123"}); !errors.Is(err, ton.ErrNotPayment) {
				t.Fatalf("short: %v", err)
			}

			// Wrong destination, comment, amount; memo-less exactness.
			for name, c := range map[string]struct {
				msg *wallet.Message
				p   ton.Payment
				ok  bool
			}{
				"elsewhere":                         {coinMsg(other, 1_500_000_000, ton.CommentCell("ABC123")), pay, false},
				"other comment":                     {coinMsg(hot, 1_500_000_000, ton.CommentCell("XYZ")), pay, false},
				"no comment":                        {coinMsg(hot, 1_500_000_000, nil), pay, false},
				"too little":                        {coinMsg(hot, 1_499_999_999, ton.CommentCell("ABC123")), pay, false},
				"more":                              {coinMsg(hot, 2_000_000_000, ton.CommentCell("ABC123")), pay, true},
				"memo-less exact":                   {coinMsg(hot, 1_000_000_321, nil), ton.Payment{To: hot, Amount: 1_000_000_321, Exact: true}, true},
				"memo-less more":                    {coinMsg(hot, 1_000_000_322, nil), ton.Payment{To: hot, Amount: 1_000_000_321, Exact: true}, false},
				"memo-less comment":                 {coinMsg(hot, 1_000_000_321, ton.CommentCell("X")), ton.Payment{To: hot, Amount: 1_000_000_321, Exact: true}, false},
				"jetton transfer to hot, want coin": {coinMsg(hot, 1_500_000_000, ton.JettonTransferBody(1, 1_500_000_000, hot, addr, 1, "ABC123")), pay, false},
			} {
				b64, _ := signed(t, key, ver.v, 1, c.msg)
				tr, err := ton.ParseWalletTransfer(b64)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := tr.Pays(c.p); (err == nil) != c.ok || (err != nil && !errors.Is(err, ton.ErrNotPayment)) {
					t.Errorf("%s: %v", name, err)
				}
			}

			// Jettons: a transfer to the payer's jetton wallet sending to hot.
			jpay := ton.Payment{To: hot, Via: jw, Amount: 2_500_000, Comment: "J1"}
			for name, c := range map[string]struct {
				msg *wallet.Message
				ok  bool
			}{
				"right":           {coinMsg(jw, 50_000_000, ton.JettonTransferBody(9, 2_500_000, hot, addr, 1, "J1")), true},
				"to another":      {coinMsg(jw, 50_000_000, ton.JettonTransferBody(9, 2_500_000, other, addr, 1, "J1")), false},
				"other wallet":    {coinMsg(other, 50_000_000, ton.JettonTransferBody(9, 2_500_000, hot, addr, 1, "J1")), false},
				"short":           {coinMsg(jw, 50_000_000, ton.JettonTransferBody(9, 2_499_999, hot, addr, 1, "J1")), false},
				"no payload":      {coinMsg(jw, 50_000_000, ton.JettonTransferBody(9, 2_500_000, hot, addr, 1, "")), false},
				"coin, no jetton": {coinMsg(hot, 2_500_000, ton.CommentCell("J1")), false},
			} {
				b64, _ := signed(t, key, ver.v, 1, c.msg)
				tr, err := ton.ParseWalletTransfer(b64)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if err := tr.Pays(jpay); (err == nil) != c.ok {
					t.Errorf("jetton %s: %v", name, err)
				}
			}
		})
	}
}

func TestWalletTransferRefuses(t *testing.T) {
	t.Parallel()
	hot := extAddr(1)
	// Not a wallet body: an external with a made-up body, an internal
	// message, garbage.
	ext := &tlb.ExternalMessage{DstAddr: hot, Body: cell.BeginCell().MustStoreUInt(0xdeadbeef, 32).EndCell()}
	c, _ := tlb.ToCell(ext)
	for name, s := range map[string]string{
		"made-up body": base64.StdEncoding.EncodeToString(c.ToBOC()),
		"empty cell":   "te6ccgEBAQEAAgAAAA==",
		"not base64":   "%%%",
	} {
		if _, err := ton.ParseWalletTransfer(s); !errors.Is(err, ton.ErrBadMessage) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A state init of another address than the external's destination.
	key := extKey(9)
	b64, _ := signed(t, key, wallet.V4R2, 0, coinMsg(hot, 1, nil))
	boc, _ := base64.StdEncoding.DecodeString(b64)
	root, _ := ton.ParseBOC(boc)
	var msg tlb.ExternalMessage
	if err := tlb.LoadFromCell(&msg, root.MustBeginParse()); err != nil {
		t.Fatal(err)
	}
	msg.DstAddr = extAddr(4)
	c, _ = tlb.ToCell(&msg)
	tr, err := ton.ParseWalletTransfer(base64.StdEncoding.EncodeToString(c.ToBOC()))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Verify(context.Background(), key.Public().(ed25519.PublicKey), nil); !errors.Is(err, ton.ErrBadSignature) {
		t.Fatalf("state init of another address: %v", err)
	}
}

// The fixture is a real wallet's external (V4R2, deployed): it parses, pays
// its own destination with its comment, and nothing of ours.
func TestWalletTransferFixture(t *testing.T) {
	t.Parallel()
	var f struct {
		BOC            string `json:"boc"`
		NormalizedHash string `json:"normalized_hash_hex"`
	}
	if err := json.Unmarshal(readFixture(t, "normalized_hash.json"), &f); err != nil {
		t.Fatal(err)
	}
	tr, err := ton.ParseWalletTransfer(f.BOC)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(tr.NormalizedHash) != f.NormalizedHash || len(tr.Messages) != 1 {
		t.Fatalf("parsed %+v", tr)
	}
	m := tr.Messages[0]
	t.Logf("fixture: %s wallet %s pays %d to %s", tr.Version, tr.Wallet.StringRaw(), m.Amount, m.To.StringRaw())
	if err := tr.Pays(ton.Payment{To: m.To, Amount: m.Amount, Comment: "Hello"}); err != nil {
		t.Fatalf("its own payment: %v", err)
	}
	if err := tr.Pays(ton.Payment{To: extAddr(1), Amount: m.Amount, Comment: "Hello"}); !errors.Is(err, ton.ErrNotPayment) {
		t.Fatalf("foreign: %v", err)
	}
}
