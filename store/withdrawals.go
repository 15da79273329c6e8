package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Withdrawal states (ARCHITECTURE.md).
const (
	WithdrawalRequested        = "requested"
	WithdrawalAwaitingApproval = "awaiting_approval"
	WithdrawalQueued           = "queued"
	WithdrawalSent             = "sent"
	WithdrawalConfirmed        = "confirmed"
	WithdrawalFailed           = "failed"
	WithdrawalRefunded         = "refunded"
	WithdrawalRejected         = "rejected"
)

// Withdrawal is a payout from a user's or merchant's balance to an address.
type Withdrawal struct {
	ID          int64
	Account     string
	UserID      int64
	MerchantID  int64
	IdemKey     string
	Asset       string
	Amount      Amount
	Fee         Amount
	FeeAsset    string
	Destination string // user-friendly form, as it will be sent
	Comment     string
	Status      string
	BatchID     int64
	TxHash      string
	Error       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// JettonDest is the destination's jetton wallet a jetton payout was sent
	// to, and LeftAt the chain time its jettons left our jetton wallet (zero
	// until then): delivered once that wallet's excesses arrive.
	JettonDest string
	LeftAt     int64
}

// NewWithdrawal is a withdrawal request.
type NewWithdrawal struct {
	UserID        int64
	MerchantID    int64
	IdemKey       string
	Asset         string
	Amount        Amount
	Fee           Amount
	FeeAsset      string
	Destination   string
	Comment       string
	NeedsApproval bool
	By            *Actor // audited when set (an owner's payout from the dashboard)

	// Limits, checked in the transaction that debits the balance, so that
	// concurrent requests cannot both slip under one (the store has one
	// writer). Zero: no limit.
	//
	// ApprovalAbove: when the account's withdrawals of Asset in the last
	// WithdrawalWindow, this one included, total more, it waits for an
	// admin (splitting a withdrawal does not avoid approval).
	ApprovalAbove Amount
	// DailyCap: when that total would be more, the request is refused
	// (daily_limit).
	DailyCap Amount
	// MaxOpen: the account may have this many withdrawals not yet sent
	// (requested, awaiting approval or queued); one more is refused
	// (too_many_withdrawals).
	MaxOpen int
}

// WithdrawalWindow is the rolling period of the withdrawal total that
// approval and the daily cap judge.
const WithdrawalWindow = 24 * time.Hour

// WithdrawalLoad is what an account has withdrawn lately: the total of an
// asset requested in the last WithdrawalWindow (rejected and refunded ones
// not counted) and how many of its withdrawals are not yet sent.
type WithdrawalLoad struct {
	Total Amount
	Open  int
}

func withdrawalLoad(ctx context.Context, q rowQuerier, account, asset string, now time.Time) (WithdrawalLoad, error) {
	var l WithdrawalLoad
	var total sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT sum(amount) FROM withdrawals WHERE account = ? AND asset = ? AND created_at > ? AND status NOT IN ('rejected', 'refunded')),
		(SELECT count(*) FROM withdrawals WHERE account = ? AND status IN ('requested', 'awaiting_approval', 'queued'))`,
		account, asset, ms(now.Add(-WithdrawalWindow)), account).Scan(&total, &l.Open)
	l.Total = Amount(total.Int64)
	return l, err
}

// WithdrawalLoad reads an account's withdrawal total of asset in the last
// WithdrawalWindow and its withdrawals not yet sent (what a quote shows;
// RequestWithdrawal decides again in its transaction).
func (db *DB) WithdrawalLoad(ctx context.Context, account, asset string) (WithdrawalLoad, error) {
	return withdrawalLoad(ctx, db.r, account, asset, db.now())
}

// WithdrawalEvent is the payload of withdrawal.* outbox events.
type WithdrawalEvent struct {
	WithdrawalID int64  `json:"withdrawal_id"`
	UserID       int64  `json:"user_id,omitempty"`
	MerchantID   int64  `json:"merchant_id,omitempty"`
	Status       string `json:"status"`
	Asset        string `json:"asset"`
	Amount       string `json:"amount"`
	Fee          string `json:"fee"`
	FeeAsset     string `json:"fee_asset"`
	Destination  string `json:"destination"`
	TxHash       string `json:"tx_hash,omitempty"`
	Error        string `json:"error,omitempty"`
}

const withdrawalCols = `id, account, coalesce(user_id, 0), coalesce(merchant_id, 0), idem_key, asset, amount, fee, fee_asset,
	destination, comment, status, coalesce(batch_id, 0), tx_hash, error, created_at, updated_at, jetton_dest, coalesce(left_at, 0)`

func scanWithdrawal(row interface{ Scan(...any) error }) (Withdrawal, error) {
	var w Withdrawal
	var created, updated int64
	err := row.Scan(&w.ID, &w.Account, &w.UserID, &w.MerchantID, &w.IdemKey, &w.Asset, &w.Amount, &w.Fee, &w.FeeAsset,
		&w.Destination, &w.Comment, &w.Status, &w.BatchID, &w.TxHash, &w.Error, &created, &updated, &w.JettonDest, &w.LeftAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Withdrawal{}, ErrNotFound
	}
	w.CreatedAt, w.UpdatedAt = fromMS(created), fromMS(updated)
	return w, err
}

func (w Withdrawal) event() WithdrawalEvent {
	return WithdrawalEvent{WithdrawalID: w.ID, UserID: w.UserID, MerchantID: w.MerchantID, Status: w.Status, Asset: w.Asset,
		Amount: w.Amount.Units(), Fee: w.Fee.Units(), FeeAsset: w.FeeAsset, Destination: w.Destination, TxHash: w.TxHash, Error: w.Error}
}

// RequestWithdrawal debits amount and fee into the withdrawal hold and
// creates the withdrawal, in one transaction. The idempotency key is unique
// per account: a replay returns the first withdrawal with created false; a
// replay with different terms is ErrConflict. A balance that cannot cover
// amount and fee is ErrInsufficientFunds and changes nothing.
func (db *DB) RequestWithdrawal(ctx context.Context, n NewWithdrawal) (w Withdrawal, created bool, err error) {
	if (n.UserID == 0) == (n.MerchantID == 0) {
		return Withdrawal{}, false, fmt.Errorf("%w: a withdrawal belongs to a user or a merchant", ErrInvalid)
	}
	if n.IdemKey == "" || len(n.IdemKey) > 128 {
		return Withdrawal{}, false, fmt.Errorf("%w: idempotency key must be 1-128 characters", ErrInvalid)
	}
	if n.Amount <= 0 || n.Fee < 0 || n.Destination == "" {
		return Withdrawal{}, false, fmt.Errorf("%w: amount must be positive and a destination given", ErrInvalid)
	}
	if n.FeeAsset == "" {
		n.FeeAsset = n.Asset
	}
	account := UserAccount(n.UserID)
	if n.MerchantID != 0 {
		account = MerchantAccount(n.MerchantID)
	}
	var id int64
	err = db.write(ctx, func(tx *Tx) error {
		prev, err := scanWithdrawal(tx.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE account = ? AND idem_key = ?`, account, n.IdemKey))
		if err == nil {
			if prev.Asset != n.Asset || prev.Amount != n.Amount || prev.Destination != n.Destination {
				return fmt.Errorf("%w: idempotency key %q was used for another withdrawal", ErrConflict, n.IdemKey)
			}
			w = prev
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		if n.UserID != 0 {
			var blocked bool
			if err := tx.QueryRowContext(ctx, `SELECT blocked_at IS NOT NULL FROM users WHERE id = ?`, n.UserID).Scan(&blocked); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if blocked {
				return ErrBlocked
			}
		}
		for _, a := range []string{n.Asset, n.FeeAsset} {
			if _, err := tx.asset(ctx, a); err != nil {
				return err
			}
		}
		if n.ApprovalAbove > 0 || n.DailyCap > 0 || n.MaxOpen > 0 {
			load, err := withdrawalLoad(ctx, tx, account, n.Asset, tx.now)
			if err != nil {
				return err
			}
			if r := load.refusal(n); r != nil {
				return r
			}
			if n.ApprovalAbove > 0 && load.Total+n.Amount > n.ApprovalAbove {
				n.NeedsApproval = true
			}
		}
		status := WithdrawalQueued
		if n.NeedsApproval {
			status = WithdrawalAwaitingApproval
		}
		now := ms(tx.now)
		err = tx.QueryRowContext(ctx, `INSERT INTO withdrawals(account, user_id, merchant_id, idem_key, asset, amount, fee, fee_asset,
			destination, comment, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			account, nullInt(n.UserID), nullInt(n.MerchantID), n.IdemKey, n.Asset, int64(n.Amount), int64(n.Fee), n.FeeAsset,
			n.Destination, n.Comment, status, now, now).Scan(&id)
		if err != nil {
			return err
		}
		legs := move(account, AccountHold, n.Asset, n.Amount)
		if n.Fee > 0 {
			legs = legs.Plus(move(account, AccountHold, n.FeeAsset, n.Fee))
		}
		if _, err := tx.book(ctx, WithdrawalKey(id), TransferWithdrawal, "withdrawal to "+n.Destination, strconv.FormatInt(id, 10), legs); err != nil {
			return err
		}
		created = true
		w, err = scanWithdrawal(tx.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ?`, id))
		if err != nil {
			return err
		}
		if n.By != nil {
			if err := tx.audit(ctx, *n.By, n.MerchantID, AuditPayout, "payout #"+strconv.FormatInt(id, 10), "",
				fmt.Sprintf("%s %s (smallest units) to %s, %s", n.Amount.Units(), n.Asset, n.Destination, w.Status)); err != nil {
				return err
			}
		}
		if n.NeedsApproval {
			// Admins are told; user_id 0 addresses them.
			if err := tx.emit(ctx, TopicBot, EventWithdrawalAwaiting, 0, 0, w.event()); err != nil {
				return err
			}
		}
		tx.changed(Change{Kind: ChangeWithdrawal, UserID: n.UserID, MerchantID: n.MerchantID, ID: strconv.FormatInt(id, 10)})
		return nil
	})
	if err != nil {
		return Withdrawal{}, false, err
	}
	return w, created, nil
}

// refusal says which limit of n the load leaves no room for, if one.
func (l WithdrawalLoad) refusal(n NewWithdrawal) *Refusal {
	if n.MaxOpen > 0 && l.Open >= n.MaxOpen {
		r := refuse(RefuseTooManyWithdrawals, n.Asset, "%d withdrawals are still waiting to be sent, the most there may be: wait until one is sent", l.Open)
		r.Count, r.MaxCount = l.Open, n.MaxOpen
		return r
	}
	if n.DailyCap > 0 && (l.Total+n.Amount > n.DailyCap || l.Total+n.Amount < 0) {
		r := refuse(RefuseDailyLimit, n.Asset, "withdrawals of %s are limited to %s (smallest units) in 24 hours; %s were withdrawn in the last 24 hours",
			n.Asset, n.DailyCap.Units(), l.Total.Units())
		r.Limit, r.Have, r.Need = n.DailyCap, l.Total, n.Amount
		return r
	}
	return nil
}

// Withdrawal returns one withdrawal.
func (db *DB) Withdrawal(ctx context.Context, id int64) (Withdrawal, error) {
	return scanWithdrawal(db.r.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ?`, id))
}

// UserWithdrawal returns a withdrawal only if it is the user's.
func (db *DB) UserWithdrawal(ctx context.Context, userID, id int64) (Withdrawal, error) {
	return scanWithdrawal(db.r.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ? AND user_id = ?`, id, userID))
}

// Withdrawals lists withdrawals in a status, oldest first.
func (db *DB) Withdrawals(ctx context.Context, status string, limit int) ([]Withdrawal, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE status = ? ORDER BY id LIMIT ?`, status, limit)
	return scanRows(rows, err, scanWithdrawal)
}

// UserWithdrawals lists a user's withdrawals, newest first.
func (db *DB) UserWithdrawals(ctx context.Context, userID int64, limit int) ([]Withdrawal, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE user_id = ? ORDER BY id DESC LIMIT ?`, userID, limit)
	return scanRows(rows, err, scanWithdrawal)
}

// ApproveWithdrawal queues a withdrawal that was waiting for an admin and
// tells its user (withdrawal.queued). Anything but awaiting_approval is
// ErrConflict; a blocked user's is ErrBlocked.
func (db *DB) ApproveWithdrawal(ctx context.Context, by Actor, id int64) (Withdrawal, error) {
	var w Withdrawal
	err := db.write(ctx, func(tx *Tx) error {
		// A user an admin blocked is not paid on another admin's approval:
		// unblock them first, or reject.
		var blocked bool
		err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT u.blocked_at IS NOT NULL FROM users u WHERE u.id = w.user_id), false)
			FROM withdrawals w WHERE w.id = ?`, id).Scan(&blocked)
		if err != nil {
			return notFound(err)
		}
		if blocked {
			return fmt.Errorf("%w: the user of withdrawal %d is blocked; unblock them first, or reject it", ErrBlocked, id)
		}
		if w, err = tx.moveWithdrawal(ctx, id, WithdrawalAwaitingApproval, WithdrawalQueued, ""); err != nil {
			return err
		}
		if err := tx.audit(ctx, by, w.MerchantID, AuditApprove, "withdrawal #"+strconv.FormatInt(id, 10),
			WithdrawalAwaitingApproval, WithdrawalQueued); err != nil {
			return err
		}
		return tx.WithdrawalEvent(ctx, w) // the user hears of the approval, from any face
	})
	return w, err
}

// RejectWithdrawal refuses a withdrawal waiting for approval and returns the
// money (amount and fee) to its account.
func (db *DB) RejectWithdrawal(ctx context.Context, by Actor, id int64, reason string) (Withdrawal, error) {
	var w Withdrawal
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		if w, err = tx.moveWithdrawal(ctx, id, WithdrawalAwaitingApproval, WithdrawalRejected, reason); err != nil {
			return err
		}
		if err := tx.audit(ctx, by, w.MerchantID, AuditReject, "withdrawal #"+strconv.FormatInt(id, 10),
			WithdrawalAwaitingApproval, WithdrawalRejected+": "+reason); err != nil {
			return err
		}
		if err := tx.refundWithdrawal(ctx, w); err != nil {
			return err
		}
		return tx.WithdrawalEvent(ctx, w)
	})
	return w, err
}

// WithdrawalEvent announces a withdrawal's current status: to the user
// through the bot ("withdrawal.<status>"), or to a merchant by webhook
// ("payout.<status>"; merchants hear of confirmed, failed and rejected ones).
func (tx *Tx) WithdrawalEvent(ctx context.Context, w Withdrawal) error {
	if w.MerchantID != 0 {
		switch w.Status {
		case WithdrawalConfirmed, WithdrawalFailed, WithdrawalRejected:
			return tx.emit(ctx, TopicWebhook, PayoutEventType(w.Status), 0, w.MerchantID, w.event())
		}
		return nil
	}
	return tx.emit(ctx, TopicBot, WithdrawalEventType(w.Status), w.UserID, 0, w.event())
}

// moveWithdrawal changes a withdrawal's status if it is in from.
func (tx *Tx) moveWithdrawal(ctx context.Context, id int64, from, to, reason string) (Withdrawal, error) {
	res, err := tx.ExecContext(ctx, `UPDATE withdrawals SET status = ?, error = CASE WHEN ? <> '' THEN ? ELSE error END, updated_at = ?
		WHERE id = ? AND status = ?`, to, reason, reason, ms(tx.now), id, from)
	if err != nil {
		return Withdrawal{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		w, err := scanWithdrawal(tx.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ?`, id))
		if err != nil {
			return Withdrawal{}, err
		}
		return Withdrawal{}, fmt.Errorf("%w: withdrawal %d is %s, not %s", ErrConflict, id, w.Status, from)
	}
	w, err := scanWithdrawal(tx.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ?`, id))
	if err != nil {
		return Withdrawal{}, err
	}
	tx.changed(Change{Kind: ChangeWithdrawal, UserID: w.UserID, MerchantID: w.MerchantID, ID: strconv.FormatInt(id, 10)})
	return w, nil
}

// refundWithdrawal reverses the hold of a withdrawal that will not be paid.
func (tx *Tx) refundWithdrawal(ctx context.Context, w Withdrawal) error {
	legs := move(AccountHold, w.Account, w.Asset, w.Amount)
	if w.Fee > 0 {
		legs = legs.Plus(move(AccountHold, w.Account, w.FeeAsset, w.Fee))
	}
	_, err := tx.book(ctx, RefundKey(w.ID), TransferRefund, "withdrawal "+w.Status, strconv.FormatInt(w.ID, 10), legs)
	return err
}

// RecentWithdrawals lists withdrawals newest first (any status).
func (db *DB) RecentWithdrawals(ctx context.Context, limit int) ([]Withdrawal, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals ORDER BY id DESC LIMIT ?`, limit)
	return scanRows(rows, err, scanWithdrawal)
}
