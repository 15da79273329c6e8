package store

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

// Totals are the admin overview's figures of one asset.
type Totals struct {
	Asset          string
	Users          Amount // sum of user balances
	Merchants      Amount // sum of merchant balances
	Fees           Amount
	Hot            Amount // what the ledger says the hot wallet holds
	Unmatched      Amount // on the unmatched account
	UnmatchedCount int    // unmatched and dust deposits nobody resolved yet
	Awaiting       Amount // withdrawals awaiting approval (amounts)
	AwaitingCount  int
}

// Overview totals every asset the ledger knows, keyed by symbol.
func (db *DB) Overview(ctx context.Context) (map[string]*Totals, error) {
	out := map[string]*Totals{}
	get := func(a string) *Totals {
		if out[a] == nil {
			out[a] = &Totals{Asset: a}
		}
		return out[a]
	}
	rows, err := db.r.QueryContext(ctx, `SELECT b.asset,
		coalesce(sum(b.balance) FILTER (WHERE a.name LIKE 'user:%'), 0),
		coalesce(sum(b.balance) FILTER (WHERE a.name LIKE 'merchant:%'), 0),
		coalesce(sum(b.balance) FILTER (WHERE a.name = ?), 0),
		coalesce(-sum(b.balance) FILTER (WHERE a.name = ?), 0),
		coalesce(sum(b.balance) FILTER (WHERE a.name = ?), 0)
		FROM balances b JOIN accounts a ON a.id = b.account_id GROUP BY b.asset`, AccountFees, AccountHot, AccountUnmatched)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var asset string
		var users, merchants, fees, hot, unmatched int64
		if err := rows.Scan(&asset, &users, &merchants, &fees, &hot, &unmatched); err != nil {
			rows.Close()
			return nil, err
		}
		t := get(asset)
		t.Users, t.Merchants, t.Fees, t.Hot, t.Unmatched = Amount(users), Amount(merchants), Amount(fees), Amount(hot), Amount(unmatched)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.r.QueryContext(ctx, `SELECT coalesce(e.asset, ''), count(*) FROM chain_events e
		LEFT JOIN unmatched_resolutions r ON r.event_id = e.id
		WHERE `+unmatchedWhere+` AND r.event_id IS NULL GROUP BY 1`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var asset string
		var n int
		if err := rows.Scan(&asset, &n); err != nil {
			rows.Close()
			return nil, err
		}
		get(asset).UnmatchedCount = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.r.QueryContext(ctx, `SELECT asset, count(*), sum(amount) FROM withdrawals WHERE status = ? GROUP BY asset`,
		WithdrawalAwaitingApproval)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var asset string
		var n int
		var sum int64
		if err := rows.Scan(&asset, &n, &sum); err != nil {
			return nil, err
		}
		t := get(asset)
		t.AwaitingCount, t.Awaiting = n, Amount(sum)
	}
	return out, rows.Err()
}

// DayFlow is one day's (UTC) deposits — every transfer in, by its block's
// time: credited, unmatched or dust — and confirmed withdrawals, per asset.
type DayFlow struct {
	Day         time.Time
	Deposits    map[string]Amount
	Withdrawals map[string]Amount
}

// DailyFlows returns the last days days (UTC, oldest first, today last),
// every day present.
func (db *DB) DailyFlows(ctx context.Context, days int) ([]DayFlow, error) {
	now := db.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(days - 1))
	out := make([]DayFlow, days)
	for i := range out {
		out[i] = DayFlow{Day: first.AddDate(0, 0, i), Deposits: map[string]Amount{}, Withdrawals: map[string]Amount{}}
	}
	const day = int64(24 * time.Hour / time.Millisecond)
	add := func(q string, pick func(*DayFlow) map[string]Amount, args ...any) error {
		rows, err := db.r.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i int64
			var asset string
			var sum int64
			if err := rows.Scan(&i, &asset, &sum); err != nil {
				return err
			}
			if i >= 0 && i < int64(days) {
				pick(&out[i])[asset] += Amount(sum)
			}
		}
		return rows.Err()
	}
	start := ms(first)
	if err := add(`SELECT (utime - ?1) / ?2, coalesce(asset, ''), sum(amount) FROM chain_events
		WHERE kind IN (?3, ?4, ?5) AND utime >= ?1 GROUP BY 1, 2`, func(d *DayFlow) map[string]Amount { return d.Deposits },
		start, day, KindCredited, KindUnmatched, KindDust); err != nil {
		return nil, err
	}
	if err := add(`SELECT (updated_at - ?1) / ?2, asset, sum(amount) FROM withdrawals
		WHERE status = ?3 AND updated_at >= ?1 GROUP BY 1, 2`, func(d *DayFlow) map[string]Amount { return d.Withdrawals },
		start, day, WithdrawalConfirmed); err != nil {
		return nil, err
	}
	return out, nil
}

// RecentWithdrawals lists withdrawals newest first (any status).
func (db *DB) RecentWithdrawals(ctx context.Context, limit int) ([]Withdrawal, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals ORDER BY id DESC LIMIT ?`, limit)
	return scanRows(rows, err, scanWithdrawal)
}

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
			if err := tx.emit(ctx, TopicBot, "deposit.credited", r.UserID, 0, DepositEvent{UserID: r.UserID, Asset: u.Event.Asset,
				Amount: u.Event.Amount.Units(), Balance: bal.Units(), TxHash: u.Event.Hash, EventID: eventID}); err != nil {
				return err
			}
		}
		tx.changed(Change{Kind: "balance", UserID: r.UserID, MerchantID: r.MerchantID})
		r.TransferID, r.AdminID, r.CreatedAt = transfer, by.ID, tx.now
		u.Resolution = &r
		out = u
		return nil
	})
	return out, err
}

// UserRow is a user with what an admin sees of them.
type UserRow struct {
	User
	BlockedAt     time.Time // zero unless an admin blocked them
	BlockedReason string
}

const userRowCols = userCols + `, coalesce(blocked_at, 0), blocked_reason`

func scanUserRow(row interface{ Scan(...any) error }) (UserRow, error) {
	var u UserRow
	var blocked, created, blockedAt int64
	err := row.Scan(&u.ID, &u.Username, &u.FirstName, &u.LanguageCode, &u.Comment, &blocked, &created, &u.Blocked, &blockedAt, &u.BlockedReason)
	if errors.Is(err, sql.ErrNoRows) {
		return UserRow{}, ErrNotFound
	}
	u.BotBlocked, u.CreatedAt = blocked == 1, fromMS(created)
	if blockedAt != 0 {
		u.BlockedAt = fromMS(blockedAt)
	}
	return u, err
}

// UserRow returns one user with their block state.
func (db *DB) UserRow(ctx context.Context, id int64) (UserRow, error) {
	return scanUserRow(db.r.QueryRowContext(ctx, `SELECT `+userRowCols+` FROM users WHERE id = ?`, id))
}

// SearchUsers finds users by id, @username or name prefix (case-insensitive), at most limit.
func (db *DB) SearchUsers(ctx context.Context, q string, limit int) ([]UserRow, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	q = strings.TrimSpace(q)
	id, _ := strconv.ParseInt(q, 10, 64)
	name := strings.TrimPrefix(q, "@")
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(name) + "%"
	if name == "" {
		like = "%"
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+userRowCols+` FROM users
		WHERE id = ? OR username LIKE ? ESCAPE '\' OR first_name LIKE ? ESCAPE '\'
		ORDER BY id = ? DESC, lower(username) = lower(?) DESC, id LIMIT ?`, id, like, like, id, name, limit)
	return scanRows(rows, err, scanUserRow)
}

// BlockUser stops a user from using the Mini App and from withdrawing (a
// deposit is still credited); audited. Blocking a blocked user again only
// updates the reason.
func (db *DB) BlockUser(ctx context.Context, by Actor, userID int64, reason string) (UserRow, error) {
	return db.setBlocked(ctx, by, userID, true, reason)
}

// UnblockUser lifts an admin's block; audited.
func (db *DB) UnblockUser(ctx context.Context, by Actor, userID int64) (UserRow, error) {
	return db.setBlocked(ctx, by, userID, false, "")
}

func (db *DB) setBlocked(ctx context.Context, by Actor, userID int64, block bool, reason string) (UserRow, error) {
	var u UserRow
	err := db.write(ctx, func(tx *Tx) error {
		before, err := scanUserRow(tx.QueryRowContext(ctx, `SELECT `+userRowCols+` FROM users WHERE id = ?`, userID))
		if err != nil {
			return err
		}
		state := func(b bool, why string) string {
			if !b {
				return "active"
			}
			return "blocked: " + why
		}
		var at sql.NullInt64
		action := AuditUnblock
		if block {
			at, action = sql.NullInt64{Int64: ms(tx.now), Valid: true}, AuditBlock
			if before.Blocked {
				at.Int64 = ms(before.BlockedAt)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET blocked_at = ?, blocked_reason = ?, updated_at = ? WHERE id = ?`,
			at, reason, ms(tx.now), userID); err != nil {
			return err
		}
		if before.Blocked != block || before.BlockedReason != reason {
			if err := tx.audit(ctx, by, 0, action, "user "+strconv.FormatInt(userID, 10),
				state(before.Blocked, before.BlockedReason), state(block, reason)); err != nil {
				return err
			}
		}
		u, err = scanUserRow(tx.QueryRowContext(ctx, `SELECT `+userRowCols+` FROM users WHERE id = ?`, userID))
		tx.changed(Change{Kind: "user", UserID: userID})
		return err
	})
	return u, err
}
