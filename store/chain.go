package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Kinds of chain events: what a transaction on a watched account was, as the
// follower classified it (deposit kinds are settled by matching). The set is
// closed; every kind is booked by the moves it carries.
const (
	KindCredited       = "credited"        // matched an invoice or a personal comment
	KindUnmatched      = "unmatched"       // no or unknown comment: held on the unmatched account
	KindDust           = "dust"            // below the minimum: held on the unmatched account
	KindBounced        = "bounced"         // a message of ours came back
	KindAborted        = "aborted"         // the transaction failed and sent the value back
	KindFakeJetton     = "fake_jetton"     // a transfer_notification from a contract that is not our jetton wallet
	KindJettonNotify   = "jetton_notify"   // our jetton wallet's notification (the credit is on the jetton wallet)
	KindExcesses       = "excesses"        // TON returned to us after a jetton transfer
	KindBatch          = "batch"           // our Highload v3 external
	KindFanOut         = "fanout"          // our batch's internal_transfer, sending its messages
	KindPayout         = "payout"          // our jetton wallet sent a withdrawal's jettons
	KindPayoutFailed   = "payout_failed"   // our jetton wallet refused a withdrawal's transfer
	KindPayoutReturned = "payout_returned" // a jetton payout bounced back to our jetton wallet
	KindRefill         = "refill"          // TON from the cold wallet
	KindOutOfRange     = "out_of_range"    // a jetton amount the ledger cannot hold (left to reconciliation)
	KindForeign        = "foreign"         // an external we did not sign (another signer of the hot wallet)
	KindOther          = "other"
)

// MoveKind says what one part of a transaction's balance change is, and so
// which ledger account is its counterpart.
type MoveKind string

// Moves. Amount is the signed change of the watched account's balance; the
// counterpart gets the same amount (chain:hot the opposite).
const (
	MoveDeposit        MoveKind = "deposit"         // arrived from outside (Incoming): an invoice, a user, or unmatched
	MoveUnmatched      MoveKind = "unmatched"       // stays, claimable by nobody yet (a fake jetton's TON)
	MoveNetworkFee     MoveKind = "network_fee"     // total_fees + the out messages' fwd_fee: fees
	MoveFeeIncome      MoveKind = "fee_income"      // TON back for fees: excesses, our bounced transfers, notification TON
	MoveTransit        MoveKind = "transit"         // our own message between our accounts (internal_transfer to itself)
	MovePayout         MoveKind = "payout"          // a withdrawal's value leaving (Withdrawal): the hold
	MovePayoutTON      MoveKind = "payout_ton"      // TON attached to a jetton withdrawal's transfer (Withdrawal): fees
	MovePayoutReturned MoveKind = "payout_returned" // a jetton payout bounced back (Withdrawal): refunded
	MoveCold           MoveKind = "cold"            // to or from the cold wallet
	MoveUnknown        MoveKind = "unknown"         // not explained (a message we did not sign): adjustments
)

// AccountTransit holds what is in a message between our own accounts.
const AccountTransit = "chain:transit"

// Move is one part of a watched transaction's balance change.
type Move struct {
	Kind       MoveKind
	Amount     Amount
	Withdrawal int64     // payout moves
	Incoming   *Incoming // MoveDeposit
	Dest       string    // MovePayout of jettons: the destination's jetton wallet (raw)
}

// Incoming is money that arrived and may be a deposit.
type Incoming struct {
	Asset   string
	Amount  Amount
	Sender  string // the payer's address (for jettons, the owner who sent them)
	Comment string
	Min     Amount // below this it is dust
}

// ChainTx is one transaction on a watched account, classified once, applied
// in ONE SQLite transaction with the account's cursor: recorded (unique by
// account and lt), booked, settled.
type ChainTx struct {
	Event  ChainEvent
	Cursor Cursor // the account's cursor after this transaction
	// Asset is what the watched account's balance counts (TON for the hot
	// wallet, the jetton for one of its jetton wallets) and Change how much
	// the chain says it changed by. The moves must sum to Change: the
	// ledger then moves exactly as the chain did.
	Asset  string
	Change Amount
	Moves  []Move
	// Batch: the transaction ran one of our batches (its external, or the
	// internal_transfer that sends its messages).
	Batch *BatchOutcome
	// Refused: our jetton wallet refused the transfer of this withdrawal
	// (nothing left; the TON bounced back to the hot wallet).
	Refused int64
	// Delivered: the destination's jetton wallet (From) accepted this
	// jetton withdrawal (its excesses came back to us).
	Delivered *Delivery
}

// BatchOutcome is a batch seen on chain.
type BatchOutcome struct {
	BatchID int64
	TxHash  string
	// Pending: the external ran and handed the messages to an
	// internal_transfer; they go out in the wallet's next transaction.
	Pending bool
}

// Delivery is the excesses of a jetton payout from the destination's wallet.
type Delivery struct {
	Withdrawal int64
	From       string // raw address of the jetton wallet that sent the excesses
}

// Applied is what ApplyChainTxs did with one transaction.
type Applied struct {
	Replayed   bool // the transaction was already recorded: nothing changed
	Kind       string
	InvoiceID  string
	UserID     int64
	MerchantID int64
	TransferID int64
	Confirmed  []int64 // withdrawals paid
	Requeued   []int64 // withdrawals skipped by the chain, queued again
	Failed     []int64 // withdrawals given up and refunded
}

// ApplyChainTx applies one watched transaction.
func (db *DB) ApplyChainTx(ctx context.Context, c ChainTx) (Applied, error) {
	res, err := db.ApplyChainTxs(ctx, []ChainTx{c}, 0)
	if err != nil {
		return Applied{}, err
	}
	return res[0], nil
}

// ApplyChainTxs applies transactions of the watched accounts in logical time
// order, in ONE SQLite transaction: all of them or none. A replayed
// transaction changes nothing (its cursor still moves forward). maxSkips is
// how many times a withdrawal's message may be skipped before it is failed
// and refunded (0: never).
func (db *DB) ApplyChainTxs(ctx context.Context, cs []ChainTx, maxSkips int) ([]Applied, error) {
	out := make([]Applied, 0, len(cs))
	err := db.write(ctx, func(tx *Tx) error {
		out = out[:0]
		for _, c := range cs {
			res, err := tx.applyChainTx(ctx, c, maxSkips)
			if err != nil {
				return fmt.Errorf("%s lt %d: %w", c.Event.Account, c.Event.LT, err)
			}
			out = append(out, res)
		}
		return db.fail("commit")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (tx *Tx) applyChainTx(ctx context.Context, c ChainTx, maxSkips int) (Applied, error) {
	ev := c.Event
	if ev.Account == "" || ev.LT == 0 || ev.Hash == "" || c.Asset == "" {
		return Applied{}, fmt.Errorf("%w: chain event needs account, lt, hash and asset", ErrInvalid)
	}
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM chain_events WHERE account = ? AND lt = ?`, ev.Account, ev.LT).Scan(&exists); err != nil {
		return Applied{}, err
	}
	if exists > 0 {
		return Applied{Replayed: true}, tx.advanceCursor(ctx, c.Cursor)
	}
	if err := tx.db.fail("event"); err != nil {
		return Applied{}, err
	}
	var sum Amount
	for _, m := range c.Moves {
		sum += m.Amount
	}
	if sum != c.Change {
		return Applied{}, fmt.Errorf("%w: moves sum to %d, the chain changed by %d", ErrUnbalanced, sum, c.Change)
	}

	res := Applied{Kind: ev.Kind}
	b := &booking{tx: tx, c: c, res: &res}
	var deposit *match
	for _, m := range c.Moves {
		if m.Amount == 0 && m.Kind != MoveDeposit {
			continue
		}
		switch m.Kind {
		case MoveDeposit:
			in := m.Incoming
			if in == nil || in.Amount != m.Amount || in.Asset != c.Asset || in.Amount <= 0 {
				return Applied{}, fmt.Errorf("%w: deposit move without its incoming amount", ErrInvalid)
			}
			ev.Asset, ev.Amount, ev.Sender, ev.Comment = in.Asset, in.Amount, in.Sender, in.Comment
			mt, err := tx.match(ctx, ev, in)
			if err != nil {
				return Applied{}, err
			}
			deposit = &mt
			ev.Kind, ev.InvoiceID, ev.UserID, ev.Note = mt.kind, mt.invoice.ID, mt.userID, mt.note
			res.Kind, res.InvoiceID, res.UserID, res.MerchantID = mt.kind, mt.invoice.ID, mt.userID, mt.merchantID
			to := AccountUnmatched
			switch {
			case mt.userID != 0:
				to = UserAccount(mt.userID)
			case mt.merchantID != 0:
				to = MerchantAccount(mt.merchantID)
			}
			b.leg(to, m.Amount)
		case MoveUnmatched:
			b.leg(AccountUnmatched, m.Amount)
		case MoveNetworkFee, MoveFeeIncome:
			b.leg(AccountFees, m.Amount)
		case MovePayoutTON:
			// The transfer to our jetton wallet left: its TON is spent
			// (what comes back as excesses or a bounce is fee income).
			b.leg(AccountFees, m.Amount)
			b.markSent(m.Withdrawal)
		case MoveTransit:
			b.leg(AccountTransit, m.Amount)
		case MoveCold:
			b.leg(AccountCold, m.Amount)
			b.swept = b.swept || m.Amount < 0
		case MoveUnknown:
			b.leg(AccountAdjust, m.Amount)
			if m.Amount < 0 {
				b.foreign -= m.Amount
			}
		case MovePayout:
			if err := b.payout(ctx, m); err != nil {
				return Applied{}, err
			}
		case MovePayoutReturned:
			if err := b.returned(ctx, m); err != nil {
				return Applied{}, err
			}
		default:
			return Applied{}, fmt.Errorf("%w: move kind %q", ErrInvalid, m.Kind)
		}
		if ev.Asset == "" {
			ev.Asset, ev.Amount = c.Asset, m.Amount
		}
	}

	for _, n := range b.notes {
		if ev.Note != "" {
			ev.Note += "; "
		}
		ev.Note += n
	}
	r, err := tx.ExecContext(ctx, `INSERT INTO chain_events(account, lt, hash, utime, kind, asset, amount, sender, comment,
		invoice_id, user_id, merchant_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Account, ev.LT, ev.Hash, ms(ev.Time), ev.Kind, nullString(ev.Asset), int64(ev.Amount), ev.Sender, ev.Comment,
		nullString(ev.InvoiceID), nullInt(ev.UserID), nullInt(res.MerchantID), ev.Note, ms(tx.now))
	if err != nil {
		return Applied{}, err
	}
	eventID, _ := r.LastInsertId()
	if err := tx.db.fail("recorded"); err != nil {
		return Applied{}, err
	}
	if len(merge(b.legs)) > 0 {
		key := ChainKey(ev.Account, ev.LT)
		kind, ok := ChainTransferKind(ev.Kind)
		if !ok {
			return Applied{}, fmt.Errorf("%w: chain event kind %q", ErrInvalid, ev.Kind)
		}
		id, err := tx.book(ctx, key, kind, ev.Kind, ev.Hash, b.legs)
		if err != nil {
			return Applied{}, fmt.Errorf("book %s: %w", key, err)
		}
		res.TransferID = id
		if _, err := tx.ExecContext(ctx, `UPDATE chain_events SET transfer_id = ? WHERE id = ?`, id, eventID); err != nil {
			return Applied{}, err
		}
		if err := tx.db.fail("booked"); err != nil {
			return Applied{}, err
		}
	}
	// What the money moves mean for withdrawals, after the money is booked
	// (a refund draws on a balance the moves may just have filled).
	for _, f := range b.after {
		if err := f(); err != nil {
			return Applied{}, err
		}
	}
	if b.foreign != 0 || ev.Kind == KindForeign {
		dec := tx.decimals(ctx, c.Asset)
		n := ForeignNotice{Account: ev.Account, TxHash: ev.Hash, Asset: c.Asset, Amount: b.foreign.Format(dec), Note: ev.Note}
		if n.Note == "" {
			n.Note = "an external message tonpay did not sign"
		}
		if err := tx.holdForeign(ctx, n); err != nil {
			return Applied{}, err
		}
	}
	if c.Batch != nil {
		if err := tx.settleBatch(ctx, *c.Batch, b.sent, b.swept, maxSkips, &res); err != nil {
			return Applied{}, fmt.Errorf("batch %d: %w", c.Batch.BatchID, err)
		}
	}
	if c.Refused != 0 {
		if err := tx.refused(ctx, c.Refused, ev, &res); err != nil {
			return Applied{}, err
		}
	}
	if c.Delivered != nil {
		if err := tx.delivered(ctx, *c.Delivered, ev, &res); err != nil {
			return Applied{}, err
		}
	}
	if deposit != nil {
		ev.ID = eventID
		if err := tx.settleMatch(ctx, ev, *deposit, res.TransferID); err != nil {
			return Applied{}, err
		}
	}
	if err := tx.db.fail("matched"); err != nil {
		return Applied{}, err
	}
	return res, tx.advanceCursor(ctx, c.Cursor)
}

// booking collects one chain transaction's postings: each move's
// counterpart gets the move's amount, chain:hot the opposite (chain:hot's
// balance is minus what our wallets hold).
type booking struct {
	tx      *Tx
	c       ChainTx
	res     *Applied
	legs    Legs
	after   []func() error
	sent    map[int64]bool // withdrawals whose message this transaction sent
	swept   bool           // this transaction sent TON to cold storage
	notes   []string       // what the event's note must add
	foreign Amount         // what left in messages we did not sign
}

func (b *booking) note(s string) { b.notes = append(b.notes, s) }

func (b *booking) leg(account string, amount Amount) {
	b.legs = b.legs.Plus(move(AccountHot, account, b.c.Asset, amount))
}

func (b *booking) markSent(wid int64) {
	if b.sent == nil {
		b.sent = map[int64]bool{}
	}
	b.sent[wid] = true
}

func (b *booking) withdrawal(ctx context.Context, id int64) (Withdrawal, error) {
	w, err := scanWithdrawal(b.tx.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ?`, id))
	if err != nil {
		return Withdrawal{}, fmt.Errorf("withdrawal %d: %w", id, err)
	}
	return w, nil
}

// payout books a withdrawal's value leaving a watched account. TON arrives
// for sure (a wallet takes a non-bounceable message): confirmed now, with its
// fee. Jettons have only left our jetton wallet: delivered when the
// destination's wallet accepts them (its excesses), returned if it refuses.
func (b *booking) payout(ctx context.Context, m Move) error {
	w, err := b.withdrawal(ctx, m.Withdrawal)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if err != nil || w.Asset != b.c.Asset || -m.Amount != w.Amount || w.Status != WithdrawalSent || w.LeftAt != 0 {
		// Money left in a message that is no withdrawal of ours in this
		// state (another signer reusing a query id, say): it still left,
		// so it is booked, visibly, and following goes on.
		b.leg(AccountAdjust, m.Amount)
		b.foreign -= m.Amount
		b.note(fmt.Sprintf("%s left as withdrawal %d, which is not one waiting for it: booked to adjustments", (-m.Amount).Units(), m.Withdrawal))
		return nil
	}
	b.leg(AccountHold, m.Amount)
	if w.Asset == TON.Symbol {
		b.markSent(w.ID)
		b.after = append(b.after, func() error {
			if err := b.tx.bookFee(ctx, w); err != nil {
				return err
			}
			w.TxHash = b.c.Event.Hash
			b.res.Confirmed = append(b.res.Confirmed, w.ID)
			return b.tx.confirm(ctx, w)
		})
		return nil
	}
	_, err = b.tx.ExecContext(ctx, `UPDATE withdrawals SET left_at = ?, jetton_dest = ?, tx_hash = ?, updated_at = ? WHERE id = ?`,
		b.c.Event.Time.Unix(), m.Dest, b.c.Event.Hash, ms(b.tx.now), w.ID)
	return err
}

// returned books a jetton payout that the destination's jetton wallet
// refused: the jettons are ours again and go back to whoever asked, with
// the fee; the withdrawal is failed and refunded.
func (b *booking) returned(ctx context.Context, m Move) error {
	w, err := b.withdrawal(ctx, m.Withdrawal)
	if errors.Is(err, ErrNotFound) {
		b.leg(AccountAdjust, m.Amount)
		b.note(fmt.Sprintf("%s came back as withdrawal %d, which does not exist: booked to adjustments", m.Amount.Units(), m.Withdrawal))
		return nil
	}
	if err != nil {
		return err
	}
	if w.Asset != b.c.Asset || m.Amount != w.Amount || w.LeftAt == 0 || (w.Status != WithdrawalSent && w.Status != WithdrawalConfirmed) {
		// Not a payout we can give back: the jettons still count, as unknown.
		b.leg(AccountAdjust, m.Amount)
		b.note(fmt.Sprintf("%s came back as withdrawal %d, which is not one that left: booked to adjustments", m.Amount.Units(), m.Withdrawal))
		return nil
	}
	b.leg(w.Account, m.Amount)
	b.after = append(b.after, func() error {
		from := w.Status
		if w.Fee > 0 {
			// Still sent: the fee is on hold. Confirmed already: the fee
			// was earned; give it back from fees.
			src := AccountHold
			if from != WithdrawalSent {
				src = AccountFees
			}
			if _, err := b.tx.book(ctx, RefundKey(w.ID), TransferRefund, "withdrawal returned", strconv.FormatInt(w.ID, 10),
				move(src, w.Account, w.FeeAsset, w.Fee)); err != nil {
				return err
			}
		}
		reason := "the recipient's jetton wallet refused the transfer; returned"
		fw, err := b.tx.moveWithdrawal(ctx, w.ID, from, WithdrawalFailed, reason)
		if err != nil {
			return err
		}
		if err := b.tx.WithdrawalEvent(ctx, fw); err != nil {
			return err
		}
		rw, err := b.tx.moveWithdrawal(ctx, w.ID, WithdrawalFailed, WithdrawalRefunded, "")
		if err != nil {
			return err
		}
		b.res.Failed = append(b.res.Failed, w.ID)
		return b.tx.WithdrawalEvent(ctx, rw)
	})
	return nil
}

// bookFee moves a paid withdrawal's fee from the hold to the fees account.
func (tx *Tx) bookFee(ctx context.Context, w Withdrawal) error {
	if w.Fee <= 0 {
		return nil
	}
	_, err := tx.book(ctx, FeeKey(w.ID), TransferFee, "withdrawal fee", strconv.FormatInt(w.ID, 10),
		move(AccountHold, AccountFees, w.FeeAsset, w.Fee))
	return err
}

// refused fails and refunds a jetton withdrawal whose transfer our own
// jetton wallet refused (too little TON attached, say).
func (tx *Tx) refused(ctx context.Context, wid int64, ev ChainEvent, res *Applied) error {
	w, err := scanWithdrawal(tx.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ?`, wid))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if w.Status != WithdrawalSent || w.LeftAt != 0 {
		return nil
	}
	reason := "the jetton transfer failed"
	if ev.Note != "" {
		reason += ": " + ev.Note
	}
	if _, err := tx.failAndRefund(ctx, wid, WithdrawalSent, reason); err != nil {
		return err
	}
	res.Failed = append(res.Failed, wid)
	return nil
}

// delivered confirms a jetton withdrawal whose destination wallet accepted
// the jettons. Excesses from any other address prove nothing.
func (tx *Tx) delivered(ctx context.Context, d Delivery, ev ChainEvent, res *Applied) error {
	w, err := scanWithdrawal(tx.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ?`, d.Withdrawal))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if w.Status != WithdrawalSent || w.LeftAt == 0 || w.JettonDest == "" || w.JettonDest != d.From {
		return nil
	}
	if err := tx.bookFee(ctx, w); err != nil {
		return err
	}
	res.Confirmed = append(res.Confirmed, w.ID)
	return tx.confirm(ctx, w)
}

// DeliveryWait is how long after its jettons left our jetton wallet a jetton
// payout without excesses and without a bounce counts as delivered: a refusal
// bounces back within a few blocks.
const DeliveryWait = 60 * time.Second

// ConfirmQuietPayouts confirms jetton withdrawals whose jettons left our
// jetton wallet more than DeliveryWait of chain time before asOf (a block's
// time) and neither bounced nor were confirmed by excesses (a destination
// wallet that sends no excesses). It returns their ids.
func (db *DB) ConfirmQuietPayouts(ctx context.Context, asOf time.Time) ([]int64, error) {
	var ids []int64
	err := db.write(ctx, func(tx *Tx) error {
		ids = ids[:0]
		rows, err := tx.QueryContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals
			WHERE status = ? AND left_at IS NOT NULL AND left_at <= ? ORDER BY id LIMIT 500`,
			WithdrawalSent, asOf.Add(-DeliveryWait).Unix())
		ws, err := scanRows(rows, err, scanWithdrawal)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if err := tx.bookFee(ctx, w); err != nil {
				return err
			}
			if err := tx.confirm(ctx, w); err != nil {
				return err
			}
			ids = append(ids, w.ID)
		}
		return nil
	})
	return ids, err
}

// merge folds postings to the same account and asset together and drops
// zeros, so one transfer never has two entries for one balance.
func merge(ps []Posting) []Posting {
	type k struct{ a, s string }
	idx := map[k]int{}
	var out []Posting
	for _, p := range ps {
		if i, ok := idx[k{p.Account, p.Asset}]; ok {
			out[i].Amount += p.Amount
			continue
		}
		idx[k{p.Account, p.Asset}] = len(out)
		out = append(out, p)
	}
	kept := out[:0]
	for _, p := range out {
		if p.Amount != 0 {
			kept = append(kept, p)
		}
	}
	return kept
}

func (tx *Tx) advanceCursor(ctx context.Context, c Cursor) error {
	if c.Account == "" {
		return nil
	}
	// Never move a cursor backwards (a replay after a restart may carry an older one).
	_, err := tx.ExecContext(ctx, `INSERT INTO chain_cursors(account, lt, hash, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(account) DO UPDATE SET lt = excluded.lt, hash = excluded.hash, updated_at = excluded.updated_at
		WHERE excluded.lt > chain_cursors.lt`, c.Account, c.LT, c.Hash, ms(tx.now))
	return err
}

// DepositTx is the ChainTx of a plain incoming transfer on a watched
// account: in arrives, fee (network fee, TON) leaves. It is what the
// follower makes of a deposit; tools and tests replay deposits with it.
func DepositTx(ev ChainEvent, in Incoming, fee Amount) ChainTx {
	c := ChainTx{Event: ev, Cursor: Cursor{Account: ev.Account, LT: ev.LT, Hash: ev.Hash}, Asset: in.Asset,
		Change: in.Amount - fee, Moves: []Move{{Kind: MoveDeposit, Amount: in.Amount, Incoming: &in}}}
	if fee != 0 {
		c.Moves = append(c.Moves, Move{Kind: MoveNetworkFee, Amount: -fee})
	}
	return c
}
