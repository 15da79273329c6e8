package store

// Unmatched deposits: money chain events left on the unmatched account,
// listed for admins and resolved by hand (assigned to its owner, or
// refunded from outside the hot wallet).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AccountRefunded holds unmatched deposits an admin refunded by hand from
// outside the hot wallet: their coins stay in the hot wallet and are the
// operator's from then on.
const AccountRefunded = "refunded:unmatched"

// UnmatchedKinds are the kinds of chain events that can leave money on the
// unmatched account: a deposit nobody claimed (unmatched, dust), the value
// of a transaction that failed without bouncing it (aborted), the coin sent
// with a jetton notification from a contract that is not our jetton wallet
// (fake_jetton). An aborted event that only took back what we had sent
// leaves nothing there and is not listed.
var UnmatchedKinds = []string{KindUnmatched, KindDust, KindAborted, KindFakeJetton}

// unmatchedHeld is what a chain event put on the unmatched account: the
// entries of its booked transfer there. unmatchedWhere selects the events
// that put something there.
const (
	unmatchedHeld = `(SELECT coalesce(sum(en.amount), 0) FROM entries en WHERE en.transfer_id = e.transfer_id
		AND en.account_id = (SELECT id FROM accounts WHERE name = '` + AccountUnmatched + `'))`
	unmatchedWhere = `e.kind IN ('` + KindUnmatched + `', '` + KindDust + `', '` + KindAborted + `', '` + KindFakeJetton + `')
		AND e.transfer_id IS NOT NULL AND ` + unmatchedHeld + ` > 0`
)

// Unmatched is money a chain event left on the unmatched account (an
// unmatched or dust deposit, an aborted transaction's value, a fake
// jetton's coin) and how it was resolved. Event.Amount is what it left
// there.
type Unmatched struct {
	Event      ChainEvent
	Resolution *Resolution // nil while it waits on the unmatched account
}

// Resolution kinds.
const (
	ResolutionAssigned = "assigned"
	ResolutionRefunded = "refunded"
)

// Resolution is what an admin did with an unmatched deposit.
type Resolution struct {
	Kind       string
	UserID     int64
	MerchantID int64
	RefundTx   string
	TransferID int64
	AdminID    int64
	CreatedAt  time.Time
}

const unmatchedCols = `e.id, e.account, e.lt, e.hash, e.utime, e.kind, coalesce(e.asset, ''), ` + unmatchedHeld + `, e.sender, e.comment, e.note,
	r.kind, coalesce(r.user_id, 0), coalesce(r.merchant_id, 0), coalesce(r.refund_tx, ''), coalesce(r.transfer_id, 0),
	coalesce(r.admin_id, 0), coalesce(r.created_at, 0)`

func scanUnmatched(row interface{ Scan(...any) error }) (Unmatched, error) {
	var u Unmatched
	var e = &u.Event
	var lt, utime, amount int64
	var kind sql.NullString
	var r Resolution
	var at int64
	err := row.Scan(&e.ID, &e.Account, &lt, &e.Hash, &utime, &e.Kind, &e.Asset, &amount, &e.Sender, &e.Comment, &e.Note,
		&kind, &r.UserID, &r.MerchantID, &r.RefundTx, &r.TransferID, &r.AdminID, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Unmatched{}, ErrNotFound
	}
	e.LT, e.Time, e.Amount = uint64(lt), fromMS(utime), Amount(amount)
	if kind.Valid {
		r.Kind, r.CreatedAt = kind.String, fromMS(at)
		u.Resolution = &r
	}
	return u, err
}

// UnmatchedDeposits lists the money chain events left on the unmatched
// account (every kind of UnmatchedKinds): what nobody resolved yet (dust
// last, each newest first: a flood of dust does not push a real deposit
// out of the list), then what was resolved since (newest first).
func (db *DB) UnmatchedDeposits(ctx context.Context, resolvedSince time.Time, limit int) ([]Unmatched, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+unmatchedCols+` FROM chain_events e
		LEFT JOIN unmatched_resolutions r ON r.event_id = e.id
		WHERE `+unmatchedWhere+` AND (r.event_id IS NULL OR r.created_at >= ?)
		ORDER BY r.event_id IS NOT NULL, e.kind = 'dust', CASE WHEN r.event_id IS NULL THEN -e.id ELSE -r.created_at END LIMIT ?`,
		ms(resolvedSince), limit)
	return scanRows(rows, err, scanUnmatched)
}

// UnmatchedPage lists every chain event that left money on the unmatched
// account, resolved or not, newest first, before the event id before (0:
// from the newest): the bot's /unmatched.
func (db *DB) UnmatchedPage(ctx context.Context, before int64, limit int) ([]Unmatched, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+unmatchedCols+` FROM chain_events e
		LEFT JOIN unmatched_resolutions r ON r.event_id = e.id
		WHERE `+unmatchedWhere+` AND (? = 0 OR e.id < ?) ORDER BY e.id DESC LIMIT ?`, before, before, limit)
	return scanRows(rows, err, scanUnmatched)
}

// UnmatchedDeposit returns one chain event that left money on the
// unmatched account.
func (db *DB) UnmatchedDeposit(ctx context.Context, eventID int64) (Unmatched, error) {
	return scanUnmatched(db.r.QueryRowContext(ctx, `SELECT `+unmatchedCols+` FROM chain_events e
		LEFT JOIN unmatched_resolutions r ON r.event_id = e.id WHERE e.id = ? AND `+unmatchedWhere, eventID))
}

// AssignUnmatched credits an unmatched deposit to a user or a merchant (one
// of userID, merchantID): exactly its amount moves from the unmatched
// account in one transaction with the record of who did it. Assigning it
// again to the same owner changes nothing and returns the first result; any
// other resolution of a resolved deposit is ErrConflict. A user is told as
// for a deposit.
func (db *DB) AssignUnmatched(ctx context.Context, by Actor, eventID, userID, merchantID int64) (Unmatched, error) {
	if (userID == 0) == (merchantID == 0) {
		return Unmatched{}, fmt.Errorf("%w: assign to a user or to a merchant", ErrInvalid)
	}
	to, who := UserAccount(userID), "user "+strconv.FormatInt(userID, 10)
	if merchantID != 0 {
		to, who = MerchantAccount(merchantID), "merchant "+strconv.FormatInt(merchantID, 10)
	}
	return db.resolve(ctx, by, eventID, Resolution{Kind: ResolutionAssigned, UserID: userID, MerchantID: merchantID}, to, who,
		func(tx *Tx, u Unmatched) error {
			var one int
			if userID != 0 {
				err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, userID).Scan(&one)
				return notFound(err)
			}
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM merchants WHERE id = ?`, merchantID).Scan(&one)
			return notFound(err)
		})
}

// RefundUnmatched records that an admin returned an unmatched deposit by
// hand, in the transaction txHash (64 hex digits) sent from outside the hot
// wallet: its amount moves from the unmatched account to AccountRefunded.
// (A refund sent from the hot wallet itself with its seed is not this: the
// follower books it as a foreign outflow and holds payouts.) The hash is
// the admin's word; one refund may cover several deposits.
// Idempotent like AssignUnmatched.
func (db *DB) RefundUnmatched(ctx context.Context, by Actor, eventID int64, txHash string) (Unmatched, error) {
	txHash = strings.ToLower(strings.TrimSpace(txHash))
	if !isHex(txHash, 64) {
		return Unmatched{}, fmt.Errorf("%w: the refund's transaction hash is 64 hex digits", ErrInvalid)
	}
	return db.resolve(ctx, by, eventID, Resolution{Kind: ResolutionRefunded, RefundTx: txHash}, AccountRefunded, "refunded in "+txHash,
		func(tx *Tx, u Unmatched) error {
			if strings.EqualFold(u.Event.Hash, txHash) {
				return fmt.Errorf("%w: that is the deposit's own transaction; give the refund's", ErrInvalid)
			}
			return nil
		})
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (db *DB) resolve(ctx context.Context, by Actor, eventID int64, r Resolution, to, who string, check func(*Tx, Unmatched) error) (Unmatched, error) {
	var out Unmatched
	err := db.write(ctx, func(tx *Tx) error {
		u, err := scanUnmatched(tx.QueryRowContext(ctx, `SELECT `+unmatchedCols+` FROM chain_events e
			LEFT JOIN unmatched_resolutions r ON r.event_id = e.id WHERE e.id = ? AND `+unmatchedWhere, eventID))
		if err != nil {
			return err
		}
		if p := u.Resolution; p != nil {
			if p.Kind == r.Kind && p.UserID == r.UserID && p.MerchantID == r.MerchantID && p.RefundTx == r.RefundTx {
				out = u // a replay: nothing moves
				return nil
			}
			return fmt.Errorf("%w: this deposit was already %s", ErrConflict, p.Kind)
		}
		if u.Event.Amount <= 0 || u.Event.Asset == "" {
			return fmt.Errorf("%w: chain event %d carries no amount", ErrInvalid, eventID)
		}
		if check != nil {
			if err := check(tx, u); err != nil {
				return err
			}
		}
		// The deposit's amount is on the unmatched account unless the books
		// were changed by hand: never take it below zero.
		held, err := tx.balance(ctx, AccountUnmatched, u.Event.Asset)
		if err != nil {
			return err
		}
		if held < u.Event.Amount {
			return fmt.Errorf("%w: the unmatched account holds %s %s (smallest units), less than this deposit", ErrConflict,
				held.Units(), u.Event.Asset)
		}
		kind := TransferUnmatchedAssigned
		if r.Kind == ResolutionRefunded {
			kind = TransferUnmatchedRefunded
		}
		transfer, err := tx.book(ctx, UnmatchedKey(eventID), kind, "unmatched deposit "+r.Kind+" by an administrator",
			strconv.FormatInt(eventID, 10), move(AccountUnmatched, to, u.Event.Asset, u.Event.Amount))
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO unmatched_resolutions(event_id, kind, user_id, merchant_id, refund_tx, transfer_id, admin_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, eventID, r.Kind, nullInt(r.UserID), nullInt(r.MerchantID), r.RefundTx, transfer, by.ID, ms(tx.now)); err != nil {
			return err
		}
		amount := u.Event.Amount.Units() + " " + u.Event.Asset + " (smallest units)"
		action := AuditAssign
		if r.Kind == ResolutionRefunded {
			action = AuditRefund
		}
		if err := tx.audit(ctx, by, r.MerchantID, action, "deposit "+u.Event.Hash, "unmatched: "+amount, who); err != nil {
			return err
		}
		if r.UserID != 0 {
			bal, err := tx.balance(ctx, to, u.Event.Asset)
			if err != nil {
				return err
			}
			if err := tx.emit(ctx, TopicBot, EventDepositCredited, r.UserID, 0, DepositEvent{UserID: r.UserID, Asset: u.Event.Asset,
				Amount: u.Event.Amount.Units(), Balance: bal.Units(), TxHash: u.Event.Hash, EventID: eventID}); err != nil {
				return err
			}
		}
		tx.changed(Change{Kind: ChangeBalance, UserID: r.UserID, MerchantID: r.MerchantID})
		r.TransferID, r.AdminID, r.CreatedAt = transfer, by.ID, tx.now
		u.Resolution = &r
		out = u
		return nil
	})
	return out, err
}
