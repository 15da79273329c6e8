package ton

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/jetton"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// A wallet's external message, as TON Connect hands it back after
// sendTransaction, read for what it pays: which wallet signed it, and the
// internal messages its signed body asks the wallet to send. Wallet bodies
// read: V3R2, V4R2 (signature first) and W5 v5r1 (signature last).

// Errors of ParseWalletTransfer, Verify and Pays. All wrap ErrBadMessage.
var (
	ErrNotWalletBody = fmt.Errorf("%w: not a wallet's signed transfer (V3R2, V4R2 or W5)", ErrBadMessage)
	ErrBadSignature  = fmt.Errorf("%w: the signature is not the wallet's", ErrBadMessage)
	ErrNotPayment    = fmt.Errorf("%w: it does not pay this invoice", ErrBadMessage)
)

// OutMessage is one internal message a wallet transfer sends.
type OutMessage struct {
	Mode   uint8
	To     *address.Address
	Amount store.Amount // nanoton
	Bounce bool
	Body   *cell.Cell // nil when empty
}

// WalletTransfer is a parsed wallet external.
type WalletTransfer struct {
	Wallet         *address.Address // the wallet that sends (the external's destination)
	Version        string           // "v3r2", "v4r2" or "w5"
	Messages       []OutMessage
	NormalizedHash []byte // TEP-467

	stateInit *cell.Cell // sent with the external (a wallet not yet deployed); nil when none
	signed    []byte     // hash of the signed part
	signature []byte
}

const (
	opW5Sign    = 0x7369676e // "sign": W5's external
	opW5SendMsg = 0x0ec3c86d // action_send_msg
	maxOutMsgs  = 255
)

// ParseWalletTransfer reads a base64 BOC (standard or url-safe) of an
// external-in message to a wallet. It checks the layout only: Verify checks
// the signature, Pays what it pays.
func ParseWalletTransfer(b64 string) (*WalletTransfer, error) {
	boc, err := decodeBase64(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrBadMessage)
	}
	h, err := NormalizedHash(boc)
	if err != nil {
		return nil, err
	}
	root, err := ParseBOC(boc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	var msg tlb.ExternalMessage
	if err := safeParse(&msg, root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMessage, err)
	}
	t := &WalletTransfer{Wallet: msg.DstAddr, NormalizedHash: h}
	if msg.StateInit != nil {
		if t.stateInit, err = tlb.ToCell(msg.StateInit); err != nil {
			return nil, fmt.Errorf("%w: state init: %v", ErrBadMessage, err)
		}
	}
	if msg.Body == nil {
		return nil, ErrNotWalletBody
	}
	if err := t.readBody(msg.Body); err != nil {
		return nil, err
	}
	return t, nil
}

// readBody tells the wallet kinds apart by their bit counts: after V3R2's
// and V4R2's 512-bit signature come 96 (V3) or 104 (V4) bits of header and
// 8 bits of mode per message ref; W5's body is exactly 32*4 + 2 bits and
// its 512-bit signature, opening with "sign".
func (t *WalletTransfer) readBody(body *cell.Cell) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrNotWalletBody, r)
		}
	}()
	bits, refs := body.BitsSize(), body.RefsNum()
	if bits == 32*4+2+512 && refs <= 2 {
		if op, err := bodySlice(body).LoadUInt(32); err == nil && op == opW5Sign {
			return t.readW5(body)
		}
	}
	if bits < 512+96 || refs == 0 || refs > 4 {
		return ErrNotWalletBody
	}
	rest := bits - 512 - 96
	switch {
	case rest == 8*refs+8:
		t.Version = "v4r2"
	case rest == 8*refs:
		t.Version = "v3r2"
	default:
		return ErrNotWalletBody
	}
	s := bodySlice(body)
	sig, err := s.LoadSlice(512)
	if err != nil {
		return ErrNotWalletBody
	}
	signed, err := s.ToCell()
	if err != nil {
		return ErrNotWalletBody
	}
	t.signature, t.signed = sig, signed.Hash()
	if _, err := s.LoadSlice(96); err != nil { // subwallet, valid_until, seqno
		return ErrNotWalletBody
	}
	if t.Version == "v4r2" {
		if op, err := s.LoadUInt(8); err != nil || op != 0 {
			return fmt.Errorf("%w: a V4 plugin operation, not a transfer", ErrNotWalletBody)
		}
	}
	for s.RefsNum() > 0 {
		mode, err := s.LoadUInt(8)
		if err != nil {
			return ErrNotWalletBody
		}
		ref, err := s.LoadRef()
		if err != nil {
			return ErrNotWalletBody
		}
		if err := t.addMessage(uint8(mode), ref); err != nil {
			return err
		}
	}
	return nil
}

// readW5 reads a W5 (v5r1) external: "sign" wallet_id valid_until seqno,
// Maybe ^OutList, has_other_actions, signature. Extended actions are not a
// payment.
func (t *WalletTransfer) readW5(body *cell.Cell) error {
	t.Version = "w5"
	total := body.BitsSize()
	s := bodySlice(body)
	head, err := s.LoadSlice(total - 512)
	if err != nil {
		return ErrNotWalletBody
	}
	sig, err := s.LoadSlice(512)
	if err != nil {
		return ErrNotWalletBody
	}
	b := cell.BeginCell().MustStoreSlice(head, total-512)
	for i := 0; i < int(body.RefsNum()); i++ {
		b.MustStoreRef(body.MustPeekRef(i))
	}
	signed := b.EndCell()
	t.signature, t.signed = sig, signed.Hash()
	p := bodySlice(signed)
	if _, err := p.LoadSlice(128); err != nil {
		return ErrNotWalletBody
	}
	list, err := p.LoadMaybeRef()
	if err != nil {
		return ErrNotWalletBody
	}
	if other, err := p.LoadBoolBit(); err != nil || other {
		return fmt.Errorf("%w: W5 extended actions, not a transfer", ErrNotWalletBody)
	}
	if list == nil {
		return nil
	}
	lc, err := list.ToCell()
	if err != nil {
		return ErrNotWalletBody
	}
	// out_list$_ prev:^OutList action:OutAction, newest last: read back to
	// front, then turn around.
	var msgs []OutMessage
	for lc != nil && (lc.BitsSize() > 0 || lc.RefsNum() > 0) {
		if len(msgs) == maxOutMsgs {
			return ErrNotWalletBody
		}
		a := bodySlice(lc)
		prev, err := a.LoadRefCell()
		if err != nil {
			return ErrNotWalletBody
		}
		if op, err := a.LoadUInt(32); err != nil || op != opW5SendMsg {
			return fmt.Errorf("%w: a W5 action that is not a message", ErrNotWalletBody)
		}
		mode, err := a.LoadUInt(8)
		if err != nil {
			return ErrNotWalletBody
		}
		ref, err := a.LoadRef()
		if err != nil {
			return ErrNotWalletBody
		}
		t.Messages = nil
		if err := t.addMessage(uint8(mode), ref); err != nil {
			return err
		}
		msgs = append(msgs, t.Messages[0])
		lc = prev
	}
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	t.Messages = msgs
	return nil
}

func (t *WalletTransfer) addMessage(mode uint8, ref *cell.Slice) error {
	var m tlb.InternalMessage
	if err := safeLoad(&m, ref); err != nil {
		return fmt.Errorf("%w: an internal message does not parse: %v", ErrNotWalletBody, err)
	}
	amount := m.Amount.Nano()
	if m.DstAddr == nil || m.DstAddr.Type() != address.StdAddress || amount == nil || !amount.IsInt64() || amount.Sign() < 0 {
		return fmt.Errorf("%w: an internal message without a destination or amount", ErrNotWalletBody)
	}
	body := m.Body
	if body != nil && body.BitsSize() == 0 && body.RefsNum() == 0 {
		body = nil
	}
	t.Messages = append(t.Messages, OutMessage{Mode: mode, To: m.DstAddr, Amount: store.Amount(amount.Int64()), Bounce: m.Bounce, Body: body})
	return nil
}

// Verify checks the signature with the wallet's key: from the state init
// sent with the external (which must hash to the wallet's address), else
// known (the key a ton_proof linked), else keys (the chain's
// get_public_key). A signature that is not the wallet's, a state init of
// another address, or a wallet with no key to find are ErrBadSignature; a
// chain that could not be asked is any other error.
func (t *WalletTransfer) Verify(ctx context.Context, known ed25519.PublicKey, keys PublicKeyFetcher) error {
	var key ed25519.PublicKey
	if t.stateInit != nil {
		k, _, err := stateInitKey(t.Wallet, base64.StdEncoding.EncodeToString(t.stateInit.ToBOC()))
		if err != nil {
			return fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		key = k
	}
	if key == nil && len(known) == ed25519.PublicKeySize {
		key = known
	}
	if key == nil {
		if keys == nil {
			return fmt.Errorf("%w: the wallet's key is unknown", ErrBadSignature)
		}
		k, err := keys.GetPublicKey(ctx, t.Wallet)
		switch {
		case err == nil:
			key = k
		case chainHasNoKey(err):
			return fmt.Errorf("%w: the chain has no key for %s", ErrBadSignature, t.Wallet.StringRaw())
		default:
			return fmt.Errorf("the key of %s: %w", t.Wallet.StringRaw(), err)
		}
	}
	if len(key) != ed25519.PublicKeySize || !ed25519.Verify(key, t.signed, t.signature) {
		return ErrBadSignature
	}
	return nil
}

// Payment is what an invoice asks of a transfer.
type Payment struct {
	To *address.Address // our deposit address
	// Via is the payer's jetton wallet for a jetton payment: the message
	// goes there with a TEP-74 transfer to To. Nil for the native coin.
	Via     *address.Address
	Amount  store.Amount // in the asset's smallest units
	Exact   bool         // exactly Amount (memo-less: matched by amount); else at least
	Comment string       // "" for a memo-less invoice, which then must carry none
}

// Pays checks that the transfer pays p: the messages to the right place
// with the right comment carry Amount between them (exactly Amount in one
// message when Exact). It says what is wrong, wrapping ErrNotPayment.
func (t *WalletTransfer) Pays(p Payment) error {
	want := store.NormalizeComment(p.Comment)
	var sum store.Amount
	var wrongTo, wrongComment, found bool
	for _, m := range t.Messages {
		amount, to, comment, ok := t.paid(m, p)
		if !ok {
			continue
		}
		if !to {
			wrongTo = true
			continue
		}
		if store.NormalizeComment(comment) != want {
			wrongComment = true
			continue
		}
		found = true
		if p.Exact && amount == p.Amount {
			return nil
		}
		sum += amount
	}
	switch {
	case found && !p.Exact && sum >= p.Amount:
		return nil
	case found:
		return fmt.Errorf("%w: it pays %s, the invoice asks %s (smallest units)", ErrNotPayment, sum.Units(), p.Amount.Units())
	case wrongComment && want == "":
		return fmt.Errorf("%w: it carries a comment; this invoice is paid without one", ErrNotPayment)
	case wrongComment:
		return fmt.Errorf("%w: its comment is not the invoice's", ErrNotPayment)
	case wrongTo:
		return fmt.Errorf("%w: it is not sent to this service's deposit address", ErrNotPayment)
	}
	return fmt.Errorf("%w: no message of it pays the invoice", ErrNotPayment)
}

// paid reads one message as a payment: its amount, whether it reaches
// p.To, its comment; ok is false when it is not a message of this kind
// (the native coin vs a jetton transfer through the payer's jetton wallet).
func (t *WalletTransfer) paid(m OutMessage, p Payment) (amount store.Amount, to bool, comment string, ok bool) {
	if p.Via == nil {
		if m.Body != nil && opcode(m.Body) == JettonTransferOp {
			return 0, false, "", false
		}
		return m.Amount, m.To.Equals(p.To), payloadComment(m.Body), true
	}
	if m.Body == nil || opcode(m.Body) != JettonTransferOp {
		return 0, false, "", false
	}
	var tp jetton.TransferPayload
	if err := safeParse(&tp, m.Body); err != nil {
		return 0, false, "", false
	}
	a, good := jettonAmount(tp.Amount.Nano())
	if !good {
		return 0, false, "", false
	}
	to = m.To.Equals(p.Via) && tp.Destination != nil && tp.Destination.Equals(p.To)
	return a, to, payloadComment(tp.ForwardPayload), true
}

// IsBadMessage reports whether err says the BOC itself is wrong (as
// opposed to the chain being unreachable).
func IsBadMessage(err error) bool { return errors.Is(err, ErrBadMessage) }

// safeLoad reads v from a slice of a message a client sent; a malformed
// cell is an error, never a panic.
func safeLoad(v any, s *cell.Slice) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed cell: %v", r)
		}
	}()
	return tlb.LoadFromCell(v, s)
}
