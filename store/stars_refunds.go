package store

// Stars refunds: a Stars payment given back, its credits taken back as far
// as the balance holds them.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// StarRefund is what booking a refund did.
type StarRefund struct {
	Payment StarPayment
	Created bool // false when the payment was refunded before: nothing was posted again
}

// BookStarRefund books the refund of a Stars payment in ONE transaction:
// the XTR entries reversed, the payment's credits taken back from the user
// as far as the balance holds them (a balance never goes negative; what was
// already spent is the shortfall, told to admins), the payment marked
// refunded, and a EventStarsRefunded event for the user. Telegram has already
// returned the Stars (refundStarPayment answered, or a refunded_payment
// update or the transaction list says so), so the refund is booked even
// when the credits are gone; the admin command refuses earlier, before
// asking Telegram (Policy.RefundStars). A payment refunded before returns
// with Created false.
func (db *DB) BookStarRefund(ctx context.Context, chargeID, by string) (StarRefund, error) {
	var out StarRefund
	err := db.write(ctx, func(tx *Tx) error {
		p, err := tx.starPayment(ctx, chargeID)
		if err != nil {
			return err
		}
		if p.Status == StarRefunded {
			out = StarRefund{Payment: p}
			return nil
		}
		user := UserAccount(p.UserID)
		claw := Amount(0)
		if p.Credits > 0 {
			have, err := tx.balance(ctx, user, Credits.Symbol)
			if err != nil {
				return err
			}
			claw = min(max(have, 0), p.Credits)
		}
		legs := move(AccountStarsRevenue, AccountStarsTelegram, Stars.Symbol, p.Amount)
		if claw > 0 {
			legs = legs.Plus(move(user, AccountIssued, Credits.Symbol, claw))
		}
		desc := "Stars refund"
		if p.Package != "" {
			desc = "refund of package " + p.Package + " (Stars)"
		}
		tid, err := tx.book(ctx, StarsRefundKey(chargeID), TransferStarsRefund, desc, chargeID, legs)
		if err != nil {
			return err
		}
		shortfall := p.Credits - claw
		if _, err := tx.ExecContext(ctx, `UPDATE star_payments SET status = ?, refund_transfer_id = ?, clawed = ?, shortfall = ?, refunded_by = ?,
			refunded_at = ? WHERE charge_id = ?`, StarRefunded, tid, int64(claw), int64(shortfall), by, ms(tx.now), chargeID); err != nil {
			return err
		}
		if id, ok := strings.CutPrefix(by, "admin:"); ok {
			n, _ := strconv.ParseInt(id, 10, 64)
			if err := tx.audit(ctx, AdminActor(n, ""), 0, AuditStarsRefund, "Stars payment "+chargeID+" of user "+strconv.FormatInt(p.UserID, 10),
				"paid: "+p.Amount.Units()+" Stars", fmt.Sprintf("refunded (%s credits taken back)", claw.Units())); err != nil {
				return err
			}
		}
		ev := StarRefundEvent{ChargeID: chargeID, UserID: p.UserID, Package: p.Package, Stars: p.Amount.Units(), Clawed: claw.Units(),
			Shortfall: shortfall.Units(), By: by}
		if err := tx.emit(ctx, TopicBot, EventStarsRefunded, p.UserID, 0, ev); err != nil {
			return err
		}
		if shortfall > 0 {
			if err := tx.emit(ctx, TopicBot, EventStarsRefundShortfall, 0, 0, ev); err != nil {
				return err
			}
		}
		tx.changed(Change{Kind: ChangePurchase, UserID: p.UserID, ID: chargeID})
		p, err = tx.starPayment(ctx, chargeID)
		out = StarRefund{Payment: p, Created: true}
		return err
	})
	return out, err
}
