package ton

// Classifying transactions on deposit wallets: what arrives is its owner's
// (store matches the wallet to its owner), what leaves is a sweep to the hot
// wallet (in transit until the hot wallet's side books it), and every fee is
// the network's.

import (
	"strconv"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/jetton"

	"github.com/tonpay/tonpay/store"
)

// sweepQueryBit marks the query id of a deposit wallet's jetton sweep (the
// hot wallet's excesses with a query id below it belong to withdrawals).
const sweepQueryBit = 1 << 62

// depositWallet classifies a transaction on a deposit wallet (the native
// coin). Like the hot wallet's, its balance changes by in.value -
// total_fees - Σ(out.value + out.fwd_fee). Nothing of ours sends a deposit
// wallet excesses (a sweep's go to the hot wallet), so a transfer with that
// opcode is its owner's like any other.
func (c *classifier) depositWallet(w watch, tx *tlb.Transaction, ct *chainTx) {
	outs := internalOuts(tx)
	fee := coins(tx.TotalFees.Coins)
	for _, m := range outs {
		fee += coins(m.FwdFee)
	}
	add(ct, store.MoveNetworkFee, -fee, 0)
	if tx.IO.In == nil || tx.IO.In.MsgType != tlb.MsgTypeInternal {
		if tx.IO.In != nil && tx.IO.In.MsgType == tlb.MsgTypeExternalIn {
			ct.Event.Kind, ct.Event.Note = store.KindSweep, "deposit wallet swept"
		}
		c.depositOutgoing(w, ct, outs)
		return
	}
	in := tx.IO.In.AsInternal()
	value := coins(in.Amount)
	src := rawOrEmpty(in.SrcAddr)
	ct.Event.Sender = src
	if bounced(tx) {
		// A bounceable transfer to the wallet before it was deployed (or
		// one it refused) went back: what the bounce did not carry paid
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
		ct.Event.Kind = store.KindAborted
		add(ct, store.MoveFeeIncome, value-back, 0)
		c.depositOutgoing(w, ct, rest)
		return
	}
	switch {
	case in.SrcAddr != nil && in.SrcAddr.Equals(c.hot):
		// Gas from the hot wallet (or a sweep that came back): ours,
		// out of transit.
		ct.Event.Kind, ct.Event.Note = store.KindSweep, "from the hot wallet"
		add(ct, store.MoveTransit, value, 0)
	case in.Bounced:
		// The wallet's own jetton transfer came back refused: its gas was
		// booked as spent.
		ct.Event.Kind = store.KindBounced
		add(ct, store.MoveFeeIncome, value, 0)
	case opcode(in.Body) == opTransferNotification && c.ownJettonWallet(w, in.SrcAddr):
		// The credit is booked from the jetton wallet's own transaction;
		// the coins forwarded with it pay fees.
		ct.Event.Kind = store.KindJettonNotify
		var tn jetton.TransferNotification
		if err := tlb.Parse(&tn, in.Body); err == nil {
			ct.Event.Sender = rawOrEmpty(tn.Sender)
		}
		add(ct, store.MoveFeeIncome, value, 0)
	case failed(tx):
		ct.Event.Kind = store.KindAborted
		add(ct, store.MoveUnmatched, value, 0)
	case value > 0:
		inc := &store.Incoming{Asset: store.TON.Symbol, Amount: value, Sender: src, Comment: cleanComment(in.Comment()),
			Min: c.min[store.TON.Symbol], Wallet: w.deposit}
		ct.Moves = append(ct.Moves, store.Move{Kind: store.MoveDeposit, Amount: value, Incoming: inc})
	}
	c.depositOutgoing(w, ct, outs)
}

// ownJettonWallet reports whether a is one of deposit wallet w's jetton
// wallets.
func (c *classifier) ownJettonWallet(w watch, a *address.Address) bool {
	if a == nil {
		return false
	}
	j, ok := c.deposits[a.StringRaw()]
	return ok && j.deposit == w.deposit && j.asset != store.TON.Symbol
}

// depositOutgoing gives what a deposit wallet sent its counterpart: the hot
// wallet (a sweep, in transit), its own jetton wallet (a jetton sweep's gas,
// spent; what is left comes back to the hot wallet as excesses), or, when
// it is none of ours, the unknown account.
func (c *classifier) depositOutgoing(w watch, ct *chainTx, outs []*tlb.InternalMessage) {
	for _, m := range outs {
		value := coins(m.Amount)
		switch {
		case m.DstAddr != nil && m.DstAddr.Equals(c.hot):
			add(ct, store.MoveTransit, -value, 0)
		case c.ownJettonWallet(w, m.DstAddr) && opcode(m.Body) == opTransfer:
			add(ct, store.MoveNetworkFee, -value, 0)
		default:
			if ct.Event.Note != "" {
				ct.Event.Note += "; "
			}
			ct.Event.Note += "sent " + value.Format(9) + " " + store.TON.Symbol + " to " + rawOrEmpty(m.DstAddr) + ", not a message of ours"
			add(ct, store.MoveUnknown, -value, 0)
		}
	}
}

// depositJettonWallet classifies a transaction on a deposit wallet's jetton
// wallet: a deposit (an accepted internal_transfer, its owner's whatever
// the comment), a sweep leaving (the deposit wallet's transfer to the hot
// wallet), or a sweep refused and back.
func (c *classifier) depositJettonWallet(w watch, tx *tlb.Transaction, ct *chainTx) {
	if tx.IO.In == nil || tx.IO.In.MsgType != tlb.MsgTypeInternal {
		return
	}
	in := tx.IO.In.AsInternal()
	ct.Event.Sender = rawOrEmpty(in.SrcAddr)
	if in.Bounced {
		_, amount, ok := bouncedInternalTransfer(tx, in, ct)
		if !ok {
			return
		}
		ct.Event.Kind, ct.Event.Note = store.KindSweep, store.NoteSweepBack
		add(ct, store.MoveTransit, amount, 0)
		return
	}
	switch opcode(in.Body) {
	case opTransfer:
		var tp jetton.TransferPayload
		if err := tlb.Parse(&tp, in.Body); err != nil || !c.isDepositWallet(in.SrcAddr) {
			return
		}
		amount, ok := jettonAmount(tp.Amount.Nano())
		if !ok {
			return
		}
		sent := false
		for _, m := range internalOuts(tx) {
			sent = sent || opcode(m.Body) == opInternalTransfer
		}
		if failed(tx) || !sent {
			ct.Event.Kind, ct.Event.Note = store.KindAborted, store.NoteSweepRefused+", exit code "+strconv.Itoa(int(exitCode(tx)))
			return
		}
		ct.Event.Kind, ct.Event.Note = store.KindSweep, "deposit wallet's jettons swept"
		add(ct, store.MoveTransit, -amount, 0)
	case opInternalTransfer:
		amount, from, comment, ok := acceptedInternalTransfer(tx, in, ct)
		if !ok {
			return
		}
		inc := &store.Incoming{Asset: ct.Asset, Amount: amount, Sender: from, Comment: comment, Min: c.min[ct.Asset], Wallet: w.deposit}
		ct.Moves = append(ct.Moves, store.Move{Kind: store.MoveDeposit, Amount: amount, Incoming: inc})
	}
}
