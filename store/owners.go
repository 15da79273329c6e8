package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SetMerchantOwners replaces a merchant's owners (Telegram user ids who run
// its dashboard in the Mini App), audited. An empty list leaves the
// merchant to its API token and the CLI.
func (db *DB) SetMerchantOwners(ctx context.Context, by Actor, merchantID int64, owners []int64) error {
	return db.write(ctx, func(tx *Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM merchants WHERE id = ?`, merchantID).Scan(&one); err != nil {
			return notFound(err)
		}
		return tx.setOwners(ctx, by, merchantID, owners)
	})
}

func (tx *Tx) setOwners(ctx context.Context, by Actor, merchantID int64, owners []int64) error {
	owners = slices.Clone(owners)
	slices.Sort(owners)
	owners = slices.Compact(owners)
	for _, id := range owners {
		if id <= 0 {
			return fmt.Errorf("%w: an owner is a Telegram user id (a positive number), not %d", ErrInvalid, id)
		}
	}
	before, err := tx.owners(ctx, merchantID)
	if err != nil {
		return err
	}
	if slices.Equal(before, owners) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM merchant_owners WHERE merchant_id = ?`, merchantID); err != nil {
		return err
	}
	for _, id := range owners {
		if _, err := tx.ExecContext(ctx, `INSERT INTO merchant_owners(merchant_id, user_id, created_at) VALUES (?, ?, ?)`,
			merchantID, id, ms(tx.now)); err != nil {
			return err
		}
	}
	return tx.audit(ctx, by, merchantID, AuditOwners, "owners", idList(before), idList(owners))
}

func idList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

func (tx *Tx) owners(ctx context.Context, merchantID int64) ([]int64, error) {
	return queryIDs(tx.QueryContext(ctx, `SELECT user_id FROM merchant_owners WHERE merchant_id = ? ORDER BY user_id`, merchantID))
}

// MerchantOwners lists a merchant's owners by id.
func (db *DB) MerchantOwners(ctx context.Context, merchantID int64) ([]int64, error) {
	return queryIDs(db.r.QueryContext(ctx, `SELECT user_id FROM merchant_owners WHERE merchant_id = ? ORDER BY user_id`, merchantID))
}

func queryIDs(rows *sql.Rows, err error) ([]int64, error) {
	return scanRows(rows, err, func(r interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
}

// OwnedMerchants lists the merchants a user owns, by id.
func (db *DB) OwnedMerchants(ctx context.Context, userID int64) ([]Merchant, error) {
	// (The Mini App's /api/me reads them within its own statement, Me.)
	rows, err := db.r.QueryContext(ctx, `SELECT `+prefixed("m.", merchantCols)+` FROM merchants m
		JOIN merchant_owners o ON o.merchant_id = m.id WHERE o.user_id = ? ORDER BY m.id`, userID)
	return scanRows(rows, err, scanMerchant)
}

// OwnedMerchant returns a merchant if userID owns it; ErrNotFound when the
// merchant does not exist or is not theirs (the two are not told apart).
func (db *DB) OwnedMerchant(ctx context.Context, merchantID, userID int64) (Merchant, error) {
	return scanMerchant(db.r.QueryRowContext(ctx, `SELECT `+prefixed("m.", merchantCols)+` FROM merchants m
		JOIN merchant_owners o ON o.merchant_id = m.id WHERE m.id = ? AND o.user_id = ?`, merchantID, userID))
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// Delivery states of a webhook event.
const (
	DeliveryDelivered = "delivered"
	DeliveryPending   = "pending" // waiting for its (next) attempt
	DeliveryFailed    = "failed"  // given up
)

// WebhookDelivery is a webhook event as its merchant sees it.
type WebhookDelivery struct {
	ID          int64
	Type        string
	InvoiceID   string // invoice.* events
	PayoutID    int64  // payout.* events
	Status      string
	Attempts    int
	LastError   string
	NextAttempt time.Time
	CreatedAt   time.Time
	DeliveredAt time.Time // zero unless delivered
}

const deliveryCols = `id, type, coalesce(json_extract(payload, '$.invoice_id'), ''), coalesce(CAST(json_extract(payload, '$.withdrawal_id') AS BIGINT), 0),
	attempts, last_error, next_attempt_at, created_at, done_at, failed_at`

func scanDelivery(r interface{ Scan(...any) error }) (WebhookDelivery, error) {
	var d WebhookDelivery
	var next, created int64
	var done, failed sql.NullInt64
	err := r.Scan(&d.ID, &d.Type, &d.InvoiceID, &d.PayoutID, &d.Attempts, &d.LastError, &next, &created, &done, &failed)
	if errors.Is(err, sql.ErrNoRows) {
		return WebhookDelivery{}, ErrNotFound
	}
	d.NextAttempt, d.CreatedAt = fromMS(next), fromMS(created)
	switch {
	case done.Valid:
		d.Status, d.DeliveredAt = DeliveryDelivered, fromMS(done.Int64)
	case failed.Valid:
		d.Status = DeliveryFailed
	default:
		d.Status = DeliveryPending
	}
	return d, err
}

// Deliveries lists a merchant's webhook events, newest first; invoiceID
// narrows them to one invoice's.
func (db *DB) Deliveries(ctx context.Context, merchantID int64, invoiceID string, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM outbox
		WHERE topic = 'webhook' AND merchant_id = ? AND (? = '' OR json_extract(payload, '$.invoice_id') = ?)
		ORDER BY id DESC LIMIT ?`, merchantID, invoiceID, invoiceID, limit)
	return scanRows(rows, err, scanDelivery)
}

// WebhookHealth sums up a merchant's webhook deliveries.
type WebhookHealth struct {
	Delivered, Pending, Failed int
	LastError                  string
	LastDelivered              time.Time
}

// WebhookHealth reads a merchant's delivery counts and the latest error of
// an event not yet delivered.
func (db *DB) WebhookHealth(ctx context.Context, merchantID int64) (WebhookHealth, error) {
	var h WebhookHealth
	var last sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT count(done_at), count(*) FILTER (WHERE done_at IS NULL AND failed_at IS NULL),
		count(failed_at) FILTER (WHERE done_at IS NULL), max(done_at),
		coalesce((SELECT last_error FROM outbox WHERE topic = 'webhook' AND merchant_id = ?1 AND done_at IS NULL AND last_error <> '' ORDER BY id DESC LIMIT 1), '')
		FROM outbox WHERE topic = 'webhook' AND merchant_id = ?1`, merchantID).Scan(&h.Delivered, &h.Pending, &h.Failed, &last, &h.LastError)
	h.LastDelivered = fromNullMS(last)
	return h, err
}

// Redeliver sends one of a merchant's webhook events again, now, once: a
// failed one is tried again, a delivered one sent once more (same id, same
// body: receivers dedupe by id). It is a manual send (Event.Manual): outside
// the merchant's ordered queue, one attempt, its failure shown but never
// disabling the webhook. A disabled webhook is enabled again. Audited.
func (db *DB) Redeliver(ctx context.Context, by Actor, merchantID, eventID int64) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := db.write(ctx, func(tx *Tx) error {
		before, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM outbox WHERE id = ? AND topic = 'webhook' AND merchant_id = ?`,
			eventID, merchantID))
		if err != nil {
			return err
		}
		var url string
		if err := tx.QueryRowContext(ctx, `SELECT webhook_url FROM merchants WHERE id = ?`, merchantID).Scan(&url); err != nil {
			return notFound(err)
		}
		if url == "" {
			return fmt.Errorf("%w: set a webhook URL first", ErrInvalid)
		}
		now := ms(tx.now)
		if err := tx.execOne(ctx, `UPDATE outbox SET done_at = NULL, failed_at = NULL, next_attempt_at = ?, redelivered_at = ? WHERE id = ?`,
			now, now, eventID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE merchants SET webhook_disabled = 0 WHERE id = ? AND webhook_disabled = 1`, merchantID)
		if err != nil {
			return err
		}
		after := DeliveryPending
		if n, _ := res.RowsAffected(); n == 1 {
			after += " (webhook enabled again)"
		}
		tx.changed(Change{Kind: ChangeWebhook, MerchantID: merchantID}) // wakes the deliverer
		if err := tx.audit(ctx, by, merchantID, AuditRedeliver, "event #"+strconv.FormatInt(eventID, 10)+" ("+before.Type+")",
			before.Status, after); err != nil {
			return err
		}
		d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM outbox WHERE id = ?`, eventID))
		return err
	})
	return d, err
}

// WebhookTest is the payload of a webhook.test event.
type WebhookTest struct {
	Message string `json:"message"`
}

// QueueTestWebhook queues a webhook.test event to a merchant's webhook,
// audited; the merchant needs a webhook URL.
func (db *DB) QueueTestWebhook(ctx context.Context, by Actor, merchantID int64) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := db.write(ctx, func(tx *Tx) error {
		var url string
		var disabled bool
		if err := tx.QueryRowContext(ctx, `SELECT webhook_url, webhook_disabled FROM merchants WHERE id = ?`, merchantID).Scan(&url, &disabled); err != nil {
			return notFound(err)
		}
		if url == "" {
			return fmt.Errorf("%w: set a webhook URL first", ErrInvalid)
		}
		if disabled {
			return fmt.Errorf("%w: the webhook is disabled after failing for too long; save its URL or redeliver an event to enable it", ErrInvalid)
		}
		if err := tx.emit(ctx, TopicWebhook, EventWebhookTest, 0, merchantID,
			WebhookTest{Message: "a test event sent from the tonpay dashboard"}); err != nil {
			return err
		}
		// A manual send: one attempt, outside the ordered queue.
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET redelivered_at = created_at WHERE id = ?`, tx.lastEvent); err != nil {
			return err
		}
		tx.changed(Change{Kind: ChangeWebhook, MerchantID: merchantID})
		var err error
		if d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM outbox WHERE id = ?`, tx.lastEvent)); err != nil {
			return err
		}
		return tx.audit(ctx, by, merchantID, AuditWebhookTest, "webhook "+redactURL(url), "", "test event #"+strconv.FormatInt(d.ID, 10)+" queued")
	})
	return d, err
}

// SetWebhookURL points a merchant's webhooks at url and enables them, keeping
// the signing secret the merchant already verifies with (one is made, and
// returned, only for a first URL). Audited.
func (db *DB) SetWebhookURL(ctx context.Context, by Actor, merchantID int64, webhookURL string) (newSecret string, err error) {
	if webhookURL == "" || len(webhookURL) > 2048 || !validWebhookURL(webhookURL) {
		return "", fmt.Errorf("%w: the webhook URL must be an absolute http(s) URL without credentials, at most 2048 bytes", ErrInvalid)
	}
	err = db.write(ctx, func(tx *Tx) error {
		var before, secret string
		var disabled bool
		if err := tx.QueryRowContext(ctx, `SELECT webhook_url, webhook_secret, webhook_disabled FROM merchants WHERE id = ?`, merchantID).
			Scan(&before, &secret, &disabled); err != nil {
			return notFound(err)
		}
		if secret == "" || before == "" {
			// No webhook yet: the merchant never saw a secret.
			secret = newWebhookSecret()
			newSecret = secret
		}
		if before == webhookURL && !disabled && newSecret == "" {
			return nil // nothing changes
		}
		if err := tx.execOne(ctx, `UPDATE merchants SET webhook_url = ?, webhook_secret = ?, webhook_disabled = 0 WHERE id = ?`,
			webhookURL, secret, merchantID); err != nil {
			return err
		}
		after := redactURL(webhookURL)
		if disabled {
			after += " (enabled again)"
		}
		if err := tx.audit(ctx, by, merchantID, AuditWebhookURL, "webhook URL", redactURL(before), after); err != nil {
			return err
		}
		if newSecret != "" {
			return tx.audit(ctx, by, merchantID, AuditWebhookSecret, "webhook secret", "", "new secret")
		}
		return nil
	})
	return newSecret, err
}

// RotateWebhookSecret gives a merchant's webhook a new signing secret and
// returns it (shown once); events not yet delivered are signed with it.
func (db *DB) RotateWebhookSecret(ctx context.Context, by Actor, merchantID int64) (string, error) {
	secret := newWebhookSecret()
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.execOne(ctx, `UPDATE merchants SET webhook_secret = ? WHERE id = ?`, secret, merchantID); err != nil {
			return err
		}
		return tx.audit(ctx, by, merchantID, AuditWebhookSecret, "webhook secret", "", "rotated")
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// InvoiceFilter narrows a merchant's invoice list.
type InvoiceFilter struct {
	Status   string    // "" for any
	From, To time.Time // created in [From, To); zero for open-ended
	After    InvoiceCursor
	Limit    int // 50 when 0; at most 200
}

// FilterMerchantInvoices lists a merchant's invoices newest first; the next
// page starts after the last one returned.
func (db *DB) FilterMerchantInvoices(ctx context.Context, merchantID int64, f InvoiceFilter) ([]Invoice, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	createdMS, id := int64(1<<63-1), ""
	if f.After.ID != "" {
		createdMS, id = ms(f.After.CreatedAt), f.After.ID
	}
	from, to := int64(0), int64(1<<63-1)
	if !f.From.IsZero() {
		from = ms(f.From)
	}
	if !f.To.IsZero() {
		to = ms(f.To)
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+invoiceCols+` FROM invoices
		WHERE merchant_id = ? AND (? = '' OR status = ?) AND created_at >= ? AND created_at < ?
		AND (created_at < ? OR (created_at = ? AND id < ?) OR ? = '')
		ORDER BY created_at DESC, id DESC LIMIT ?`,
		merchantID, f.Status, f.Status, from, to, createdMS, createdMS, id, id, f.Limit)
	return scanRows(rows, err, scanInvoice)
}

// InvoicePayments lists the transfers the chain follower matched to an
// invoice, oldest first.
func (db *DB) InvoicePayments(ctx context.Context, invoiceID string) ([]ChainEvent, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, account, lt, hash, utime, kind, coalesce(asset, ''), amount, sender, comment,
		coalesce(invoice_id, ''), coalesce(user_id, 0), note FROM chain_events WHERE invoice_id = ? ORDER BY id`, invoiceID)
	return scanRows(rows, err, func(r interface{ Scan(...any) error }) (ChainEvent, error) {
		var e ChainEvent
		var lt, utime, amount int64
		err := r.Scan(&e.ID, &e.Account, &lt, &e.Hash, &utime, &e.Kind, &e.Asset, &amount, &e.Sender, &e.Comment, &e.InvoiceID, &e.UserID, &e.Note)
		e.LT, e.Time, e.Amount = uint64(lt), fromMS(utime), Amount(amount)
		return e, err
	})
}

// MerchantWithdrawals lists a merchant's payouts, newest first.
func (db *DB) MerchantWithdrawals(ctx context.Context, merchantID int64, limit int) ([]Withdrawal, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals WHERE merchant_id = ? ORDER BY id DESC LIMIT ?`, merchantID, limit)
	return scanRows(rows, err, scanWithdrawal)
}
