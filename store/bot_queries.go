package store

import (
	"context"
	"time"
)

// DepositTotal is how many credited deposits of one asset were booked and
// their sum.
type DepositTotal struct {
	Count int
	Sum   Amount
}

// DepositsSince totals the credited deposits booked at or after since, per
// asset (admin statistics).
func (db *DB) DepositsSince(ctx context.Context, since time.Time) (map[string]DepositTotal, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT coalesce(asset, ''), count(*), coalesce(sum(amount), 0) FROM chain_events
		WHERE kind = ? AND created_at >= ? GROUP BY 1`, KindCredited, ms(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]DepositTotal{}
	for rows.Next() {
		var asset string
		var t DepositTotal
		if err := rows.Scan(&asset, &t.Count, &t.Sum); err != nil {
			return nil, err
		}
		out[asset] = t
	}
	return out, rows.Err()
}

// CountWithdrawals counts withdrawals per status.
func (db *DB) CountWithdrawals(ctx context.Context) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, count(*) FROM withdrawals GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// DueEventsPerUser returns, of a topic's due events, only the oldest of each
// user (events without a user form one group), oldest first, up to limit. A
// consumer that paces each chat (Telegram: one message a second) thus sees
// every chat's next event however long one chat's queue is, instead of a
// window filled by that one chat.
func (db *DB) DueEventsPerUser(ctx context.Context, topic string, limit int) ([]Event, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, topic, type, payload, uid, coalesce(merchant_id, 0), attempts, next_attempt_at, created_at, coalesce(redelivered_at, 0)
		FROM (SELECT *, coalesce(user_id, 0) AS uid,
				row_number() OVER (PARTITION BY coalesce(user_id, 0) ORDER BY next_attempt_at, id) AS nth
			FROM outbox WHERE topic = ? AND done_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?)
		WHERE nth = 1 ORDER BY next_attempt_at, id LIMIT ?`, topic, ms(db.now()), limit)
	return scanEvents(rows, err)
}
