package tontest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
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

// The real wallet codes, as tonutils-go ships them: a state init carrying
// one of them deploys the matching emulated wallet.
var (
	codeV4R2       = walletCode(wallet.V4R2)
	codeV5R1       = walletCode(wallet.ConfigV5R1Final{NetworkGlobalID: wallet.MainnetGlobalID})
	codeHighloadV3 = walletCode(wallet.ConfigHighloadV3{MessageTTL: 60})
)

func walletCode(v wallet.VersionConfig) *cell.Cell {
	si, err := wallet.GetStateInit(make(ed25519.PublicKey, ed25519.PublicKeySize), v, 0)
	if err != nil {
		panic("tontest: wallet code: " + err.Error())
	}
	return si.Code
}

// userWallet emulates wallet V4R2 and V5R1Final: seqno, wallet (subwallet)
// id and key; externals carry signed send_msg actions.
type userWallet struct {
	v5     bool
	c      *cell.Cell
	seqno  uint32
	id     uint32 // V4R2 subwallet_id, V5R1 wallet_id
	pub    ed25519.PublicKey
	noSign bool // V5R1 is_signature_allowed = false
}

func loadUserWallet(code *cell.Cell, d *cell.Slice, v5 bool) contract {
	w := &userWallet{v5: v5, c: code}
	if v5 {
		allowed, err := d.LoadBoolBit()
		if err != nil {
			return nil
		}
		w.noSign = !allowed
	}
	seqno, err1 := d.LoadUInt(32)
	id, err2 := d.LoadUInt(32)
	pub, err3 := d.LoadSlice(256)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil
	}
	w.seqno, w.id, w.pub = uint32(seqno), uint32(id), pub
	return w
}

func (w *userWallet) code() *cell.Cell { return w.c }

func (w *userWallet) data() *cell.Cell {
	b := cell.BeginCell()
	if w.v5 {
		b.MustStoreBoolBit(!w.noSign)
	}
	return b.MustStoreUInt(uint64(w.seqno), 32).MustStoreUInt(uint64(w.id), 32).
		MustStoreSlice(w.pub, 256).MustStoreDict(nil).EndCell()
}

// receive accepts any inbound value (plugins and extensions are not emulated).
func (w *userWallet) receive(*exec, *tlb.InternalMessage) int32 { return 0 }

func (w *userWallet) get(_ uint32, method string, _ []any) ([]any, int32) {
	switch method {
	case "seqno":
		return []any{big.NewInt(int64(w.seqno))}, 0
	case "get_public_key":
		return []any{new(big.Int).SetBytes(w.pub)}, 0
	case "get_subwallet_id":
		return []any{big.NewInt(int64(w.id))}, 0
	}
	return nil, exitMethodUnknown
}

func (w *userWallet) external(now uint32, body *cell.Cell) (func(*exec) int32, int32) {
	if body == nil {
		return nil, 9
	}
	if w.v5 {
		return w.externalV5(now, body)
	}
	// V4R2: signature:bits512 subwallet_id:uint32 valid_until:uint32
	// seqno:uint32 op:uint8, then (mode:uint8 ^msg) per message.
	s := body.MustBeginParse()
	sig, err := s.LoadSlice(512)
	if err != nil {
		return nil, 9
	}
	signed, err := s.ToCell()
	if err != nil {
		return nil, 9
	}
	id, err1 := s.LoadUInt(32)
	until, err2 := s.LoadUInt(32)
	seqno, err3 := s.LoadUInt(32)
	if errors.Join(err1, err2, err3) != nil {
		return nil, 9
	}
	switch {
	case until <= uint64(now):
		return nil, 36
	case seqno != uint64(w.seqno):
		return nil, 33
	case id != uint64(w.id):
		return nil, 34
	case !verify(w.pub, signed.Hash(), sig):
		return nil, 35
	}
	return func(x *exec) int32 {
		w.seqno++
		op, err := s.LoadUInt(8)
		if err != nil {
			return 9
		}
		if op != 0 {
			return 0 // plugin operations are not emulated
		}
		for s.RefsNum() > 0 {
			mode, err := s.LoadUInt(8)
			if err != nil {
				return 9
			}
			msg, err := loadRelaxed(s)
			if err != nil {
				return 9
			}
			x.send(uint8(mode), msg)
		}
		return 0
	}, 0
}

// externalV5 checks a W5 signed external: op "sign" wallet_id valid_until
// seqno, an optional ^OutList, has_other_actions, and the signature in the
// last 512 bits.
func (w *userWallet) externalV5(now uint32, body *cell.Cell) (func(*exec) int32, int32) {
	total := body.BitsSize()
	if total < 512+32*4+2 {
		return nil, 9
	}
	s := body.MustBeginParse()
	head := s.MustLoadSlice(total - 512)
	sig := s.MustLoadSlice(512)
	sb := cell.BeginCell().MustStoreSlice(head, total-512)
	for i := 0; i < int(body.RefsNum()); i++ {
		sb.MustStoreRef(body.MustPeekRef(i))
	}
	signed := sb.EndCell()

	p := signed.MustBeginParse()
	op := p.MustLoadUInt(32)
	id := p.MustLoadUInt(32)
	until := p.MustLoadUInt(32)
	seqno := p.MustLoadUInt(32)
	switch {
	case op != 0x7369676e:
		return nil, 65535
	case w.noSign:
		return nil, 132
	case seqno != uint64(w.seqno):
		return nil, 133
	case id != uint64(w.id):
		return nil, 134
	case until <= uint64(now):
		return nil, 136
	case !verify(w.pub, signed.Hash(), sig):
		return nil, 135
	}
	return func(x *exec) int32 {
		w.seqno++
		list, err := p.LoadMaybeRef()
		if err != nil {
			return 9
		}
		if other, err := p.LoadBoolBit(); err != nil || other {
			return 9 // extended actions are not emulated
		}
		if list == nil {
			return 0
		}
		lc, err := list.ToCell()
		if err != nil {
			return 9
		}
		actions, ok := parseActions(lc)
		if !ok {
			return 9
		}
		for _, a := range actions {
			if a.mode&2 == 0 {
				return 137 // external send without IGNORE_ERRORS
			}
		}
		x.list = lc
		x.actions = append(x.actions, actions...)
		return 0
	}, 0
}

// Highload wallet v3 constants (the contract's own).
const (
	opHighloadInternalTransfer = 0xae42e5a4
	highloadBitmapBits         = 1023
)

// highload emulates Highload Wallet v3: replay protection by a bitmap of
// processed query ids per 13-bit shift, cleared in two generations of
// timeout; batches come back to the wallet as internal_transfer.
type highload struct {
	pub       ed25519.PublicKey
	subwallet uint32
	old, cur  map[uint64][]byte // shift -> bitmap of bit numbers (1023 bits)
	lastClean uint64
	timeout   uint64
}

func loadHighload(d *cell.Slice) contract {
	pub, err1 := d.LoadSlice(256)
	sub, err2 := d.LoadUInt(32)
	old, err3 := d.LoadDict(13)
	cur, err4 := d.LoadDict(13)
	last, err5 := d.LoadUInt(64)
	timeout, err6 := d.LoadUInt(22)
	if errors.Join(err1, err2, err3, err4, err5, err6) != nil {
		return nil
	}
	h := &highload{pub: pub, subwallet: uint32(sub), lastClean: last, timeout: timeout}
	h.old, h.cur = loadBitmaps(old), loadBitmaps(cur)
	return h
}

func loadBitmaps(d *cell.Dictionary) map[uint64][]byte {
	m := map[uint64][]byte{}
	if d == nil {
		return m
	}
	kvs, _ := d.LoadAll()
	for _, kv := range kvs {
		ref, err := kv.Value.LoadRef()
		if err != nil {
			continue
		}
		bits, err := ref.LoadSlice(highloadBitmapBits)
		if err != nil {
			continue
		}
		m[kv.Key.MustLoadUInt(13)] = bits
	}
	return m
}

func storeBitmaps(b *cell.Builder, m map[uint64][]byte) {
	if len(m) == 0 {
		b.MustStoreDict(nil)
		return
	}
	d := cell.NewDict(13)
	for shift, bits := range m {
		v := cell.BeginCell().MustStoreRef(cell.BeginCell().MustStoreSlice(bits, highloadBitmapBits).EndCell()).EndCell()
		if err := d.SetIntKey(new(big.Int).SetUint64(shift), v); err != nil {
			panic("tontest: highload dict: " + err.Error())
		}
	}
	b.MustStoreDict(d)
}

func (h *highload) code() *cell.Cell { return codeHighloadV3 }

func (h *highload) data() *cell.Cell {
	b := cell.BeginCell().MustStoreSlice(h.pub, 256).MustStoreUInt(uint64(h.subwallet), 32)
	storeBitmaps(b, h.old)
	storeBitmaps(b, h.cur)
	return b.MustStoreUInt(h.lastClean, 64).MustStoreUInt(h.timeout, 22).EndCell()
}

// bit reports whether query id (shift, bit) is marked in a generation.
func bit(m map[uint64][]byte, shift, n uint64) bool {
	bits := m[shift]
	return bits != nil && n < highloadBitmapBits && bits[n/8]&(0x80>>(n%8)) != 0
}

// generations returns the query generations after the clean-up the contract
// makes at time now.
func (h *highload) generations(now uint64) (old, cur map[uint64][]byte, last uint64) {
	old, cur, last = h.old, h.cur, h.lastClean
	if int64(last) < int64(now)-int64(h.timeout) {
		old, cur = cur, map[uint64][]byte{}
		if int64(last) < int64(now)-2*int64(h.timeout) {
			old = map[uint64][]byte{}
		}
		last = now
	}
	return old, cur, last
}

// receive runs an internal_transfer the wallet sent itself: its action list
// becomes the transaction's actions. Anything else just credits the value.
func (h *highload) receive(x *exec, m *tlb.InternalMessage) int32 {
	if m.Body == nil || m.Body.BitsSize() != 32+64 || m.Body.RefsNum() != 1 || m.Bounced {
		return 0
	}
	if m.SrcAddr == nil || !m.SrcAddr.Equals(x.acc.addr) {
		return 0
	}
	s := m.Body.MustBeginParse()
	if s.MustLoadUInt(32) != opHighloadInternalTransfer {
		return 0
	}
	s.MustLoadUInt(64)
	list := m.Body.MustPeekRef(0)
	actions, ok := parseActions(list)
	x.list, x.actions, x.badAction = list, actions, !ok
	return 0
}

func (h *highload) get(now uint32, method string, args []any) ([]any, int32) {
	switch method {
	case "get_public_key":
		return []any{new(big.Int).SetBytes(h.pub)}, 0
	case "get_subwallet_id":
		return []any{big.NewInt(int64(h.subwallet))}, 0
	case "get_timeout":
		return []any{big.NewInt(int64(h.timeout))}, 0
	case "get_last_clean_time":
		return []any{new(big.Int).SetUint64(h.lastClean)}, 0
	case "processed?":
		id, err1 := intArg(args, 0)
		clean, err2 := intArg(args, 1)
		if errors.Join(err1, err2) != nil {
			return nil, exitStackBad
		}
		q := id.Uint64()
		shift, n := q>>10, q&1023
		old, cur := h.old, h.cur
		if clean.Sign() != 0 {
			old, cur, _ = h.generations(uint64(now))
		}
		done := n < highloadBitmapBits && (bit(old, shift, n) || bit(cur, shift, n))
		if done {
			return []any{big.NewInt(-1)}, 0
		}
		return []any{big.NewInt(0)}, 0
	}
	return nil, exitMethodUnknown
}

// external checks a Highload v3 external as the contract does before
// accept_message: signature, subwallet id, timeout, created_at window and
// the query id not processed. After accept the query id is marked even if
// the message to send turns out invalid (exit 37), as the contract commits.
func (h *highload) external(now uint32, body *cell.Cell) (func(*exec) int32, int32) {
	if body == nil || body.RefsNum() != 1 || body.BitsSize() != 512 {
		return nil, 9
	}
	sig := body.MustBeginParse().MustLoadSlice(512)
	signed := body.MustPeekRef(0)
	inner := signed.MustBeginParse()
	t := uint64(now)
	old, cur, last := h.generations(t)
	if !verify(h.pub, signed.Hash(), sig) {
		return nil, 33
	}

	sub, err1 := inner.LoadUInt(32)
	msgCell, err2 := inner.LoadRefCell()
	mode, err3 := inner.LoadUInt(8)
	shift, err4 := inner.LoadUInt(13)
	n, err5 := inner.LoadUInt(10)
	createdAt, err6 := inner.LoadUInt(64)
	timeout, err7 := inner.LoadUInt(22)
	if errors.Join(err1, err2, err3, err4, err5, err6, err7) != nil || inner.BitsLeft() != 0 || inner.RefsNum() != 0 {
		return nil, 9
	}
	switch {
	case sub != uint64(h.subwallet):
		return nil, 34
	case timeout != h.timeout:
		return nil, 38
	case int64(createdAt) <= int64(t)-int64(h.timeout), createdAt > t:
		return nil, 35
	case bit(old, shift, n), bit(cur, shift, n):
		return nil, 36
	case n >= highloadBitmapBits:
		// store_zeroes(1023).store_true() overflows the new bitmap cell;
		// loading bit 1023 of an existing one underflows.
		if cur[shift] == nil {
			return nil, 8
		}
		return nil, 9
	}
	return func(x *exec) int32 {
		h.old, h.cur, h.lastClean = old, cur, last
		bits := make([]byte, 128)
		copy(bits, cur[shift])
		bits[n/8] |= 0x80 >> (n % 8)
		h.cur[shift] = bits

		msg, exit := highloadMessage(msgCell)
		if exit != 0 || msg == nil {
			return exit
		}
		x.send(uint8(mode)|2, msg)
		return 0
	}, 0
}

// highloadMessage makes the checks the contract makes after commit on the
// message to send: internal, no source, no state init. A bounced message is
// silently not sent.
func highloadMessage(c *cell.Cell) (*tlb.InternalMessage, int32) {
	s := c.MustBeginParse()
	if ext, err := s.LoadBoolBit(); err != nil || ext {
		return nil, 37
	}
	var msg tlb.InternalMessage
	if err := tlb.Parse(&msg, c); err != nil {
		return nil, 37
	}
	if msg.Bounced {
		return nil, 0
	}
	if (msg.SrcAddr != nil && !msg.SrcAddr.IsAddrNone()) || msg.StateInit != nil {
		return nil, 37
	}
	return &msg, 0
}

// Wallet is a user wallet (V4R2 or V5R1Final) deployed on the chain, whose
// sends are real signed external messages built with tonutils-go.
type Wallet struct {
	c   *Chain
	key ed25519.PrivateKey
	w   *wallet.Wallet
	ttl func(uint32) // sets the valid_until window of the wallet's messages
	mu  sync.Mutex   // one send at a time, so seqnos follow each other
}

// JettonTransferTON is the TON a Wallet attaches to a jetton transfer on top
// of the forward amount, for the jetton wallets' fees; Jetton.Mint attaches
// it too.
const JettonTransferTON = 50_000_000

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
	ctr := c.fromStateInit(si, w.Address())
	if ctr == nil {
		return nil, errors.New("tontest: wallet state init not recognised")
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
	if c.vm != nil {
		c.vm.deploy(acc, si.Code, si.Data, acc.balance+nano, c.blocks[len(c.blocks)-1].now)
	} else {
		acc.code = ctr
		acc.balance += nano
	}
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
	var seqno uint32
	if w.c.vm != nil {
		_, data := acc.vmCodeData()
		if data == nil {
			return 0
		}
		s := data.MustBeginParse()
		if _, ok := w.w.GetSpec().(*wallet.SpecV5R1Final); ok {
			s.MustLoadBoolBit() // is_signature_allowed
		}
		seqno = uint32(s.MustLoadUInt(32))
	} else {
		uw, ok := acc.code.(*userWallet)
		if !ok {
			return 0
		}
		seqno = uw.seqno
	}
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
