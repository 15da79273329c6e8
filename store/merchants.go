package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Merchant is a business that takes payments through the merchant API.
type Merchant struct {
	ID              int64
	Name            string
	WebhookURL      string
	WebhookSecret   string
	WebhookDisabled bool
	CreatedAt       time.Time
}

// TokenHash is how an API token is stored: only its SHA-256.
func TokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// CreateMerchant registers a merchant with no owners on behalf of the
// operator and returns its API token (AddMerchant).
func (db *DB) CreateMerchant(ctx context.Context, name, webhookURL string) (Merchant, string, error) {
	return db.AddMerchant(ctx, Operator, name, webhookURL, nil)
}

// AddMerchant registers a merchant with its owners (Telegram user ids who
// run its dashboard) in one transaction, audited, and returns its API
// token, which is shown once and never stored.
func (db *DB) AddMerchant(ctx context.Context, by Actor, name, webhookURL string, owners []int64) (Merchant, string, error) {
	if name == "" {
		return Merchant{}, "", fmt.Errorf("%w: merchant name is empty", ErrInvalid)
	}
	if !validWebhookURL(webhookURL) {
		return Merchant{}, "", fmt.Errorf("%w: webhook url must be an absolute http(s) URL without credentials", ErrInvalid)
	}
	token := newMerchantToken()
	m := Merchant{Name: name, WebhookURL: webhookURL, WebhookSecret: newWebhookSecret()}
	err := db.write(ctx, func(tx *Tx) error {
		m.CreatedAt = tx.now
		if err := tx.QueryRowContext(ctx, `INSERT INTO merchants(name, token_hash, webhook_url, webhook_secret, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, name, TokenHash(token), webhookURL, m.WebhookSecret, ms(tx.now)).Scan(&m.ID); err != nil {
			return err
		}
		if err := tx.audit(ctx, by, m.ID, AuditMerchantAdd, "merchant "+name, "", "created"); err != nil {
			return err
		}
		if len(owners) == 0 {
			return nil
		}
		return tx.setOwners(ctx, by, m.ID, owners)
	})
	if err != nil {
		return Merchant{}, "", err
	}
	return m, token, nil
}

const merchantCols = `id, name, webhook_url, webhook_secret, webhook_disabled, created_at`

func scanMerchant(row interface{ Scan(...any) error }) (Merchant, error) {
	var m Merchant
	var created int64
	err := row.Scan(&m.ID, &m.Name, &m.WebhookURL, &m.WebhookSecret, &m.WebhookDisabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Merchant{}, ErrNotFound
	}
	m.CreatedAt = fromMS(created)
	return m, err
}

// Merchant returns one merchant.
func (db *DB) Merchant(ctx context.Context, id int64) (Merchant, error) {
	return scanMerchant(db.r.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = ?`, id))
}

// MerchantByToken finds the merchant an API token belongs to. The lookup is
// by the token's SHA-256, so its timing says nothing about the token.
func (db *DB) MerchantByToken(ctx context.Context, token string) (Merchant, error) {
	if !strings.HasPrefix(token, merchantTokenPrefix) || len(token) > 128 {
		return Merchant{}, ErrNotFound
	}
	return scanMerchant(db.r.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE token_hash = ?`, TokenHash(token)))
}

// merchantTokenPrefix starts every API token, so a leaked one is easy to
// recognise (secret scanners) and garbage is refused before a lookup.
const merchantTokenPrefix = "tp_"

func newMerchantToken() string { return merchantTokenPrefix + randomHex(24) }
func newWebhookSecret() string { return "whsec_" + randomHex(24) }
func validWebhookURL(s string) bool {
	if s == "" {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}

// ListMerchants returns every merchant by id.
func (db *DB) ListMerchants(ctx context.Context) ([]Merchant, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+merchantCols+` FROM merchants ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Merchant
	for rows.Next() {
		var m Merchant
		var created int64
		if err := rows.Scan(&m.ID, &m.Name, &m.WebhookURL, &m.WebhookSecret, &m.WebhookDisabled, &created); err != nil {
			return nil, err
		}
		m.CreatedAt = fromMS(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// RotateToken gives a merchant a new API token and returns it (shown once);
// the old token stops working at once.
func (db *DB) RotateToken(ctx context.Context, by Actor, merchantID int64) (string, error) {
	token := newMerchantToken()
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.execOne(ctx, `UPDATE merchants SET token_hash = ? WHERE id = ?`, TokenHash(token), merchantID); err != nil {
			return err
		}
		return tx.audit(ctx, by, merchantID, AuditToken, "API token", "", "rotated (the old token stopped working)")
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// SetWebhook points a merchant's webhooks at url (http or https; "" stops
// them), with a new signing secret that it returns. It also re-enables a
// webhook that was disabled. Events queued before keep their ids and are
// signed with the new secret when delivered.
func (db *DB) SetWebhook(ctx context.Context, by Actor, merchantID int64, webhookURL string) (string, error) {
	if !validWebhookURL(webhookURL) {
		return "", fmt.Errorf("%w: webhook url must be an absolute http(s) URL without credentials", ErrInvalid)
	}
	secret := newWebhookSecret()
	err := db.write(ctx, func(tx *Tx) error {
		var before string
		if err := tx.QueryRowContext(ctx, `SELECT webhook_url FROM merchants WHERE id = ?`, merchantID).Scan(&before); err != nil {
			return notFound(err)
		}
		if err := tx.execOne(ctx, `UPDATE merchants SET webhook_url = ?, webhook_secret = ?, webhook_disabled = 0 WHERE id = ?`,
			webhookURL, secret, merchantID); err != nil {
			return err
		}
		if err := tx.audit(ctx, by, merchantID, AuditWebhookURL, "webhook URL", redactURL(before), redactURL(webhookURL)); err != nil {
			return err
		}
		return tx.audit(ctx, by, merchantID, AuditWebhookSecret, "webhook secret", "", "new secret")
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// DisableWebhook stops deliveries to a merchant's webhook; its URL and
// secret are kept for EnableWebhook.
func (db *DB) DisableWebhook(ctx context.Context, merchantID int64) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.execOne(ctx, `UPDATE merchants SET webhook_disabled = 1 WHERE id = ?`, merchantID)
	})
}

// EnableWebhook resumes deliveries to a merchant's webhook with its current
// URL and secret. Events given up while it was disabled stay given up.
func (db *DB) EnableWebhook(ctx context.Context, merchantID int64) error {
	return db.write(ctx, func(tx *Tx) error {
		return tx.execOne(ctx, `UPDATE merchants SET webhook_disabled = 0 WHERE id = ?`, merchantID)
	})
}

// MerchantBalances is what a merchant holds, by asset, in the ledger.
func (db *DB) MerchantBalances(ctx context.Context, merchantID int64) (map[string]Amount, error) {
	return db.Balances(ctx, MerchantAccount(merchantID))
}

// MerchantInvoiceByExternalID finds a merchant's invoice by the merchant's
// own id for it.
func (db *DB) MerchantInvoiceByExternalID(ctx context.Context, merchantID int64, externalID string) (Invoice, error) {
	return scanInvoice(db.r.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE merchant_id = ? AND external_id = ?`,
		merchantID, externalID))
}

// InvoiceCursor is a position in a merchant's invoice list (newest first):
// the last invoice of the previous page. The zero value starts at the newest.
type InvoiceCursor struct {
	CreatedAt time.Time
	ID        string
}

// MerchantInvoicesPage lists a merchant's invoices, newest first, after the
// cursor, optionally in one status. The next page starts after the last
// returned invoice (InvoiceCursor{inv.CreatedAt, inv.ID}).
func (db *DB) MerchantInvoicesPage(ctx context.Context, merchantID int64, status string, after InvoiceCursor, limit int) ([]Invoice, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	createdMS, id := int64(1<<63-1), ""
	if after.ID != "" {
		createdMS, id = ms(after.CreatedAt), after.ID
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+invoiceCols+` FROM invoices
		WHERE merchant_id = ? AND (? = '' OR status = ?) AND (created_at < ? OR (created_at = ? AND id < ?) OR ? = '')
		ORDER BY created_at DESC, id DESC LIMIT ?`,
		merchantID, status, status, createdMS, createdMS, id, id, limit)
	return scanRows(rows, err, scanInvoice)
}

// MerchantWithdrawal returns a payout only if it is the merchant's.
func (db *DB) MerchantWithdrawal(ctx context.Context, merchantID, id int64) (Withdrawal, error) {
	return scanWithdrawal(db.r.QueryRowContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE id = ? AND merchant_id = ?`, id, merchantID))
}

// webhookPending selects undelivered, not given up webhook events.
const webhookPending = `topic = 'webhook' AND done_at IS NULL AND failed_at IS NULL`

// DueWebhookEvents returns up to limit webhook events that are due, oldest
// first, keeping each merchant's events in order: an event is held back
// while an earlier undelivered event of the same merchant waits for its
// retry. (A dead endpoint then costs one request per backoff step, not one
// per queued event, and a merchant never sees event n+1 before event n.)
// An owner's manual sends (test events, redeliveries) stand outside that
// order: never held back, never holding others back. Events of the
// merchants in except (those the dispatcher is delivering to now) are left
// out, so that one merchant's backlog cannot fill the batch.
func (db *DB) DueWebhookEvents(ctx context.Context, limit int, except ...int64) ([]Event, error) {
	now := ms(db.now())
	notIn, args := exceptMerchants(except)
	rows, err := db.r.QueryContext(ctx, `SELECT id, topic, type, payload, coalesce(user_id, 0), coalesce(merchant_id, 0), attempts, next_attempt_at, created_at, coalesce(redelivered_at, 0)
		FROM outbox o WHERE `+webhookPending+` AND next_attempt_at <= ?`+notIn+`
		AND (o.redelivered_at IS NOT NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.topic = 'webhook' AND p.done_at IS NULL AND p.failed_at IS NULL
			AND p.redelivered_at IS NULL AND coalesce(p.merchant_id, 0) = coalesce(o.merchant_id, 0) AND p.id < o.id AND p.next_attempt_at > ?))
		ORDER BY id LIMIT ?`, append(append([]any{now}, args...), now, limit)...)
	return scanEvents(rows, err)
}

// exceptMerchants is the SQL that leaves out the outbox rows (alias o) of
// the merchants in ids, and its arguments.
func exceptMerchants(ids []int64) (string, []any) {
	if len(ids) == 0 {
		return "", nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return ` AND coalesce(o.merchant_id, 0) NOT IN (?` + repeat(",?", len(ids)-1) + `)`, args
}

// NextWebhookAt is when the next webhook event that DueWebhookEvents would
// return falls due (zero time when none waits): the earliest retry among
// the first undelivered event of each merchant (but those in except) and
// the manual sends.
func (db *DB) NextWebhookAt(ctx context.Context, except ...int64) (time.Time, error) {
	var next sql.NullInt64
	notIn, args := exceptMerchants(except)
	err := db.r.QueryRowContext(ctx, `SELECT min(next_attempt_at) FROM outbox o WHERE `+webhookPending+notIn+`
		AND (o.redelivered_at IS NOT NULL OR NOT EXISTS (SELECT 1 FROM outbox p WHERE p.topic = 'webhook' AND p.done_at IS NULL AND p.failed_at IS NULL
			AND p.redelivered_at IS NULL AND coalesce(p.merchant_id, 0) = coalesce(o.merchant_id, 0) AND p.id < o.id))`, args...).Scan(&next)
	return fromNullMS(next), err
}

// WebhookDisabled is the payload of the webhook.disabled admin notice.
type WebhookDisabled struct {
	MerchantID int64  `json:"merchant_id"`
	Name       string `json:"name"`
	URL        string `json:"url"`
	EventID    int64  `json:"event_id"`
	Reason     string `json:"reason"`
}

// GiveUpWebhook is the end of retrying a webhook event: in one transaction
// it gives the event up, disables the merchant's webhook and tells admins
// (a webhook.disabled event to the bot, user 0) unless it was disabled
// already.
func (db *DB) GiveUpWebhook(ctx context.Context, eventID, merchantID int64, reason string) error {
	return db.write(ctx, func(tx *Tx) error {
		// An owner's redelivery during the last attempt wins: not given up.
		if err := tx.execOne(ctx, `UPDATE outbox SET attempts = attempts + 1, failed_at = ?, last_error = ?
			WHERE id = ? AND done_at IS NULL AND failed_at IS NULL AND redelivered_at IS NULL`,
			ms(tx.now), reason, eventID); err != nil {
			return err
		}
		m, err := scanMerchant(tx.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = ?`, merchantID))
		if err != nil || m.WebhookDisabled {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE merchants SET webhook_disabled = 1 WHERE id = ?`, merchantID); err != nil {
			return err
		}
		return tx.emit(ctx, TopicBot, EventWebhookDisabled, 0, 0, WebhookDisabled{
			MerchantID: m.ID, Name: m.Name, URL: m.WebhookURL, EventID: eventID, Reason: reason})
	})
}
