package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
)

// Outbox topics: who consumes an event.
const (
	TopicBot     = "bot"     // Telegram notifier
	TopicWebhook = "webhook" // merchant webhooks
)

// Event is an outbox row: something that happened, to be delivered at least
// once. Consumers dedupe by ID.
type Event struct {
	ID            int64
	Topic         string
	Type          EventType
	Payload       json.RawMessage
	UserID        int64
	MerchantID    int64
	Attempts      int
	NextAttemptAt time.Time
	CreatedAt     time.Time
	// Manual is a webhook event an owner sent by hand (a test event, or a
	// redelivery, at ManualAt): one attempt, outside the merchant's ordered
	// queue; its failure never disables the webhook.
	Manual   bool
	ManualAt time.Time
}

// emit appends an outbox event inside tx, due at once.
func (tx *Tx) emit(ctx context.Context, topic string, typ EventType, userID, merchantID int64, payload any) error {
	body, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	now := ms(tx.now)
	return tx.QueryRowContext(ctx, `INSERT INTO outbox(topic, type, payload, user_id, merchant_id, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, topic, typ, string(body), nullInt(userID), nullInt(merchantID), now, now).Scan(&tx.lastEvent)
}

// Emit appends an outbox event on its own (for events not tied to another
// store call, such as admin notices).
func (db *DB) Emit(ctx context.Context, topic string, typ EventType, userID, merchantID int64, payload any) error {
	return db.write(ctx, func(tx *Tx) error { return tx.emit(ctx, topic, typ, userID, merchantID, payload) })
}

// DueEvents returns up to limit undelivered events of a topic whose next
// attempt is due, oldest first.
func (db *DB) DueEvents(ctx context.Context, topic string, limit int) ([]Event, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, topic, type, payload, coalesce(user_id, 0), coalesce(merchant_id, 0), attempts, next_attempt_at, created_at, coalesce(redelivered_at, 0)
		FROM outbox WHERE topic = ? AND done_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
		ORDER BY next_attempt_at, id LIMIT ?`, topic, ms(db.now()), limit)
	return scanEvents(rows, err)
}

// scanEvents reads outbox rows selected as id, topic, type, payload,
// user id, merchant id, attempts, next_attempt_at, created_at, redelivered_at (0 when none).
func scanEvents(rows *sql.Rows, err error) ([]Event, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var payload string
		var next, created, since int64
		if err := rows.Scan(&e.ID, &e.Topic, &e.Type, &payload, &e.UserID, &e.MerchantID, &e.Attempts, &next, &created, &since); err != nil {
			return nil, err
		}
		e.Payload, e.NextAttemptAt, e.CreatedAt = json.RawMessage(payload), fromMS(next), fromMS(created)
		if since != 0 {
			e.Manual, e.ManualAt = true, fromMS(since)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// NextEventAt is when the earliest undelivered event of a topic is due
// (zero time when none is waiting), so a consumer can sleep until then.
func (db *DB) NextEventAt(ctx context.Context, topic string) (time.Time, error) {
	var next sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM outbox WHERE topic = ? AND done_at IS NULL AND failed_at IS NULL`, topic).Scan(&next)
	return fromNullMS(next), err
}

// MarkEventDone records that an event was delivered.
func (db *DB) MarkEventDone(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.execOne(ctx, `UPDATE outbox SET done_at = ?, attempts = attempts + 1 WHERE id = ? AND done_at IS NULL`, ms(tx.now), id)
	})
}

// RetryEvent records a failed delivery and when to try again.
func (db *DB) RetryEvent(ctx context.Context, id int64, next time.Time, reason string) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.execOne(ctx, `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND done_at IS NULL`,
			ms(next), reason, id)
	})
}

// FailEvent gives up on an event (kept, with the reason, for admins).
func (db *DB) FailEvent(ctx context.Context, id int64, reason string) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.execOne(ctx, `UPDATE outbox SET attempts = attempts + 1, failed_at = ?, last_error = ? WHERE id = ? AND done_at IS NULL`,
			ms(tx.now), reason, id)
	})
}

// execOne runs a statement that must change exactly one row; ErrNotFound
// otherwise.
func (tx *Tx) execOne(ctx context.Context, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrNotFound
	}
	return nil
}

// Event returns one outbox event with its delivery state.
func (db *DB) Event(ctx context.Context, id int64) (Event, bool, error) {
	var e Event
	var payload string
	var next, created int64
	var done sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT id, topic, type, payload, coalesce(user_id, 0), coalesce(merchant_id, 0), attempts, next_attempt_at, created_at, done_at
		FROM outbox WHERE id = ?`, id).Scan(&e.ID, &e.Topic, &e.Type, &payload, &e.UserID, &e.MerchantID, &e.Attempts, &next, &created, &done)
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, false, ErrNotFound
	}
	e.Payload, e.NextAttemptAt, e.CreatedAt = json.RawMessage(payload), fromMS(next), fromMS(created)
	return e, done.Valid, err
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// DueEventsPerUser returns, of a topic's pending events, the oldest of each
// user (events without a user form one group) when it is due, oldest first,
// up to limit. A consumer that paces each chat (Telegram: one message a
// second) thus sees every chat's next event however long one chat's queue
// is, instead of a window filled by that one chat; and a user's events keep
// their order: while the oldest waits for its retry (a 429's retry_after),
// the ones after it wait too.
func (db *DB) DueEventsPerUser(ctx context.Context, topic string, limit int) ([]Event, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, topic, type, payload, uid, coalesce(merchant_id, 0), attempts, next_attempt_at, created_at, coalesce(redelivered_at, 0)
		FROM (SELECT *, coalesce(user_id, 0) AS uid,
				row_number() OVER (PARTITION BY coalesce(user_id, 0) ORDER BY id) AS nth
			FROM outbox WHERE topic = ? AND done_at IS NULL AND failed_at IS NULL) AS pending
		WHERE nth = 1 AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, topic, ms(db.now()), limit)
	return scanEvents(rows, err)
}
