package store

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Audit roles: who made a change.
const (
	RoleAdmin    = "admin"    // one of ADMIN_IDS (bot or Mini App)
	RoleOwner    = "owner"    // an owner of the merchant changed
	RoleOperator = "operator" // the tonpay CLI on the server
)

// Actor is who makes a change: a Telegram user in a role, or the operator.
type Actor struct {
	ID    int64  // Telegram user id; 0 for the operator
	Label string // "@name (id)"; derived from ID when empty
	Role  string
}

// Operator is the CLI on the server.
var Operator = Actor{Role: RoleOperator, Label: "operator (CLI)"}

// AdminActor is an admin acting; label may be empty.
func AdminActor(id int64, label string) Actor { return Actor{ID: id, Label: label, Role: RoleAdmin} }

// OwnerActor is a merchant owner acting; label may be empty.
func OwnerActor(id int64, label string) Actor { return Actor{ID: id, Label: label, Role: RoleOwner} }

// String is how the log names the actor: "@ann (42)", "user 42", or the
// operator.
func (a Actor) String() string {
	id := strconv.FormatInt(a.ID, 10)
	switch {
	case a.ID == 0:
		return a.Label
	case a.Label == "":
		return "user " + id
	}
	return a.Label + " (" + id + ")"
}

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID         int64
	ActorID    int64
	Actor      string
	Role       string
	MerchantID int64
	Action     string
	Subject    string
	Before     string
	After      string
	CreatedAt  time.Time
}

// Audit actions.
const (
	AuditApprove       = "withdrawal.approve"
	AuditReject        = "withdrawal.reject"
	AuditAssign        = "unmatched.assign"
	AuditRefund        = "unmatched.refund"
	AuditPause         = "payouts.pause"
	AuditResume        = "payouts.resume"
	AuditBlock         = "user.block"
	AuditUnblock       = "user.unblock"
	AuditOwners        = "merchant.owners"
	AuditMerchantAdd   = "merchant.add"
	AuditWebhookURL    = "merchant.webhook_url"
	AuditWebhookSecret = "merchant.webhook_secret"
	AuditToken         = "merchant.token"
	AuditInvoice       = "merchant.invoice"
	AuditPayout        = "merchant.payout"
	AuditRedeliver     = "merchant.redeliver"
	AuditWebhookTest   = "merchant.webhook_test"
	AuditStarsRefund   = "stars.refund"
)

// audit appends to the audit log inside tx: the change and its record
// commit together or not at all. Secrets never go in before or after.
func (tx *Tx) audit(ctx context.Context, a Actor, merchantID int64, action, subject, before, after string) error {
	if a.Role != RoleAdmin && a.Role != RoleOwner && a.Role != RoleOperator {
		return fmt.Errorf("%w: audit role %q", ErrInvalid, a.Role)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log(actor_id, actor, role, merchant_id, action, subject, before, after, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ID, a.String(), a.Role, nullInt(merchantID), action, subject, before, after, ms(tx.now))
	return err
}

// redactURL is a URL as the audit log keeps it: without a query or a
// fragment, which may carry a token ("https://shop.example/hook?…").
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || s == "" {
		return s
	}
	tail := ""
	if u.RawQuery != "" || u.Fragment != "" {
		tail = "?…"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String() + tail
}

// AuditFilter selects audit entries: one merchant's (MerchantID) or all.
type AuditFilter struct {
	MerchantID int64
	Before     int64 // entries with a smaller id; 0 from the newest
	Limit      int   // 100 when 0; at most 500
}

// AuditLog lists audit entries, newest first.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	before := f.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, actor_id, actor, role, coalesce(merchant_id, 0), action, subject, before, after, created_at
		FROM audit_log WHERE id < ? AND (? = 0 OR merchant_id = ?) ORDER BY id DESC LIMIT ?`, before, f.MerchantID, f.MerchantID, f.Limit)
	return scanRows(rows, err, func(r interface{ Scan(...any) error }) (AuditEntry, error) {
		var e AuditEntry
		var at int64
		err := r.Scan(&e.ID, &e.ActorID, &e.Actor, &e.Role, &e.MerchantID, &e.Action, &e.Subject, &e.Before, &e.After, &at)
		e.CreatedAt = fromMS(at)
		return e, err
	})
}
