package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// What Telegram says happened to a user's Stars subscription (Bot API 10.2
// subscription updates). None of them moves money or credits: the credits
// of a paid period were granted with its payment and stay the user's; what
// changes is whether another period will be paid.
type SubscriptionChange string

const (
	SubscriptionCanceled      SubscriptionChange = "canceled"       // the user canceled it: no renewal, the paid period runs to its end
	SubscriptionPaymentFailed SubscriptionChange = "payment_failed" // the renewal could not be charged: no credits after the period's end
	SubscriptionRestored      SubscriptionChange = "restored"       // active again: renewals continue
)

// A subscription's state as the faces show it (StarSubscription.Status).
const (
	SubActive        = "active"         // renews at ExpiresAt
	SubCanceled      = "canceled"       // will not renew; the paid period runs to ExpiresAt
	SubPaymentFailed = "payment_failed" // the renewal payment failed; credits stop at ExpiresAt
	SubExpired       = "expired"        // the paid period is over
)

// Status is the subscription's true state at now: a period that ended is
// expired whatever was said of it; before that a failed renewal outweighs
// a cancel (neither renews, but a failure is what the user must act on).
func (s StarSubscription) Status(now time.Time) string {
	switch {
	case !s.Active(now):
		return SubExpired
	case s.PaymentFailed:
		return SubPaymentFailed
	case s.Canceled:
		return SubCanceled
	}
	return SubActive
}

// SubscriptionUpdate is a subscription update as Telegram sent it.
type SubscriptionUpdate struct {
	UpdateID int64 // the Bot API update_id: with the rest, the idempotency key
	UserID   int64
	Payload  string // invoice_payload of the subscription's invoice
	Change   SubscriptionChange
}

// Outcomes of a subscription update.
const (
	SubUpdateChanged = "changed" // the subscription's state moved
	SubUpdateSame    = "same"    // it said what was known already (e.g. a cancel made in the bot)
	SubUpdateUnknown = "unknown" // no subscription of ours matches it
)

// SubscriptionUpdated is what booking a subscription update did.
type SubscriptionUpdated struct {
	Subscription StarSubscription // zero when Outcome is SubUpdateUnknown
	Outcome      string
	Created      bool // false: this update was booked before and nothing was done again
}

// StarSubscriptionEvent is the outbox payload of EventStarsSubscriptionChange (to
// the user): their subscription changed on Telegram's word.
type StarSubscriptionEvent struct {
	Package   string `json:"package"`
	Change    string `json:"change"`     // a SubscriptionChange
	ExpiresAt int64  `json:"expires_at"` // unix seconds: the paid period's end
}

// BookSubscriptionUpdate books a subscription update in ONE transaction:
// the update's row (UNIQUE on update id, user, payload and change: a
// redelivered update returns Created false and changes nothing), the
// subscription's new state, and a EventStarsSubscriptionChange event for the user
// when the state moved. It posts nothing to the ledger. An update whose
// payload is not ours, or that names no subscription booked here, is kept
// with outcome unknown.
func (db *DB) BookSubscriptionUpdate(ctx context.Context, u SubscriptionUpdate) (SubscriptionUpdated, error) {
	switch u.Change {
	case SubscriptionCanceled, SubscriptionPaymentFailed, SubscriptionRestored:
	default:
		return SubscriptionUpdated{}, fmt.Errorf("%w: subscription change %q", ErrInvalid, u.Change)
	}
	if u.UserID <= 0 || len(u.Payload) > 1024 {
		return SubscriptionUpdated{}, fmt.Errorf("%w: a subscription update needs a user and a payload of at most 1024 bytes", ErrInvalid)
	}
	var out SubscriptionUpdated
	err := db.write(ctx, func(tx *Tx) error {
		pkg := ""
		if pl, ours := ParseStarsPayload(u.Payload); ours {
			pkg = pl.Package
		}
		sub, err := tx.starSubscription(ctx, u.UserID, pkg)
		known := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		outcome := SubUpdateUnknown
		canceled, failed := sub.Canceled, sub.PaymentFailed
		if known {
			switch u.Change {
			case SubscriptionCanceled:
				canceled = true
			case SubscriptionPaymentFailed:
				failed = true
			case SubscriptionRestored:
				canceled, failed = false, false
			}
			outcome = SubUpdateSame
			if canceled != sub.Canceled || failed != sub.PaymentFailed {
				outcome = SubUpdateChanged
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO star_subscription_updates(update_id, user_id, payload, state, package, outcome, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (update_id, user_id, payload, state) DO NOTHING`,
			u.UpdateID, u.UserID, u.Payload, string(u.Change), pkg, outcome, ms(tx.now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			out = SubscriptionUpdated{Subscription: sub, Outcome: outcome}
			return err
		}
		out = SubscriptionUpdated{Subscription: sub, Outcome: outcome, Created: true}
		if outcome != SubUpdateChanged {
			return nil
		}
		if err := tx.execOne(ctx, `UPDATE star_subscriptions SET canceled = ?, payment_failed = ?, updated_at = ? WHERE user_id = ? AND package = ?`,
			canceled, failed, ms(tx.now), u.UserID, pkg); err != nil {
			return err
		}
		if err := tx.emit(ctx, TopicBot, EventStarsSubscriptionChange, u.UserID, 0, StarSubscriptionEvent{Package: pkg, Change: string(u.Change),
			ExpiresAt: sub.ExpiresAt.Unix()}); err != nil {
			return err
		}
		tx.changed(Change{Kind: ChangeSubscription, UserID: u.UserID, ID: pkg})
		out.Subscription, err = tx.starSubscription(ctx, u.UserID, pkg)
		return err
	})
	return out, err
}

func (tx *Tx) starSubscription(ctx context.Context, userID int64, pkg string) (StarSubscription, error) {
	return scanSubscription(tx.QueryRowContext(ctx, `SELECT `+subCols+` FROM star_subscriptions WHERE user_id = ? AND package = ?`, userID, pkg))
}
