package store

// Booking one watched transaction: its moves become legs of one transfer
// of the event's kind, the event is recorded, and what the moves mean for
// withdrawals, batches and invoices is settled (settlement.go, deposits.go).

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// applyChainTx applies one watched transaction: seen before (replayed:
// only the cursor moves), or its moves booked as one transfer, the event
// recorded, and what the moves mean settled (payouts, batches, the deposit's
// match). The failpoints name the steps a crash may fall between.
func (tx *Tx) applyChainTx(ctx context.Context, c ChainTx, maxSkips int) (Applied, error) {
	ev := c.Event
	if ev.Account == "" || ev.LT == 0 || ev.Hash == "" || c.Asset == "" {
		return Applied{}, fmt.Errorf("%w: chain event needs account, lt, hash and asset", ErrInvalid)
	}
	if c.Holder != "" && c.Holder != AccountHot && !strings.HasPrefix(c.Holder, depositAccountPrefix) {
		return Applied{}, fmt.Errorf("%w: chain holder %q", ErrInvalid, c.Holder)
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
	if err := c.balanced(); err != nil {
		return Applied{}, err
	}
	b := &booking{tx: tx, c: c, ev: ev, res: Applied{Kind: ev.Kind}}
	if err := b.moves(ctx); err != nil {
		return Applied{}, err
	}
	eventID, err := b.record(ctx)
	if err != nil {
		return Applied{}, err
	}
	if err := b.book(ctx, eventID); err != nil {
		return Applied{}, err
	}
	if err := b.settle(ctx, eventID, maxSkips); err != nil {
		return Applied{}, err
	}
	if err := tx.db.fail("matched"); err != nil {
		return Applied{}, err
	}
	return b.res, tx.advanceCursor(ctx, c.Cursor)
}

// balanced refuses a classification whose moves do not sum to the chain's
// change.
func (c ChainTx) balanced() error {
	var sum Amount
	for _, m := range c.Moves {
		sum += m.Amount
	}
	if sum != c.Change {
		return fmt.Errorf("%w: moves sum to %d, the chain changed by %d", ErrUnbalanced, sum, c.Change)
	}
	return nil
}

// moves turns each move into its legs (and its settlement, for later).
func (b *booking) moves(ctx context.Context) error {
	for _, m := range b.c.Moves {
		if m.Amount == 0 && m.Kind != MoveDeposit {
			continue
		}
		switch m.Kind {
		case MoveDeposit:
			if err := b.deposit(ctx, m); err != nil {
				return err
			}
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
				return err
			}
		case MovePayoutReturned:
			if err := b.returned(ctx, m); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: move kind %q", ErrInvalid, m.Kind)
		}
		if b.ev.Asset == "" {
			b.ev.Asset, b.ev.Amount = b.c.Asset, m.Amount
		}
	}
	for _, n := range b.notes {
		if b.ev.Note != "" {
			b.ev.Note += "; "
		}
		b.ev.Note += n
	}
	return nil
}

// deposit matches money that arrived (an invoice, a user's or merchant's
// comment, or nobody: unmatched) and books it to whom it matched.
func (b *booking) deposit(ctx context.Context, m Move) error {
	in := m.Incoming
	if in == nil || in.Amount != m.Amount || in.Asset != b.c.Asset || in.Amount <= 0 {
		return fmt.Errorf("%w: deposit move without its incoming amount", ErrInvalid)
	}
	ev := &b.ev
	ev.Asset, ev.Amount, ev.Sender, ev.Comment = in.Asset, in.Amount, in.Sender, in.Comment
	mt, err := b.tx.match(ctx, *ev, in)
	if err != nil {
		return err
	}
	b.match = &mt
	ev.Kind, ev.InvoiceID, ev.UserID, ev.Note = mt.kind, mt.invoice.ID, mt.userID, mt.note
	b.res.Kind, b.res.InvoiceID, b.res.UserID, b.res.MerchantID = mt.kind, mt.invoice.ID, mt.userID, mt.merchantID
	to := AccountUnmatched
	switch {
	case mt.kind == KindCapital:
		to = AccountCapital
	case mt.userID != 0:
		to = UserAccount(mt.userID)
	case mt.merchantID != 0:
		to = MerchantAccount(mt.merchantID)
	}
	b.leg(to, m.Amount)
	return nil
}

// record inserts the chain event (unique by account and lt).
func (b *booking) record(ctx context.Context) (int64, error) {
	ev := b.ev
	var eventID int64
	if err := b.tx.QueryRowContext(ctx, `INSERT INTO chain_events(account, lt, hash, utime, kind, asset, amount, sender, comment,
		invoice_id, user_id, merchant_id, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ev.Account, ev.LT, ev.Hash, ms(ev.Time), ev.Kind, nullString(ev.Asset), int64(ev.Amount), ev.Sender, ev.Comment,
		nullString(ev.InvoiceID), nullInt(ev.UserID), nullInt(b.res.MerchantID), ev.Note, ms(b.tx.now)).Scan(&eventID); err != nil {
		return 0, err
	}
	return eventID, b.tx.db.fail("recorded")
}

// book posts the legs as one transfer of the event's kind, keyed by the
// transaction, and links it to the event.
func (b *booking) book(ctx context.Context, eventID int64) error {
	if len(merge(b.legs)) == 0 {
		return nil
	}
	key := ChainKey(b.ev.Account, b.ev.LT)
	kind, ok := ChainTransferKind(b.ev.Kind)
	if !ok {
		return fmt.Errorf("%w: chain event kind %q", ErrInvalid, b.ev.Kind)
	}
	id, err := b.tx.book(ctx, key, kind, b.ev.Kind, b.ev.Hash, b.legs)
	if err != nil {
		return fmt.Errorf("book %s: %w", key, err)
	}
	b.res.TransferID = id
	if _, err := b.tx.ExecContext(ctx, `UPDATE chain_events SET transfer_id = ? WHERE id = ?`, id, eventID); err != nil {
		return err
	}
	return b.tx.db.fail("booked")
}

// settle does what the booked moves mean, after the money is booked (a
// refund draws on a balance the moves may just have filled): payouts
// confirmed or returned, money we did not sign held for admins, the batch,
// a refused or delivered jetton payout, the deposit's invoice.
func (b *booking) settle(ctx context.Context, eventID int64, maxSkips int) error {
	tx, c, ev := b.tx, b.c, b.ev
	for _, f := range b.after {
		if err := f(); err != nil {
			return err
		}
	}
	if b.foreign != 0 || ev.Kind == KindForeign {
		dec := tx.db.registry().Decimals(c.Asset)
		n := ForeignNotice{Account: ev.Account, TxHash: ev.Hash, Asset: c.Asset, Amount: b.foreign.Format(dec), Note: ev.Note}
		if n.Note == "" {
			n.Note = "an external message tonpay did not sign"
		}
		if err := tx.holdForeign(ctx, n); err != nil {
			return err
		}
	}
	if c.Batch != nil {
		if err := tx.settleBatch(ctx, *c.Batch, b.sent, b.swept, maxSkips, &b.res); err != nil {
			return fmt.Errorf("batch %d: %w", c.Batch.BatchID, err)
		}
	}
	if c.Refused != 0 {
		if err := tx.refused(ctx, c.Refused, ev, &b.res); err != nil {
			return err
		}
	}
	if c.Delivered != nil {
		if err := tx.delivered(ctx, *c.Delivered, ev, &b.res); err != nil {
			return err
		}
	}
	if b.match != nil {
		ev.ID = eventID
		if err := tx.settleMatch(ctx, ev, *b.match, b.res.TransferID); err != nil {
			return err
		}
	}
	return nil
}

// booking collects one chain transaction's postings: each move's
// counterpart gets the move's amount, chain:hot the opposite (chain:hot's
// balance is minus what our wallets hold).
type booking struct {
	tx      *Tx
	c       ChainTx
	ev      ChainEvent // the event as recorded (a deposit's match fills it in)
	res     Applied
	match   *match // the deposit's match, if one arrived
	legs    Legs
	after   []func() error
	sent    map[int64]bool // withdrawals whose message this transaction sent
	swept   bool           // this transaction sent TON to cold storage
	notes   []string       // what the event's note must add
	foreign Amount         // what left in messages we did not sign
}

func (b *booking) note(s string) { b.notes = append(b.notes, s) }

func (b *booking) leg(account string, amount Amount) {
	holder := b.c.Holder
	if holder == "" {
		holder = AccountHot
	}
	b.legs = b.legs.Plus(move(holder, account, b.c.Asset, amount))
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
