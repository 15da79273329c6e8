package ton

import (
	"encoding/hex"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/jetton"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// Jetton message opcodes (TEP-74).
const (
	opTransfer             = 0x0f8a7ea5
	opInternalTransfer     = 0x178d4519
	opTransferNotification = 0x7362d09c
	opExcesses             = 0xd53276db
	opBounced              = 0xffffffff
)

// watch is one followed account: the hot wallet (asset GRAM) or one of its
// jetton wallets (asset: the jetton), a deposit wallet or one of its jetton
// wallets.
type watch struct {
	addr  *address.Address
	raw   string
	asset string
	// deposit is the deposit wallet's id (0: the hot wallet's side); the
	// account's transactions book to that wallet's ledger account.
	deposit int64
}

// holder is the ledger account of what the watched account holds.
func (w watch) holder() string {
	if w.deposit == 0 {
		return store.AccountHot
	}
	return store.DepositAccount(w.deposit)
}

// openBatch is a batch not settled yet, with what its messages look like.
type openBatch struct {
	b  store.Batch
	ws map[int64]store.Withdrawal
}

// classifier turns each transaction on a watched account into the moves
// that make the ledger change exactly as the chain did. It is the one place
// that knows what our transactions look like.
type classifier struct {
	hot     *address.Address
	cold    *address.Address // nil: no sweeping
	testnet bool
	jettons map[string]string // our jetton wallet (raw) -> asset
	min     map[string]store.Amount
	byExt   map[[2]int64]*openBatch // (query id, created_at) of the external
	byQID   map[uint32]*openBatch   // query id of a batch whose external ran
	// deposits are the deposit wallets and their jetton wallets (raw ->
	// watch): money between them and the hot wallet is ours in transit.
	deposits map[string]watch
}

// ourDeposit is the deposit-side watch at a (nil: none of ours), of asset.
func (c *classifier) ourDeposit(a *address.Address, asset string) (watch, bool) {
	if a == nil {
		return watch{}, false
	}
	w, ok := c.deposits[a.StringRaw()]
	return w, ok && w.deposit != 0 && w.asset == asset
}

// classify is the one classification of a transaction on a watched account.
func (c *classifier) classify(w watch, tx *tlb.Transaction) store.ChainTx {
	h := hex.EncodeToString(tx.Hash)
	ct := store.ChainTx{
		Event:  store.ChainEvent{Account: w.raw, LT: tx.LT, Hash: h, Time: time.Unix(int64(tx.Now), 0).UTC(), Kind: store.KindOther},
		Cursor: store.Cursor{Account: w.raw, LT: tx.LT, Hash: h},
		Asset:  store.TON.Symbol,
	}
	if w.deposit != 0 {
		ct.Holder = w.holder()
		if w.asset != store.TON.Symbol {
			ct.Asset = w.asset
			c.depositJettonWallet(w, tx, &ct)
			for _, m := range ct.Moves {
				ct.Change += m.Amount
			}
			return ct
		}
		c.depositWallet(w, tx, &ct)
		ct.Change = tonChange(tx)
		return ct
	}
	if w.asset != store.TON.Symbol {
		// A jetton balance has no figure in the transaction: it changes by
		// what the moves say, and reconciliation checks that with
		// get_wallet_data.
		ct.Asset = w.asset
		c.jettonWallet(tx, &ct)
		for _, m := range ct.Moves {
			ct.Change += m.Amount
		}
		return ct
	}
	c.hotWallet(tx, &ct)
	ct.Change = tonChange(tx)
	return ct
}

// tonChange is what a transaction did to its account's TON balance:
// in.value - total_fees - Σ over outgoing internal messages (value + fwd_fee).
// The store refuses a classification whose moves do not add up to it.
func tonChange(tx *tlb.Transaction) store.Amount {
	var d store.Amount
	if tx.IO.In != nil && tx.IO.In.MsgType == tlb.MsgTypeInternal {
		d += coins(tx.IO.In.AsInternal().Amount)
	}
	d -= coins(tx.TotalFees.Coins)
	for _, m := range internalOuts(tx) {
		d -= coins(m.Amount) + coins(m.FwdFee)
	}
	return d
}

// chainTx is store.ChainTx with helpers for the classifier.
type chainTx = store.ChainTx

func add(ct *chainTx, kind store.MoveKind, amount store.Amount, wid int64) {
	if amount == 0 {
		return
	}
	ct.Moves = append(ct.Moves, store.Move{Kind: kind, Amount: amount, Withdrawal: wid})
}

// hotWallet classifies a transaction on the hot wallet. Its TON balance
// changes by in.value - total_fees - Σ(out.value + out.fwd_fee): the network
// fee is total_fees plus every out message's fwd_fee (on mainnet total_fees
// holds only the first fraction of a forwarding fee), and every value in or
// out is given to its counterpart.
func (c *classifier) hotWallet(tx *tlb.Transaction, ct *chainTx) {
	outs := internalOuts(tx)
	fee := coins(tx.TotalFees.Coins)
	for _, m := range outs {
		fee += coins(m.FwdFee)
	}
	add(ct, store.MoveNetworkFee, -fee, 0)
	if tx.IO.In == nil {
		c.outgoing(ct, nil, outs)
		return
	}
	switch tx.IO.In.MsgType {
	case tlb.MsgTypeExternalIn:
		c.external(tx, ct, outs)
		return
	case tlb.MsgTypeInternal:
	default:
		c.outgoing(ct, nil, outs)
		return
	}
	in := tx.IO.In.AsInternal()
	value := coins(in.Amount)
	src := rawOrEmpty(in.SrcAddr)
	if bounced(tx) {
		// We sent the message back: what the bounce did not carry paid
		// its fees, ours now.
		var back store.Amount
		var rest []*tlb.InternalMessage
		for _, m := range outs {
			if m.Bounced {
				back += coins(m.Amount)
			} else {
				rest = append(rest, m)
			}
		}
		ct.Event.Kind, ct.Event.Sender = store.KindAborted, src
		add(ct, store.MoveFeeIncome, value-back, 0)
		c.outgoing(ct, nil, rest)
		return
	}
	switch {
	case in.Bounced:
		// One of our messages came back (a jetton transfer our jetton
		// wallet refused): its TON was booked as spent, so it is fee income.
		ct.Event.Kind, ct.Event.Sender = store.KindBounced, src
		add(ct, store.MoveFeeIncome, value, 0)
	case in.SrcAddr != nil && in.SrcAddr.Equals(c.hot) && opcode(in.Body) == opHighloadInternalTransfer:
		ct.Event.Kind = store.KindFanOut
		add(ct, store.MoveTransit, value, 0)
		c.fanOut(tx, ct, in, outs)
		return
	case c.cold != nil && in.SrcAddr != nil && in.SrcAddr.Equals(c.cold):
		ct.Event.Kind, ct.Event.Sender = store.KindRefill, src
		add(ct, store.MoveCold, value, 0)
	case c.isDepositWallet(in.SrcAddr) && !failed(tx):
		// A deposit wallet swept: ours already, in transit until now.
		ct.Event.Kind, ct.Event.Sender, ct.Event.Note = store.KindSweep, src, "swept from a deposit address"
		add(ct, store.MoveTransit, value, 0)
	case failed(tx):
		ct.Event.Kind, ct.Event.Sender = store.KindAborted, src
		add(ct, store.MoveUnmatched, value, 0)
	default:
		c.incoming(ct, in, value)
	}
	c.outgoing(ct, nil, outs)
}

// incoming classifies value that arrived at the hot wallet from outside.
func (c *classifier) incoming(ct *chainTx, in *tlb.InternalMessage, value store.Amount) {
	src := rawOrEmpty(in.SrcAddr)
	switch opcode(in.Body) {
	case opTransferNotification:
		if _, ours := c.jettons[src]; ours {
			// The credit is booked from our jetton wallet's own transaction
			// (whatever the notification's payload looks like); the TON
			// forwarded with it pays our fees.
			ct.Event.Kind = store.KindJettonNotify
			var tn jetton.TransferNotification
			if err := tlb.Parse(&tn, in.Body); err == nil {
				ct.Event.Sender = rawOrEmpty(tn.Sender)
			}
			add(ct, store.MoveFeeIncome, value, 0)
			return
		}
		ct.Event.Kind, ct.Event.Sender, ct.Event.Note = store.KindFakeJetton, src, "notification from a contract that is not our jetton wallet"
		add(ct, store.MoveUnmatched, value, 0)
	case opExcesses:
		ct.Event.Kind, ct.Event.Sender = store.KindExcesses, src
		add(ct, store.MoveFeeIncome, value, 0)
		if qid, ok := queryID(in.Body); ok && qid > 0 && qid < 1<<62 {
			ct.Delivered = &store.Delivery{Withdrawal: int64(qid), From: src}
		}
	default:
		if value <= 0 {
			return
		}
		in := &store.Incoming{Asset: store.TON.Symbol, Amount: value, Sender: src, Comment: cleanComment(in.Comment()),
			Min: c.min[store.TON.Symbol]}
		ct.Moves = append(ct.Moves, store.Move{Kind: store.MoveDeposit, Amount: value, Incoming: in})
	}
}

// external classifies the transaction of an external message: one of our
// batches (matched by query id and created_at), or one we did not sign.
func (c *classifier) external(tx *tlb.Transaction, ct *chainTx, outs []*tlb.InternalMessage) {
	qid, createdAt, ok := highloadExternal(tx.IO.In.AsExternalIn().Body)
	var ob *openBatch
	if ok {
		ob = c.byExt[[2]int64{int64(qid), createdAt}]
	}
	if ob == nil {
		ct.Event.Kind = store.KindForeign
		ct.Event.Note = "an external message not of an open batch"
		c.outgoing(ct, nil, outs)
		return
	}
	ct.Event.Kind, ct.Event.Note = store.KindBatch, "batch "+strconv.FormatInt(ob.b.ID, 10)
	if ob.b.Messages() > 1 {
		for _, m := range outs {
			if m.DstAddr.Equals(c.hot) && opcode(m.Body) == opHighloadInternalTransfer {
				ob.b.TxHash = ct.Event.Hash
				c.byQID[ob.b.QueryID] = ob
				ct.Batch = &store.BatchOutcome{BatchID: ob.b.ID, TxHash: ct.Event.Hash, Pending: true}
				c.outgoing(ct, nil, outs)
				return
			}
		}
		// The internal_transfer was not sent: nothing of the batch went out.
		ct.Batch = &store.BatchOutcome{BatchID: ob.b.ID, TxHash: ct.Event.Hash}
		c.outgoing(ct, nil, outs)
		return
	}
	ct.Batch = &store.BatchOutcome{BatchID: ob.b.ID, TxHash: ct.Event.Hash}
	c.outgoing(ct, ob, outs)
}

// fanOut classifies the internal_transfer a batch's external sent the wallet:
// the transaction that sends the batch's messages (or skips them).
func (c *classifier) fanOut(tx *tlb.Transaction, ct *chainTx, in *tlb.InternalMessage, outs []*tlb.InternalMessage) {
	qid, ok := queryID(in.Body)
	var ob *openBatch
	if ok {
		ob = c.byQID[uint32(qid)]
	}
	if ob == nil {
		ct.Event.Note = "internal_transfer of no open batch"
		c.outgoing(ct, nil, outs)
		return
	}
	delete(c.byQID, ob.b.QueryID)
	ct.Event.Note = "batch " + strconv.FormatInt(ob.b.ID, 10)
	ct.Batch = &store.BatchOutcome{BatchID: ob.b.ID, TxHash: ct.Event.Hash}
	c.outgoing(ct, ob, outs)
}

// outgoing gives every message the hot wallet sent its counterpart: a
// withdrawal of the batch (TON by destination, amount and comment; a jetton
// transfer by its query id, the withdrawal id), the cold wallet, the wallet
// itself, or, when it is none of ours, the unknown account.
func (c *classifier) outgoing(ct *chainTx, ob *openBatch, outs []*tlb.InternalMessage) {
	byKey := map[string][]int64{}
	if ob != nil {
		for _, w := range ob.ws {
			if w.Asset != store.TON.Symbol {
				continue
			}
			if dst, err := ParseAddress(w.Destination, c.testnet); err == nil {
				k := tonKey(dst, w.Amount, w.Comment)
				byKey[k] = append(byKey[k], w.ID)
			}
		}
		for k := range byKey {
			ids := byKey[k]
			sortInt64(ids)
		}
	}
	used := map[int64]bool{}
	for _, m := range outs {
		value := coins(m.Amount)
		if ob != nil {
			if _, ok := c.jettons[rawOrEmpty(m.DstAddr)]; ok && opcode(m.Body) == opTransfer {
				if qid, ok := queryID(m.Body); ok {
					if w, ok := ob.ws[int64(qid)]; ok && !used[w.ID] && w.Asset != store.TON.Symbol {
						used[w.ID] = true
						add(ct, store.MovePayoutTON, -value, w.ID)
						continue
					}
				}
			}
			if ob.b.Sweep > 0 && c.cold != nil && m.DstAddr.Equals(c.cold) {
				add(ct, store.MoveCold, -value, 0)
				continue
			}
			k := tonKey(m.DstAddr, value, m.Comment())
			if ids := byKey[k]; len(ids) > 0 {
				byKey[k] = ids[1:]
				used[ids[0]] = true
				add(ct, store.MovePayout, -value, ids[0])
				continue
			}
		}
		if m.DstAddr.Equals(c.hot) && opcode(m.Body) == opHighloadInternalTransfer {
			add(ct, store.MoveTransit, -value, 0)
			continue
		}
		if ob == nil && c.cold != nil && m.DstAddr.Equals(c.cold) {
			add(ct, store.MoveCold, -value, 0)
			continue
		}
		if c.isDepositWallet(m.DstAddr) {
			// Gas for a deposit wallet's sweep: ours, in transit.
			add(ct, store.MoveTransit, -value, 0)
			continue
		}
		if ct.Event.Note != "" {
			ct.Event.Note += "; "
		}
		ct.Event.Note += "sent " + store.Amount(value).Format(9) + " " + store.TON.Symbol + " to " + rawOrEmpty(m.DstAddr) + ", not a message of ours"
		add(ct, store.MoveUnknown, -value, 0)
	}
}

// jettonWallet classifies a transaction on one of our jetton wallets by its
// jetton balance change: a deposit (an accepted internal_transfer), a payout
// leaving (our transfer), a payout returned (a bounced internal_transfer), or
// nothing (TON only). Its TON is not followed: what the hot wallet attaches
// to a transfer is booked as spent when it leaves the hot wallet.
func (c *classifier) jettonWallet(tx *tlb.Transaction, ct *chainTx) {
	if tx.IO.In == nil || tx.IO.In.MsgType != tlb.MsgTypeInternal {
		return
	}
	in := tx.IO.In.AsInternal()
	ct.Event.Sender = rawOrEmpty(in.SrcAddr)
	if in.Bounced {
		qid, amount, ok := bouncedInternalTransfer(tx, in, ct)
		if !ok {
			return
		}
		ct.Event.Kind, ct.Event.Asset, ct.Event.Amount = store.KindPayoutReturned, ct.Asset, amount
		add(ct, store.MovePayoutReturned, amount, int64(qid))
		return
	}
	switch opcode(in.Body) {
	case opTransfer:
		var tp jetton.TransferPayload
		if err := tlb.Parse(&tp, in.Body); err != nil || in.SrcAddr == nil || !in.SrcAddr.Equals(c.hot) {
			return
		}
		amount, ok := jettonAmount(tp.Amount.Nano())
		if !ok || tp.QueryID >= 1<<62 {
			return
		}
		var dest string
		for _, m := range internalOuts(tx) {
			if opcode(m.Body) == opInternalTransfer {
				dest = rawOrEmpty(m.DstAddr)
			}
		}
		if failed(tx) || dest == "" {
			ct.Event.Kind, ct.Event.Note = store.KindPayoutFailed, "exit code "+strconv.Itoa(int(exitCode(tx)))
			ct.Refused = int64(tp.QueryID)
			return
		}
		ct.Event.Kind = store.KindPayout
		ct.Moves = append(ct.Moves, store.Move{Kind: store.MovePayout, Amount: -amount, Withdrawal: int64(tp.QueryID), Dest: dest})
	case opInternalTransfer:
		amount, from, comment, ok := acceptedInternalTransfer(tx, in, ct)
		if !ok {
			return
		}
		if _, ours := c.ourDeposit(in.SrcAddr, ct.Asset); ours {
			// A deposit wallet's jettons swept: ours, in transit until now.
			ct.Event.Kind, ct.Event.Note = store.KindSweep, "swept from a deposit address"
			add(ct, store.MoveTransit, amount, 0)
			return
		}
		in := &store.Incoming{Asset: ct.Asset, Amount: amount, Sender: from, Comment: comment, Min: c.min[ct.Asset]}
		ct.Moves = append(ct.Moves, store.Move{Kind: store.MoveDeposit, Amount: amount, Incoming: in})
	}
}

// bouncedInternalTransfer reads an internal_transfer of ours that came back
// to the jetton wallet that sent it (body: 0xffffffff, then the first 256
// bits of what was sent): its query id and amount. ok is false when it is
// not one, or when the transaction failed (then ct says aborted) or the
// amount is beyond the ledger (then ct says out of range).
func bouncedInternalTransfer(tx *tlb.Transaction, in *tlb.InternalMessage, ct *chainTx) (qid uint64, amount store.Amount, ok bool) {
	s := bodySlice(in.Body)
	if op, err := s.LoadUInt(32); err != nil || op != opBounced {
		return 0, 0, false
	}
	if op, err := s.LoadUInt(32); err != nil || op != opInternalTransfer {
		return 0, 0, false
	}
	qid, err1 := s.LoadUInt(64)
	amt, err2 := s.LoadBigCoins()
	if err1 != nil || err2 != nil || failed(tx) {
		ct.Event.Kind = store.KindAborted
		return 0, 0, false
	}
	amount, ok = jettonAmount(amt)
	if !ok {
		ct.Event.Kind, ct.Event.Note = store.KindOutOfRange, "returned "+amt.String()+" units"
	}
	return qid, amount, ok
}

// acceptedInternalTransfer reads an internal_transfer a jetton wallet of
// ours accepted: its balance grew by the amount, whatever the rest of the
// body holds. The fixed fields are read by hand; a forward payload that does
// not parse is only no comment. ok is false when the transaction failed (ct
// says aborted), the amount is missing or beyond the ledger (ct says why).
func acceptedInternalTransfer(tx *tlb.Transaction, in *tlb.InternalMessage, ct *chainTx) (amount store.Amount, from, comment string, ok bool) {
	if failed(tx) {
		ct.Event.Kind = store.KindAborted
		return 0, "", "", false
	}
	s := bodySlice(in.Body)
	_, err0 := s.LoadUInt(32)
	_, err1 := s.LoadUInt(64)
	amt, err2 := s.LoadBigCoins()
	if err0 != nil || err1 != nil || err2 != nil {
		ct.Event.Note = "internal_transfer without an amount"
		return 0, "", "", false
	}
	if amount, ok = jettonAmount(amt); !ok {
		ct.Event.Kind, ct.Event.Note = store.KindOutOfRange, "received "+amt.String()+" units"
		return 0, "", "", false
	}
	if a, err := s.LoadAddr(); err == nil {
		from = rawOrEmpty(a)
		var it internalTransfer
		if err := tlb.Parse(&it, in.Body); err == nil {
			comment = payloadComment(it.ForwardPayload)
		} else {
			ct.Event.Note = "forward payload does not parse: no comment"
		}
	}
	return amount, from, comment, true
}

// internalTransfer is the jetton wallet to jetton wallet message (TEP-74).
type internalTransfer struct {
	_                tlb.Magic        `tlb:"#178d4519"`
	QueryID          uint64           `tlb:"## 64"`
	Amount           tlb.Coins        `tlb:"."`
	From             *address.Address `tlb:"addr"`
	ResponseAddress  *address.Address `tlb:"addr"`
	ForwardTONAmount tlb.Coins        `tlb:"."`
	ForwardPayload   *cell.Cell       `tlb:"either . ^"`
}

func tonKey(dst *address.Address, amount store.Amount, comment string) string {
	return dst.StringRaw() + "|" + strconv.FormatInt(int64(amount), 10) + "|" + comment
}

func sortInt64(s []int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// description returns the ordinary description of a transaction.
func description(tx *tlb.Transaction) (tlb.TransactionDescriptionOrdinary, bool) {
	switch v := tx.Description.(type) {
	case tlb.TransactionDescriptionOrdinary:
		return v, true
	case *tlb.TransactionDescriptionOrdinary:
		return *v, true
	}
	return tlb.TransactionDescriptionOrdinary{}, false
}

// failed reports a transaction whose incoming message did not simply stay:
// it bounced back, or the contract's code failed. An aborted transaction with
// a skipped compute phase and no bounce (a bounce=false transfer to an
// undeployed wallet) is not failed: the value stays on the account.
func failed(tx *tlb.Transaction) bool {
	d, ok := description(tx)
	if !ok {
		return false
	}
	if d.BouncePhase != nil {
		return true
	}
	switch p := d.ComputePhase.Phase.(type) {
	case tlb.ComputePhaseVM:
		return !p.Success || d.Aborted
	case *tlb.ComputePhaseVM:
		return !p.Success || d.Aborted
	}
	return false
}

// bounced reports a transaction that sent its incoming message back.
func bounced(tx *tlb.Transaction) bool {
	d, ok := description(tx)
	return ok && d.BouncePhase != nil
}

func exitCode(tx *tlb.Transaction) int32 {
	d, _ := description(tx)
	switch c := d.ComputePhase.Phase.(type) {
	case tlb.ComputePhaseVM:
		return c.Details.ExitCode
	case *tlb.ComputePhaseVM:
		return c.Details.ExitCode
	}
	return 0
}

// internalOuts are the internal messages a transaction sent.
func internalOuts(tx *tlb.Transaction) []*tlb.InternalMessage {
	if tx.IO.Out == nil {
		return nil
	}
	msgs, err := tx.IO.Out.ToSlice()
	if err != nil {
		return nil
	}
	var out []*tlb.InternalMessage
	for _, m := range msgs {
		if m.MsgType == tlb.MsgTypeInternal {
			out = append(out, m.AsInternal())
		}
	}
	return out
}

func opcode(body *cell.Cell) uint64 {
	if body == nil {
		return 0
	}
	sl := bodySlice(body)
	if sl.BitsLeft() < 32 {
		return 0
	}
	op, err := sl.LoadUInt(32)
	if err != nil {
		return 0
	}
	return op
}

// bodySlice begins reading a message body. A body that cannot be read
// reads as empty, so every load from it fails: since tonutils-go v1.18
// BeginParse returns an error, which only a lazily loaded cell (one
// whose data is elsewhere; never those of the transactions we fetch) can
// give.
func bodySlice(c *cell.Cell) *cell.Slice {
	if c != nil {
		if s, err := c.BeginParse(); err == nil {
			return s
		}
	}
	return cell.BeginCell().ToSlice()
}

// queryID reads the 64-bit query id after the op of a TEP-74 message.
func queryID(body *cell.Cell) (uint64, bool) {
	if body == nil {
		return 0, false
	}
	s := bodySlice(body)
	if _, err := s.LoadUInt(32); err != nil {
		return 0, false
	}
	q, err := s.LoadUInt(64)
	return q, err == nil
}

// payloadComment reads a text comment (op 0 + snake string) from a forward
// payload; anything else is no comment.
func payloadComment(c *cell.Cell) string {
	if c == nil {
		return ""
	}
	sl := bodySlice(c)
	if sl.BitsLeft() < 32 {
		return ""
	}
	if op, err := sl.LoadUInt(32); err != nil || op != 0 {
		return ""
	}
	s, err := sl.LoadStringSnake()
	if err != nil {
		return ""
	}
	return cleanComment(s)
}

// cleanComment keeps what a person could have typed, bounded.
func cleanComment(s string) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) > 120 {
		s = string([]rune(s)[:120])
	}
	return s
}

// coins is a TON amount in nanoton. Every TON balance fits an int64.
func coins(c tlb.Coins) store.Amount {
	return nano(c.Nano())
}

func nano(v *big.Int) store.Amount {
	if v == nil || !v.IsInt64() {
		return 0
	}
	return store.Amount(v.Int64())
}

// jettonAmount is a jetton amount in the ledger's units; false when it is
// not a positive int64 (the configuration refuses jettons whose amounts
// could be larger; a larger one is left to reconciliation, never dropped
// silently).
func jettonAmount(v *big.Int) (store.Amount, bool) {
	if v == nil || !v.IsInt64() || v.Sign() <= 0 {
		return 0, false
	}
	return store.Amount(v.Int64()), true
}

func rawOrEmpty(a *address.Address) string {
	if a == nil || a.IsAddrNone() {
		return ""
	}
	return a.Bounce(true).StringRaw()
}

// isDepositWallet reports whether a is one of our deposit wallets.
func (c *classifier) isDepositWallet(a *address.Address) bool {
	_, ok := c.ourDeposit(a, store.TON.Symbol)
	return ok
}
