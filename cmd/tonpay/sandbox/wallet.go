package sandbox

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/ton/tontest"
)

// The sandbox wallet does what a user's wallet app does for TON Connect: it
// proves it owns its address with a real ton_proof and signs real external
// messages, with keys that live in the emulated chain.

// proveOwnership answers a TON Connect connect request with ton_addr and,
// when asked, a ton_proof signed for payload and domain (the manifest's host).
func proveOwnership(w *tontest.Wallet, payload, domain string) (map[string]any, error) {
	key := w.PrivateKey()
	pub := key.Public().(ed25519.PublicKey)
	si, err := wallet.GetStateInit(pub, wallet.V4R2, wallet.DefaultSubwallet)
	if err != nil {
		return nil, err
	}
	siCell, err := tlb.ToCell(si)
	if err != nil {
		return nil, err
	}
	addr := w.Address()
	ts := time.Now().Unix()
	var inner bytes.Buffer
	inner.WriteString("ton-proof-item-v2/")
	binary.Write(&inner, binary.BigEndian, int32(addr.Workchain()))
	inner.Write(addr.Data())
	binary.Write(&inner, binary.LittleEndian, uint32(len(domain)))
	inner.WriteString(domain)
	binary.Write(&inner, binary.LittleEndian, uint64(ts))
	inner.WriteString(payload)
	innerHash := sha256.Sum256(inner.Bytes())
	digest := sha256.Sum256(append(append([]byte{0xff, 0xff}, "ton-connect"...), innerHash[:]...))
	items := []any{map[string]any{"name": "ton_addr", "address": addr.StringRaw(), "network": "-3",
		"walletStateInit": base64.StdEncoding.EncodeToString(siCell.ToBOC()), "publicKey": hex.EncodeToString(pub)}}
	if payload != "" {
		items = append(items, map[string]any{"name": "ton_proof", "proof": map[string]any{
			"timestamp": ts, "domain": map[string]any{"lengthBytes": len(domain), "value": domain},
			"payload": payload, "signature": base64.StdEncoding.EncodeToString(ed25519.Sign(key, digest[:]))}})
	}
	return map[string]any{"items": items}, nil
}

// WalletMessage is one message of a TON Connect sendTransaction.
type WalletMessage struct {
	Address string `json:"address"`
	Amount  string `json:"amount"`
	Payload string `json:"payload"`
}

// SignAndSend signs what the page asked the wallet to send and hands it to
// the chain; the BOC goes back to the page, as a wallet app answers.
func SignAndSend(w *tontest.Wallet, msgs []WalletMessage) (string, error) {
	var out []*wallet.Message
	for _, m := range msgs {
		to, err := address.ParseAddr(m.Address)
		if err != nil {
			return "", fmt.Errorf("address %q: %w", m.Address, err)
		}
		amt, ok := new(big.Int).SetString(m.Amount, 10)
		if !ok || amt.Sign() < 0 {
			return "", fmt.Errorf("amount %q", m.Amount)
		}
		body := cell.BeginCell().EndCell()
		if m.Payload != "" {
			raw, err := base64.StdEncoding.DecodeString(m.Payload)
			if err != nil {
				return "", fmt.Errorf("payload: %w", err)
			}
			if body, err = cell.FromBOC(raw); err != nil {
				return "", fmt.Errorf("payload: %w", err)
			}
		}
		out = append(out, &wallet.Message{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: to.IsBounceable(), DstAddr: to, Amount: tlb.FromNanoTON(amt), Body: body}})
	}
	if len(out) == 0 || len(out) > 4 {
		return "", fmt.Errorf("%d messages: a wallet sends 1 to 4", len(out))
	}
	boc, err := w.SendMessages(out...)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(boc), nil
}
