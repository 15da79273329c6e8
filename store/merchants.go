package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
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

// CreateMerchant registers a merchant and returns its API token, which is
// shown once and never stored.
func (db *DB) CreateMerchant(ctx context.Context, name, webhookURL string) (Merchant, string, error) {
	if name == "" {
		return Merchant{}, "", fmt.Errorf("%w: merchant name is empty", ErrInvalid)
	}
	token := "tp_" + randomHex(24)
	m := Merchant{Name: name, WebhookURL: webhookURL, WebhookSecret: "whsec_" + randomHex(24)}
	err := db.write(ctx, func(tx *Tx) error {
		m.CreatedAt = tx.now
		return tx.QueryRowContext(ctx, `INSERT INTO merchants(name, token_hash, webhook_url, webhook_secret, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, name, TokenHash(token), webhookURL, m.WebhookSecret, ms(tx.now)).Scan(&m.ID)
	})
	if err != nil {
		return Merchant{}, "", err
	}
	return m, token, nil
}

const merchantCols = `id, name, webhook_url, webhook_secret, webhook_disabled, created_at`

func scanMerchant(row *sql.Row) (Merchant, error) {
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

// MerchantByToken finds the merchant an API token belongs to.
func (db *DB) MerchantByToken(ctx context.Context, token string) (Merchant, error) {
	return scanMerchant(db.r.QueryRowContext(ctx, `SELECT `+merchantCols+` FROM merchants WHERE token_hash = ?`, TokenHash(token)))
}
