package store

// Payout settlement: what the chain did with a batch and its withdrawals
// (paid, skipped and queued again, failed and refunded, expired), jetton
// payouts delivered or refused, and the fee earned when one is paid.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

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

// ExpireBatch settles a batch that expired without being executed: it is
// marked expired and its withdrawals are queued again, to be re-issued under
// a new query id. Only an open batch that was not seen on chain can expire.
func (db *DB) ExpireBatch(ctx context.Context, id int64, reason string) (requeued []int64, err error) {
	err = db.write(ctx, func(tx *Tx) error {
		requeued = requeued[:0]
		res, err := tx.ExecContext(ctx, `UPDATE batches SET status = ?, note = ?, updated_at = ? WHERE id = ? AND status IN ('building', 'sent') AND tx_hash = ''`,
			BatchExpired, reason, ms(tx.now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: batch %d is not open or was executed", ErrConflict, id)
		}
		ids, err := batchWithdrawals(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, wid := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE batch_items SET outcome = 'expired' WHERE batch_id = ? AND withdrawal_id = ?`, id, wid); err != nil {
				return err
			}
			ok, err := tx.requeue(ctx, wid, id)
			if err != nil {
				return err
			}
			if ok {
				requeued = append(requeued, wid)
			}
		}
		return nil
	})
	return requeued, err
}

// requeue puts a withdrawal sent in batch back in the queue. The user is not
// told: to them it is still on its way.
func (tx *Tx) requeue(ctx context.Context, wid, batch int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = ?, batch_id = NULL, updated_at = ? WHERE id = ? AND status = ? AND batch_id = ?`,
		WithdrawalQueued, ms(tx.now), wid, WithdrawalSent, batch)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FailWithdrawal gives up on a queued withdrawal the payer cannot send (a
// destination that does not parse, say): it is marked failed, its hold is
// returned (refunded), and both steps are announced (withdrawal.failed, then
// withdrawal.refunded), in one transaction.
func (db *DB) FailWithdrawal(ctx context.Context, id int64, reason string) (Withdrawal, error) {
	var w Withdrawal
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		w, err = tx.failAndRefund(ctx, id, WithdrawalQueued, reason)
		return err
	})
	return w, err
}

// failAndRefund moves a withdrawal from `from` to failed, announces it,
// reverses its hold and moves it on to refunded, announcing that too.
func (tx *Tx) failAndRefund(ctx context.Context, id int64, from, reason string) (Withdrawal, error) {
	w, err := tx.moveWithdrawal(ctx, id, from, WithdrawalFailed, reason)
	if err != nil {
		return Withdrawal{}, err
	}
	if err := tx.WithdrawalEvent(ctx, w); err != nil {
		return Withdrawal{}, err
	}
	if err := tx.refundWithdrawal(ctx, w); err != nil {
		return Withdrawal{}, err
	}
	if w, err = tx.moveWithdrawal(ctx, id, WithdrawalFailed, WithdrawalRefunded, ""); err != nil {
		return Withdrawal{}, err
	}
	return w, tx.WithdrawalEvent(ctx, w)
}

// settleBatch records what the chain did with a batch: the external ran and
// handed its messages to an internal_transfer (pending), or its messages went
// out (sent holds the withdrawals whose message this transaction sent): a
// withdrawal left without one was skipped (queued again, or after maxSkips
// failed and refunded).
func (tx *Tx) settleBatch(ctx context.Context, o BatchOutcome, sent map[int64]bool, swept bool, maxSkips int, res *Applied) error {
	b, err := tx.batch(ctx, o.BatchID)
	if err != nil {
		return err
	}
	if b.Status != BatchBuilding && b.Status != BatchSent {
		return fmt.Errorf("%w: batch is %s, seen on chain in %s", ErrConflict, b.Status, o.TxHash)
	}
	now := ms(tx.now)
	if o.Pending {
		_, err := tx.ExecContext(ctx, `UPDATE batches SET status = ?, tx_hash = ?, updated_at = ? WHERE id = ?`, BatchSent, o.TxHash, now, b.ID)
		return err
	}
	for _, wid := range b.Withdrawals {
		if sent[wid] {
			if _, err := tx.ExecContext(ctx, `UPDATE batch_items SET outcome = 'sent' WHERE batch_id = ? AND withdrawal_id = ?`, b.ID, wid); err != nil {
				return err
			}
			continue
		}
		w, err := scanWithdrawal(tx.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ?`, wid))
		if err != nil {
			return err
		}
		if w.Status != WithdrawalSent || w.BatchID != b.ID {
			return fmt.Errorf("%w: withdrawal %d is %s in batch %d, yet its message was not sent", ErrConflict, wid, w.Status, w.BatchID)
		}
		if err := tx.skipped(ctx, w, b.ID, maxSkips, res); err != nil {
			return err
		}
	}
	status := BatchConfirmed
	if len(sent) == 0 && !swept {
		status = BatchFailed
	}
	txHash := b.TxHash
	if txHash == "" {
		txHash = o.TxHash
	}
	_, err = tx.ExecContext(ctx, `UPDATE batches SET status = ?, tx_hash = ?, updated_at = ? WHERE id = ?`, status, txHash, now, b.ID)
	return err
}

// skipped handles a withdrawal whose message the chain did not send.
func (tx *Tx) skipped(ctx context.Context, w Withdrawal, batch int64, maxSkips int, res *Applied) error {
	if _, err := tx.ExecContext(ctx, `UPDATE batch_items SET outcome = 'skipped' WHERE batch_id = ? AND withdrawal_id = ?`, batch, w.ID); err != nil {
		return err
	}
	var skips int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM batch_items WHERE withdrawal_id = ? AND outcome = 'skipped'`, w.ID).Scan(&skips); err != nil {
		return err
	}
	if maxSkips > 0 && skips >= maxSkips {
		if _, err := tx.failAndRefund(ctx, w.ID, WithdrawalSent, fmt.Sprintf("the network refused the transfer %d times", skips)); err != nil {
			return err
		}
		res.Failed = append(res.Failed, w.ID)
		return nil
	}
	if _, err := tx.requeue(ctx, w.ID, batch); err != nil {
		return err
	}
	res.Requeued = append(res.Requeued, w.ID)
	return nil
}

// confirm marks a sent withdrawal confirmed and announces it.
func (tx *Tx) confirm(ctx context.Context, w Withdrawal) error {
	if _, err := tx.ExecContext(ctx, `UPDATE withdrawals SET tx_hash = ? WHERE id = ?`, w.TxHash, w.ID); err != nil {
		return err
	}
	w, err := tx.moveWithdrawal(ctx, w.ID, WithdrawalSent, WithdrawalConfirmed, "")
	if err != nil {
		return err
	}
	return tx.WithdrawalEvent(ctx, w)
}
