package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
)

// botQuotesKept is how long a quote row stays at most: older ones are
// removed when a new quote is saved (a quote is only honoured for the
// bot's much shorter time to confirm).
const botQuotesKept = 24 * time.Hour

// SaveBotQuote keeps a withdrawal request the bot quoted under key (the
// command's chat and message), for whichever node the user's Confirm
// reaches. Saving a key again replaces it.
func (db *DB) SaveBotQuote(ctx context.Context, key string, req WithdrawRequest) error {
	if req.By != nil {
		return errors.New("store: a bot quote is the user's own request (no actor)")
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM bot_quotes WHERE created_at < ?`, ms(tx.now.Add(-botQuotesKept))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO bot_quotes(key, user_id, request, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(key) DO UPDATE SET user_id = excluded.user_id, request = excluded.request, created_at = excluded.created_at`,
			key, req.UserID, string(body), ms(tx.now))
		return err
	})
}

// BotQuote is the request saved under key if it was saved less than ttl
// ago; ok is false when there is none or it is older.
func (db *DB) BotQuote(ctx context.Context, key string, ttl time.Duration) (req WithdrawRequest, ok bool, err error) {
	var body string
	var at int64
	err = db.r.QueryRowContext(ctx, `SELECT request, created_at FROM bot_quotes WHERE key = ?`, key).Scan(&body, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return WithdrawRequest{}, false, nil
	}
	if err != nil {
		return WithdrawRequest{}, false, err
	}
	if db.now().Sub(fromMS(at)) >= ttl {
		return WithdrawRequest{}, false, nil
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		return WithdrawRequest{}, false, err
	}
	return req, true, nil
}

// DeleteBotQuote forgets a quote (the user cancelled it).
func (db *DB) DeleteBotQuote(ctx context.Context, key string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM bot_quotes WHERE key = ?`, key)
		return err
	})
}
