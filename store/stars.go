package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Telegram Stars (XTR). Users pay Stars inside Telegram; Telegram holds
// them for the bot. The ledger counts them in asset XTR between two system
// accounts, so Audit covers them like any other asset:
//
//	payment: telegram:stars -n XTR, stars:revenue +n XTR  (and the credits: issued:credits -c, user +c)
//	refund:  the same postings reversed (credits: as many as the user still holds)
//
// stars:revenue is what the bot earned and Telegram holds for it (what
// getMyStarBalance shows); telegram:stars is its counterpart, negative by
// what came in through Telegram.

// Stars is Telegram's in-app currency: whole units.
var Stars = Asset{Symbol: "XTR", Decimals: 0}

// Stars ledger accounts.
const (
	AccountStarsRevenue  = "stars:revenue"  // Stars the bot earned (held by Telegram)
	AccountStarsTelegram = "telegram:stars" // counterpart of Stars users paid through Telegram
)

// StarsSubscriptionPeriod is the only subscription period Telegram allows:
// 30 days, in seconds.
const StarsSubscriptionPeriod = 2592000

// Star payment statuses.
const (
	StarPaid     = "paid"
	StarRefunded = "refunded"
)

// Where a Stars payment or refund was learnt from.
const (
	StarSourceUpdate     = "update"     // a successful_payment / refunded_payment update
	StarSourceReconciler = "reconciler" // found in getStarTransactions
)

// StarPayment is a booked Stars payment.
type StarPayment struct {
	ChargeID       string // telegram_payment_charge_id
	UserID         int64
	Package        string // "" when the payload was not one of ours
	Amount         Amount // Stars
	Credits        Amount
	Period         int // subscription period (seconds); 0 for a one-off purchase
	Payload        string
	Recurring      bool // a subscription payment
	FirstRecurring bool
	ExpiresAt      time.Time // the subscription's paid period ends; zero for a one-off
	Source         string
	Status         string
	TransferID     int64
	Clawed         Amount // credits the refund took back
	Shortfall      Amount // credits the refund could not take back (already spent)
	RefundedBy     string
	RefundedAt     time.Time
	MissingAt      time.Time // Telegram's transaction list does not have it
	CreatedAt      time.Time
}

// NewStarPayment is a payment as Telegram reported it.
type NewStarPayment struct {
	ChargeID       string
	UserID         int64 // who paid
	Amount         Amount
	Payload        string
	Recurring      bool
	FirstRecurring bool
	ExpiresAt      time.Time
	Source         string
}

// StarPaidEvent is the outbox payload of EventStarsPaid (to the user).
type StarPaidEvent struct {
	ChargeID  string `json:"charge_id"`
	Package   string `json:"package"`
	Stars     string `json:"stars"`
	Credits   string `json:"credits"`
	Balance   string `json:"balance"` // the user's credits after it
	Renewal   bool   `json:"renewal,omitempty"`
	ExpiresAt int64  `json:"expires_at,omitempty"` // unix seconds; subscriptions
}

// StarRefundEvent is the outbox payload of "stars.refunded" (to the user)
// and "stars.refund_shortfall" (to admins, when credits were already spent).
type StarRefundEvent struct {
	ChargeID  string `json:"charge_id"`
	UserID    int64  `json:"user_id"`
	Package   string `json:"package"`
	Stars     string `json:"stars"`
	Clawed    string `json:"clawed"`
	Shortfall string `json:"shortfall"`
	By        string `json:"by"`
}

// StarMissingEvent is the outbox payload of EventStarsMissing (to admins): a
// booked payment Telegram's transaction list does not have.
type StarMissingEvent struct {
	ChargeID string `json:"charge_id"`
	UserID   int64  `json:"user_id"`
	Stars    string `json:"stars"`
	Package  string `json:"package"`
}

const starCols = `charge_id, user_id, package, amount, credits, period, payload, recurring, first_recurring, expires_at, source, status,
	transfer_id, clawed, shortfall, refunded_by, refunded_at, missing_at, created_at`

func scanStarPayment(row interface{ Scan(...any) error }) (StarPayment, error) {
	var p StarPayment
	var amount, credits, clawed, shortfall, created int64
	var expires, refunded, missing sql.NullInt64
	err := row.Scan(&p.ChargeID, &p.UserID, &p.Package, &amount, &credits, &p.Period, &p.Payload, &p.Recurring, &p.FirstRecurring,
		&expires, &p.Source, &p.Status, &p.TransferID, &clawed, &shortfall, &p.RefundedBy, &refunded, &missing, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return StarPayment{}, ErrNotFound
	}
	p.Amount, p.Credits, p.Clawed, p.Shortfall = Amount(amount), Amount(credits), Amount(clawed), Amount(shortfall)
	p.ExpiresAt, p.RefundedAt, p.MissingAt, p.CreatedAt = fromNullMS(expires), fromNullMS(refunded), fromNullMS(missing), fromMS(created)
	return p, err
}

// StarPayment returns a booked payment by its charge id.
func (db *DB) StarPayment(ctx context.Context, chargeID string) (StarPayment, error) {
	return scanStarPayment(db.r.QueryRowContext(ctx, `SELECT `+starCols+` FROM star_payments WHERE charge_id = ?`, chargeID))
}

// StarPaymentByTransfer returns a booked payment by the id of its ledger
// transfer (short enough for a button's callback data).
func (db *DB) StarPaymentByTransfer(ctx context.Context, transferID int64) (StarPayment, error) {
	return scanStarPayment(db.r.QueryRowContext(ctx, `SELECT `+starCols+` FROM star_payments WHERE transfer_id = ?`, transferID))
}

// StarPayments lists booked payments, newest first: of one user, or of
// everyone (userID 0); at most limit.
func (db *DB) StarPayments(ctx context.Context, userID int64, limit int) ([]StarPayment, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+starCols+` FROM star_payments WHERE ?1 = 0 OR user_id = ?1
		ORDER BY created_at DESC, rowid DESC LIMIT ?2`, userID, limit)
	return scanRows(rows, err, scanStarPayment)
}

func (tx *Tx) starPayment(ctx context.Context, chargeID string) (StarPayment, error) {
	return scanStarPayment(tx.QueryRowContext(ctx, `SELECT `+starCols+` FROM star_payments WHERE charge_id = ?`, chargeID))
}

// BookStarPayment books a Stars payment in ONE transaction: the payment
// row (its charge id is the primary key), the XTR entries, the credits the
// payload names, the subscription's renewal date, and a EventStarsPaid event
// for the user. A charge id booked before returns that payment with created
// false and changes nothing. A payload that is not ours books the Stars with
// no credits (the money came in all the same).
func (db *DB) BookStarPayment(ctx context.Context, n NewStarPayment) (StarPayment, bool, error) {
	if n.ChargeID == "" || len(n.ChargeID) > 256 || n.UserID <= 0 || n.Amount <= 0 {
		return StarPayment{}, false, fmt.Errorf("%w: a Stars payment needs a charge id, a user and a positive amount", ErrInvalid)
	}
	if n.Source == "" {
		n.Source = StarSourceUpdate
	}
	var out StarPayment
	created := false
	err := db.write(ctx, func(tx *Tx) error {
		p, err := tx.starPayment(ctx, n.ChargeID)
		if err == nil {
			out = p
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		p, err = tx.bookStarPayment(ctx, n)
		if err != nil {
			return err
		}
		out, created = p, true
		return nil
	})
	return out, created, err
}

func (tx *Tx) bookStarPayment(ctx context.Context, n NewStarPayment) (StarPayment, error) {
	if err := tx.ensureAsset(ctx, Stars); err != nil {
		return StarPayment{}, err
	}
	if err := tx.ensureCredits(ctx); err != nil {
		return StarPayment{}, err
	}
	pl, ours := ParseStarsPayload(n.Payload)
	var credits Amount
	pkg, period := "", 0
	if ours {
		credits, pkg, period = Amount(pl.Credits), pl.Package, pl.Period
	}
	user := UserAccount(n.UserID)
	legs := move(AccountStarsTelegram, AccountStarsRevenue, Stars.Symbol, n.Amount)
	if credits > 0 {
		legs = legs.Plus(move(AccountIssued, user, Credits.Symbol, credits))
	}
	desc := "Stars payment"
	if pkg != "" {
		desc = "package " + pkg + " (Stars)"
	}
	tid, err := tx.book(ctx, StarsKey(n.ChargeID), TransferStarsPurchase, desc, n.ChargeID, legs)
	if err != nil {
		return StarPayment{}, err
	}
	now := ms(tx.now)
	var expires sql.NullInt64
	if !n.ExpiresAt.IsZero() {
		expires = sql.NullInt64{Int64: ms(n.ExpiresAt), Valid: true}
	}
	recurring := n.Recurring || (period > 0 && !n.ExpiresAt.IsZero())
	_, err = tx.ExecContext(ctx, `INSERT INTO star_payments(charge_id, user_id, package, amount, credits, period, payload, recurring,
		first_recurring, expires_at, source, status, transfer_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.ChargeID, n.UserID, pkg, int64(n.Amount), int64(credits), period, n.Payload, recurring, n.FirstRecurring, expires,
		n.Source, StarPaid, tid, now)
	if err != nil {
		return StarPayment{}, err
	}
	renewal := false
	if recurring && pkg != "" && expires.Valid {
		renewal, err = tx.renewStarSubscription(ctx, n, pkg, credits, expires.Int64)
		if err != nil {
			return StarPayment{}, err
		}
	}
	bal, err := tx.balance(ctx, user, Credits.Symbol)
	if err != nil {
		return StarPayment{}, err
	}
	ev := StarPaidEvent{ChargeID: n.ChargeID, Package: pkg, Stars: n.Amount.Units(), Credits: credits.Units(), Balance: bal.Units(), Renewal: renewal}
	if expires.Valid {
		ev.ExpiresAt = n.ExpiresAt.Unix()
	}
	if err := tx.emit(ctx, TopicBot, EventStarsPaid, n.UserID, 0, ev); err != nil {
		return StarPayment{}, err
	}
	tx.changed(Change{Kind: ChangePurchase, UserID: n.UserID, ID: n.ChargeID})
	return tx.starPayment(ctx, n.ChargeID)
}

// renewStarSubscription records a subscription payment: a new subscription
// (or one that lapsed and was taken again) names its first charge; a renewal
// moves the end of the paid period. It reports whether it was a renewal.
func (tx *Tx) renewStarSubscription(ctx context.Context, n NewStarPayment, pkg string, credits Amount, expires int64) (bool, error) {
	now := ms(tx.now)
	var charge string
	var oldExpires int64
	err := tx.QueryRowContext(ctx, `SELECT charge_id, expires_at FROM star_subscriptions WHERE user_id = ? AND package = ?`,
		n.UserID, pkg).Scan(&charge, &oldExpires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO star_subscriptions(user_id, package, charge_id, last_charge, amount, credits, expires_at,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.UserID, pkg, n.ChargeID, n.ChargeID, int64(n.Amount), int64(credits),
			expires, now, now)
		return false, err
	case err != nil:
		return false, err
	}
	if n.FirstRecurring {
		// Subscribed again: a new subscription with its own first charge.
		_, err = tx.ExecContext(ctx, `UPDATE star_subscriptions SET charge_id = ?, last_charge = ?, amount = ?, credits = ?, expires_at = ?,
			canceled = 0, payment_failed = 0, payments = 1, updated_at = ? WHERE user_id = ? AND package = ?`, n.ChargeID, n.ChargeID, int64(n.Amount),
			int64(credits), expires, now, n.UserID, pkg)
		return false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE star_subscriptions SET last_charge = ?, expires_at = CASE WHEN expires_at >= ? THEN expires_at ELSE ? END,
		payments = payments + 1, payment_failed = 0, updated_at = ? WHERE user_id = ? AND package = ?`, n.ChargeID, expires, expires, now, n.UserID, pkg)
	return true, err
}

// ensureAsset records an off-chain asset on first use; one recorded with
// other decimals is a conflict.
func (tx *Tx) ensureAsset(ctx context.Context, a Asset) error {
	var dec int
	err := tx.QueryRowContext(ctx, `SELECT decimals FROM assets WHERE symbol = ?`, a.Symbol).Scan(&dec)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, `INSERT INTO assets(symbol, decimals) VALUES (?, ?)`, a.Symbol, a.Decimals)
		return err
	}
	if err != nil {
		return err
	}
	if dec != a.Decimals {
		return fmt.Errorf("%w: asset %s has %d decimals in the database, want %d", ErrConflict, a.Symbol, dec, a.Decimals)
	}
	return nil
}

// StarSubscription is a user's monthly package.
type StarSubscription struct {
	UserID     int64
	Package    string
	ChargeID   string // the first payment's: names the subscription to Telegram
	LastCharge string
	Amount     Amount // Stars per period
	Credits    Amount // per period
	ExpiresAt  time.Time
	Canceled   bool
	// PaymentFailed: Telegram could not charge the renewal (a
	// subscription update said so); cleared by a paid renewal or a restore.
	PaymentFailed bool
	Payments      int
	UpdatedAt     time.Time
}

// Active reports whether the paid period has not ended at now (Status
// says more).
func (s StarSubscription) Active(now time.Time) bool { return now.Before(s.ExpiresAt) }

const subCols = `user_id, package, charge_id, last_charge, amount, credits, expires_at, canceled, payment_failed, payments, updated_at`

func scanSubscription(row interface{ Scan(...any) error }) (StarSubscription, error) {
	var s StarSubscription
	var amount, credits, expires, updated int64
	err := row.Scan(&s.UserID, &s.Package, &s.ChargeID, &s.LastCharge, &amount, &credits, &expires, &s.Canceled, &s.PaymentFailed, &s.Payments, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return StarSubscription{}, ErrNotFound
	}
	s.Amount, s.Credits, s.ExpiresAt, s.UpdatedAt = Amount(amount), Amount(credits), fromMS(expires), fromMS(updated)
	return s, err
}

// StarSubscriptions lists a user's subscriptions, by package.
func (db *DB) StarSubscriptions(ctx context.Context, userID int64) ([]StarSubscription, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+subCols+` FROM star_subscriptions WHERE user_id = ? ORDER BY package`, userID)
	return scanRows(rows, err, scanSubscription)
}

// StarSubscription returns a user's subscription to a package.
func (db *DB) StarSubscription(ctx context.Context, userID int64, pkg string) (StarSubscription, error) {
	return scanSubscription(db.r.QueryRowContext(ctx, `SELECT `+subCols+` FROM star_subscriptions WHERE user_id = ? AND package = ?`, userID, pkg))
}

// SetStarSubscriptionCanceled records that a subscription was canceled (it
// is not renewed; the paid period still runs to its end) or re-enabled.
func (db *DB) SetStarSubscriptionCanceled(ctx context.Context, userID int64, pkg string, canceled bool) error {
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.execOne(ctx, `UPDATE star_subscriptions SET canceled = ?, updated_at = ? WHERE user_id = ? AND package = ?`,
			canceled, ms(tx.now), userID, pkg); err != nil {
			return err
		}
		tx.changed(Change{Kind: ChangeSubscription, UserID: userID, ID: pkg})
		return nil
	})
}

// FlagMissingStarPayments compares the booked payments with Telegram's
// transaction list: listed holds every charge id Telegram lists as paid.
// A paid payment booked before the cutoff that is not listed is flagged (once:
// a EventStarsMissing event for admins); one listed again is unflagged. It
// returns the newly flagged payments.
func (db *DB) FlagMissingStarPayments(ctx context.Context, listed map[string]bool, cutoff time.Time) ([]StarPayment, error) {
	var flagged []StarPayment
	err := db.write(ctx, func(tx *Tx) error {
		flagged = flagged[:0] // a retried write starts again
		rows, err := tx.QueryContext(ctx, `SELECT `+starCols+` FROM star_payments WHERE status = ? AND created_at < ?`, StarPaid, ms(cutoff))
		ps, err := scanRows(rows, err, scanStarPayment)
		if err != nil {
			return err
		}
		for _, p := range ps {
			switch {
			case listed[p.ChargeID] && !p.MissingAt.IsZero():
				if _, err := tx.ExecContext(ctx, `UPDATE star_payments SET missing_at = NULL WHERE charge_id = ?`, p.ChargeID); err != nil {
					return err
				}
			case !listed[p.ChargeID] && p.MissingAt.IsZero():
				if _, err := tx.ExecContext(ctx, `UPDATE star_payments SET missing_at = ? WHERE charge_id = ?`, ms(tx.now), p.ChargeID); err != nil {
					return err
				}
				if err := tx.emit(ctx, TopicBot, EventStarsMissing, 0, 0, StarMissingEvent{ChargeID: p.ChargeID, UserID: p.UserID,
					Stars: p.Amount.Units(), Package: p.Package}); err != nil {
					return err
				}
				p.MissingAt = tx.now
				flagged = append(flagged, p)
			}
		}
		return nil
	})
	return flagged, err
}

// starsUser writes a user id as payloads carry it.
func starsUser(id int64) string { return strconv.FormatInt(id, 10) }
