package httpapi

import (
	"time"

	"github.com/tonpay/tonpay/store"
)

// JSON shapes shared by the dashboards.

// Money is an amount: Amount in smallest units, Formatted in whole units.
type Money struct {
	Asset     string `json:"asset"`
	Amount    string `json:"amount"`
	Formatted string `json:"formatted"`
}

// MoneyOf renders an amount of an asset with its decimals.
func MoneyOf(asset string, decimals int, a store.Amount) Money {
	return Money{Asset: asset, Amount: a.Units(), Formatted: a.Format(decimals)}
}

// WebhookHealthJSON is a merchant's webhook and how its deliveries go.
type WebhookHealthJSON struct {
	URL             string     `json:"url"`
	Disabled        bool       `json:"disabled"`
	Pending         int        `json:"pending"`
	Failed          int        `json:"failed"`
	Delivered       int        `json:"delivered"`
	LastError       string     `json:"last_error"`
	LastDeliveredAt *time.Time `json:"last_delivered_at"`
}

// WebhookHealth renders a merchant's webhook state.
func WebhookHealth(m store.Merchant, h store.WebhookHealth) WebhookHealthJSON {
	out := WebhookHealthJSON{URL: m.WebhookURL, Disabled: m.WebhookDisabled, Pending: h.Pending, Failed: h.Failed,
		Delivered: h.Delivered, LastError: h.LastError}
	if !h.LastDelivered.IsZero() {
		t := h.LastDelivered
		out.LastDeliveredAt = &t
	}
	return out
}

// AuditJSON is one audit log entry.
type AuditJSON struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorID    int64     `json:"actor_id"`
	Actor      string    `json:"actor"`
	Role       string    `json:"role"`
	MerchantID *int64    `json:"merchant_id"`
	Action     string    `json:"action"`
	Subject    string    `json:"subject"`
	Before     string    `json:"before"`
	After      string    `json:"after"`
}

// AuditEntries renders audit log entries.
func AuditEntries(es []store.AuditEntry) []AuditJSON {
	out := make([]AuditJSON, 0, len(es))
	for _, e := range es {
		a := AuditJSON{ID: e.ID, At: e.CreatedAt, ActorID: e.ActorID, Actor: e.Actor, Role: e.Role, Action: e.Action,
			Subject: e.Subject, Before: e.Before, After: e.After}
		if e.MerchantID != 0 {
			id := e.MerchantID
			a.MerchantID = &id
		}
		out = append(out, a)
	}
	return out
}

// DeliveryJSON is a webhook event as its merchant sees it.
type DeliveryJSON struct {
	ID            int64      `json:"id"`
	Type          string     `json:"type"`
	InvoiceID     string     `json:"invoice_id,omitempty"`
	PayoutID      int64      `json:"payout_id,omitempty"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	CreatedAt     time.Time  `json:"created_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
}

// Delivery renders a webhook delivery.
func Delivery(d store.WebhookDelivery) DeliveryJSON {
	out := DeliveryJSON{ID: d.ID, Type: d.Type, InvoiceID: d.InvoiceID, PayoutID: d.PayoutID, Status: d.Status,
		Attempts: d.Attempts, LastError: d.LastError, CreatedAt: d.CreatedAt}
	if d.Status == store.DeliveryPending {
		t := d.NextAttempt
		out.NextAttemptAt = &t
	}
	if !d.DeliveredAt.IsZero() {
		t := d.DeliveredAt
		out.DeliveredAt = &t
	}
	return out
}
