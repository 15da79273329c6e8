package tontest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/jetton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// Wallet is a user wallet (V4R2 or V5R1Final) deployed on the chain, whose
// sends are real signed external messages built with tonutils-go.
type Wallet struct {
	c   *Chain
	key ed25519.PrivateKey
	w   *wallet.Wallet
	ttl func(uint32) // sets the valid_until window of the wallet's messages
	mu  sync.Mutex   // one send at a time, so seqnos follow each other
}

// NewWallet deploys a wallet (wallet.V4R2 or wallet.V5R1Final) with a fresh
// key and a genesis balance of nano, set without a transaction (a follower
// of the wallet sees no history for it) and visible at the head block.
func (c *Chain) NewWallet(version wallet.Version, nano uint64) (*Wallet, error) {
	var cfg wallet.VersionConfig
	switch version {
	case wallet.V4R2:
		cfg = wallet.V4R2
	case wallet.V5R1Final:
		cfg = wallet.ConfigV5R1Final{NetworkGlobalID: c.opts.GlobalID}
	default:
		return nil, fmt.Errorf("tontest: wallet %s is not emulated", version)
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	w := &Wallet{c: c, key: key}
	if w.w, err = wallet.FromPrivateKey(nil, key, cfg); err != nil {
		return nil, err
	}
	si, err := wallet.GetStateInit(key.Public().(ed25519.PublicKey), cfg, w.w.GetSubwalletID())
	if err != nil {
		return nil, err
	}
	fetch := func(context.Context, uint32) (uint32, error) { return w.nextSeqno(), nil }
	switch spec := w.w.GetSpec().(type) {
	case *wallet.SpecV4R2:
		spec.SetSeqnoFetcher(fetch)
		w.ttl = spec.SetMessagesTTL
	case *wallet.SpecV5R1Final:
		spec.SetSeqnoFetcher(fetch)
		w.ttl = spec.SetMessagesTTL
	}

	c.mu.Lock()
	acc := c.account(w.Address())
	c.vm.deploy(acc, si.Code, si.Data, acc.balance+nano, c.blocks[len(c.blocks)-1].now)
	c.snapshot(acc)
	c.mu.Unlock()
	return w, nil
}

// nextSeqno is the seqno of the wallet's next message: the stored one plus
// its messages waiting for a block.
func (w *Wallet) nextSeqno() uint32 {
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	acc := w.c.account(w.Address())
	_, data := acc.vmCodeData()
	if data == nil {
		return 0
	}
	s := data.MustBeginParse()
	if _, ok := w.w.GetSpec().(*wallet.SpecV5R1Final); ok {
		s.MustLoadBoolBit() // is_signature_allowed
	}
	seqno := uint32(s.MustLoadUInt(32))
	for _, p := range w.c.pending {
		if p.msg.DstAddr.Equals(acc.addr) {
			seqno++
		}
	}
	return seqno
}

// Address returns the wallet address (non-bounceable form).
func (w *Wallet) Address() *address.Address { return w.w.WalletAddress() }

// PrivateKey returns the wallet key, e.g. for wallet.FromPrivateKey.
func (w *Wallet) PrivateKey() ed25519.PrivateKey { return w.key }

// Send signs an external message sending nano to `to` with a text comment
// ("" for none) and queues it for the next block, as a user's wallet app
// would. Mode 3: fees paid apart, errors ignored. Several sends may wait for
// the same block (consecutive seqnos); each is checked when the block is made.
func (w *Wallet) Send(to *address.Address, nano uint64, comment string, bounce bool) error {
	msg, err := w.w.BuildTransfer(to, tlb.FromNanoTONU(nano), bounce, comment)
	if err != nil {
		return err
	}
	return w.send(msg)
}

// SendBody signs an external message sending nano to `to` with any body
// (a hand-made contract message), mode 3, as a wallet app's raw send would.
func (w *Wallet) SendBody(to *address.Address, nano uint64, body *cell.Cell, bounce bool) error {
	return w.send(&wallet.Message{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
		IHRDisabled: true, Bounce: bounce, DstAddr: to, Amount: tlb.FromNanoTONU(nano), Body: body}})
}

// SendJetton sends amount of jetton j (raw units) to the owner `to`: a
// TEP-74 transfer to the wallet's own jetton wallet carrying forwardTON
// nanoton and a comment as forward payload ("" for none), the response
// (excesses) back to this wallet. JettonTransferTON more is attached.
func (w *Wallet) SendJetton(j *Jetton, to *address.Address, amount *big.Int, forwardTON uint64, comment string) error {
	payload := cell.BeginCell().EndCell()
	if comment != "" {
		var err error
		if payload, err = wallet.CreateCommentCell(comment); err != nil {
			return err
		}
	}
	body, err := tlb.ToCell(jetton.TransferPayload{
		QueryID:             uint64(time.Now().UnixNano()),
		Amount:              tlb.FromNanoTON(amount),
		Destination:         to,
		ResponseDestination: w.Address(),
		ForwardTONAmount:    tlb.FromNanoTONU(forwardTON),
		ForwardPayload:      payload,
	})
	if err != nil {
		return err
	}
	return w.send(&wallet.Message{
		Mode: wallet.PayGasSeparately + wallet.IgnoreErrors,
		InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true,
			Bounce:      true,
			DstAddr:     j.WalletAddress(w.Address()),
			Amount:      tlb.FromNanoTONU(forwardTON + JettonTransferTON),
			Body:        body,
		},
	})
}

// SendMessages signs an external carrying msgs, as a wallet app does for a
// TON Connect sendTransaction, queues it for the next block and returns its
// BOC (what the app hands back to the page).
func (w *Wallet) SendMessages(msgs ...*wallet.Message) ([]byte, error) {
	return w.sendBOC(msgs...)
}

func (w *Wallet) send(msgs ...*wallet.Message) error {
	_, err := w.sendBOC(msgs...)
	return err
}

func (w *Wallet) sendBOC(msgs ...*wallet.Message) ([]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	// tonutils-go sets valid_until from the wall clock: stretch the window
	// by what Advance added, so the message is valid on the chain clock.
	ahead := time.Until(w.c.Now())
	w.ttl(uint32(180 + max(0, ahead/time.Second)))
	ext, err := w.w.PrepareExternalMessageForMany(context.Background(), false, msgs)
	if err != nil {
		return nil, err
	}
	root, err := tlb.ToCell(ext)
	if err != nil {
		return nil, err
	}
	w.c.mu.Lock()
	defer w.c.mu.Unlock()
	w.c.enqueue(ext, root)
	return root.ToBOC(), nil
}
