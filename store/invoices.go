package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Invoice states.
const (
	InvoiceCreated = "created"
	InvoicePending = "pending" // the wallet reported a BOC, or part of the amount arrived
	InvoicePaid    = "paid"
	InvoiceExpired = "expired"
	InvoiceError   = "error"
)

// MemoLessTolerance is how long after expiry a memo-less invoice still
// matches a transfer of its exact amount: block time and clocks drift.
const MemoLessTolerance = 120 * time.Second

// memoLessSpread bounds the smallest units added to make a memo-less amount
// unique among open invoices of its asset.
const memoLessSpread = 1000

// Invoice is a request for a payment of Amount of Asset, owned by a user
// (a top-up) or a merchant.
type Invoice struct {
	ID         string
	UserID     int64
	MerchantID int64
	Asset      string
	Amount     Amount
	Paid       Amount
	Comment    string // empty for memo-less invoices
	MemoLess   bool
	// Address is the invoice's own deposit address (raw), when it asked
	// for one: paid there with no comment.
	Address     string
	Status      string
	Late        bool // money arrived after it expired
	Duplicate   bool // money arrived after it was paid
	Description string
	Payload     string
	ExternalID  string
	ExtMsgHash  string
	PayerID     int64 // merchant invoices: the Mini App user who reported paying it; 0 when none
	CreatedAt   time.Time
	ExpiresAt   time.Time
	PaidAt      time.Time
	UpdatedAt   time.Time
}

// Open reports whether the invoice can still be paid on time.
func (inv Invoice) Open() bool { return inv.Status == InvoiceCreated || inv.Status == InvoicePending }

// change is the Change that announces the invoice: to its user, or for a
// merchant invoice to the merchant and to the user who reported paying it.
func (inv Invoice) change() Change {
	uid := inv.UserID
	if uid == 0 {
		uid = inv.PayerID
	}
	return Change{Kind: ChangeInvoice, UserID: uid, MerchantID: inv.MerchantID, ID: inv.ID}
}

// NewInvoice is what CreateInvoice needs.
type NewInvoice struct {
	UserID     int64
	MerchantID int64
	Asset      string
	Amount     Amount
	TTL        time.Duration
	MemoLess   bool // no comment: matched by a unique amount instead
	// OwnAddress gives the invoice a deposit address of its own: paid
	// there with no comment (from an exchange, by hand), swept like a
	// user's.
	OwnAddress  bool
	Description string
	Payload     string
	ExternalID  string
	By          *Actor // audited when set (an owner's invoice from the dashboard)
	// MaxOpen bounds a user's open invoices (zero: no bound). Checked in
	// the creating transaction: an open invoice for the same asset, amount
	// and description with at least half its lifetime left is returned
	// instead of a new one; beyond MaxOpen the request is refused
	// (too_many_open_invoices).
	MaxOpen int
}

const invoiceCols = `id, coalesce(user_id, 0), coalesce(merchant_id, 0), asset, amount, paid_amount, coalesce(comment, ''),
	memo_less, status, late, duplicate, description, payload, coalesce(external_id, ''), ext_msg_hash,
	coalesce(payer_user_id, 0), created_at, expires_at, paid_at, updated_at,
	coalesce((SELECT d.address FROM deposit_wallets d WHERE d.invoice_id = invoices.id), '')`

func scanInvoice(row interface{ Scan(...any) error }) (Invoice, error) {
	var inv Invoice
	var created, expires, updated int64
	var paidAt sql.NullInt64
	err := row.Scan(&inv.ID, &inv.UserID, &inv.MerchantID, &inv.Asset, &inv.Amount, &inv.Paid, &inv.Comment,
		&inv.MemoLess, &inv.Status, &inv.Late, &inv.Duplicate, &inv.Description, &inv.Payload, &inv.ExternalID,
		&inv.ExtMsgHash, &inv.PayerID, &created, &expires, &paidAt, &updated, &inv.Address)
	if errors.Is(err, sql.ErrNoRows) {
		return Invoice{}, ErrNotFound
	}
	inv.CreatedAt, inv.ExpiresAt, inv.UpdatedAt = fromMS(created), fromMS(expires), fromMS(updated)
	inv.PaidAt = fromNullMS(paidAt)
	return inv, err
}

func newInvoiceID() string {
	b := make([]byte, 10)
	rand.Read(b)
	return "inv_" + hex.EncodeToString(b)
}

// CreateInvoice opens an invoice. A memo-less invoice gets its amount raised
// by a few smallest units so that no other open memo-less invoice of the
// asset asks for the same amount; the caller shows the returned amount.
func (db *DB) CreateInvoice(ctx context.Context, n NewInvoice) (Invoice, error) {
	if (n.UserID == 0) == (n.MerchantID == 0) {
		return Invoice{}, fmt.Errorf("%w: an invoice belongs to a user or a merchant", ErrInvalid)
	}
	if n.Amount <= 0 {
		return Invoice{}, fmt.Errorf("%w: amount must be positive", ErrInvalid)
	}
	if n.TTL <= 0 {
		return Invoice{}, fmt.Errorf("%w: invoice lifetime must be positive", ErrInvalid)
	}
	var id string
	err := db.write(ctx, func(tx *Tx) error {
		if _, err := tx.asset(ctx, n.Asset); err != nil {
			return err
		}
		if n.MaxOpen > 0 && n.UserID != 0 {
			var open int
			err := tx.QueryRowContext(ctx, `SELECT id FROM invoices WHERE user_id = ? AND asset = ? AND amount = ? AND memo_less = 0
				AND status = 'created' AND paid_amount = 0 AND description = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT 1`,
				n.UserID, n.Asset, int64(n.Amount), n.Description, ms(tx.now.Add(n.TTL/2))).Scan(&id)
			if err == nil {
				return nil // the same invoice again
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM invoices WHERE user_id = ? AND status IN ('created', 'pending')
				AND expires_at > ?`, n.UserID, ms(tx.now)).Scan(&open); err != nil {
				return err
			}
			if open >= n.MaxOpen {
				r := refuse(RefuseTooManyInvoices, n.Asset, "%d top-up invoices are open, the most there may be: pay one of them or wait until one expires", open)
				r.Count, r.MaxCount = open, n.MaxOpen
				return r
			}
		}
		amount := n.Amount
		var comment sql.NullString
		if n.MemoLess {
			var err error
			if amount, err = tx.uniqueMemoLessAmount(ctx, n.Asset, n.Amount); err != nil {
				return err
			}
		} else {
			c, err := tx.uniqueComment(ctx)
			if err != nil {
				return err
			}
			comment = sql.NullString{String: c, Valid: true}
		}
		id = newInvoiceID()
		now := ms(tx.now)
		_, err := tx.ExecContext(ctx, `INSERT INTO invoices(id, user_id, merchant_id, asset, amount, comment, memo_less, status,
			description, payload, external_id, created_at, expires_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, ?)`,
			id, nullInt(n.UserID), nullInt(n.MerchantID), n.Asset, int64(amount), comment, n.MemoLess,
			n.Description, n.Payload, nullString(n.ExternalID), now, ms(tx.now.Add(n.TTL)), now)
		if isConstraint(err, 0) && n.ExternalID != "" {
			return fmt.Errorf("%w: external id %q already has an invoice", ErrDuplicate, n.ExternalID)
		}
		if err != nil {
			return err
		}
		if n.OwnAddress {
			if err := tx.invoiceWallet(ctx, id); err != nil {
				return err
			}
		}
		if n.By != nil {
			if err := tx.audit(ctx, *n.By, n.MerchantID, AuditInvoice, "invoice "+id, "",
				fmt.Sprintf("%s %s (smallest units): %s", amount.Units(), n.Asset, n.Description)); err != nil {
				return err
			}
		}
		tx.changed(Change{Kind: ChangeInvoice, UserID: n.UserID, MerchantID: n.MerchantID, ID: id})
		return nil
	})
	if err != nil {
		return Invoice{}, err
	}
	return db.Invoice(ctx, id)
}

// uniqueMemoLessAmount is the smallest amount >= want that no open memo-less
// invoice of the asset asks for (including ones still in their tolerance).
func (tx *Tx) uniqueMemoLessAmount(ctx context.Context, asset string, want Amount) (Amount, error) {
	rows, err := tx.QueryContext(ctx, `SELECT amount FROM invoices
		WHERE memo_less = 1 AND asset = ? AND amount >= ? AND amount < ? AND paid_amount = 0
		AND status IN ('created', 'pending', 'expired') AND expires_at > ?`,
		asset, int64(want), int64(want)+memoLessSpread, ms(tx.now.Add(-MemoLessTolerance)))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	taken := map[Amount]bool{}
	for rows.Next() {
		var a Amount
		if err := rows.Scan(&a); err != nil {
			return 0, err
		}
		taken[a] = true
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for k := Amount(0); k < memoLessSpread; k++ {
		if !taken[want+k] {
			return want + k, nil
		}
	}
	return 0, fmt.Errorf("%w: too many open memo-less invoices for this amount", ErrConflict)
}

// Invoice returns one invoice.
func (db *DB) Invoice(ctx context.Context, id string) (Invoice, error) {
	return scanInvoice(db.r.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE id = ?`, id))
}

// UserInvoice returns an invoice only if it belongs to the user.
func (db *DB) UserInvoice(ctx context.Context, userID int64, id string) (Invoice, error) {
	return scanInvoice(db.r.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE id = ? AND user_id = ?`, id, userID))
}

// MerchantInvoice returns an invoice only if it belongs to the merchant.
func (db *DB) MerchantInvoice(ctx context.Context, merchantID int64, id string) (Invoice, error) {
	return scanInvoice(db.r.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE id = ? AND merchant_id = ?`, id, merchantID))
}

// MerchantInvoices lists a merchant's invoices, newest first, before a
// cursor (an invoice's created_at in ms and id; zero = from the newest).
func (db *DB) MerchantInvoices(ctx context.Context, merchantID int64, status string, limit int) ([]Invoice, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+invoiceCols+` FROM invoices
		WHERE merchant_id = ? AND (? = '' OR status = ?) ORDER BY created_at DESC, id DESC LIMIT ?`,
		merchantID, status, status, limit)
	return scanRows(rows, err, scanInvoice)
}

// ErrInvoiceTaken: another user already reported paying this merchant
// invoice; the first who did stays its payer.
var ErrInvoiceTaken = fmt.Errorf("%w: another user reported paying this invoice", ErrConflict)

// MarkInvoicePending records that the user's wallet sent a payment for the
// invoice (the normalized hash of the external message it returned; the
// caller checked the message pays this invoice). Only an open invoice
// changes, a created one moving to pending; any other is returned as it
// stands. The hash is informational, never credit.
func (db *DB) MarkInvoicePending(ctx context.Context, userID int64, id, extMsgHash string) (Invoice, error) {
	err := db.write(ctx, func(tx *Tx) error {
		inv, err := scanInvoice(tx.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE id = ? AND user_id = ?`, id, userID))
		if err != nil {
			return err
		}
		if !inv.Open() {
			return nil
		}
		status := inv.Status
		if status == InvoiceCreated {
			status = InvoicePending
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET status = ?, ext_msg_hash = ?, updated_at = ? WHERE id = ?`,
			status, extMsgHash, ms(tx.now), id); err != nil {
			return err
		}
		tx.changed(inv.change())
		return nil
	})
	if err != nil {
		return Invoice{}, err
	}
	return db.Invoice(ctx, id)
}

// InvoiceForUser returns an invoice a Mini App user may see: their own
// top-up or any merchant invoice (whose 80-bit random id is the secret the
// pay link carries). Another user's top-up is ErrNotFound.
func (db *DB) InvoiceForUser(ctx context.Context, userID int64, id string) (Invoice, error) {
	return scanInvoice(db.r.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices
		WHERE id = ? AND (user_id = ? OR merchant_id IS NOT NULL)`, id, userID))
}

// MarkMerchantInvoicePending records that the user's wallet sent a payment
// for a merchant invoice: the normalized hash of the external message, and
// the user as its payer, whose event stream then hears the invoice's
// changes. Only an invoice still open and not past its expiry changes; any
// other is returned as it stands. The first user to report paying stays the
// payer: another user's report is ErrInvoiceTaken and changes nothing, the
// payer's own again only updates the hash. Top-ups are ErrNotFound here
// (their owner uses MarkInvoicePending). Crediting never depends on the
// payer.
func (db *DB) MarkMerchantInvoicePending(ctx context.Context, userID int64, id, extMsgHash string) (Invoice, error) {
	if userID == 0 {
		return Invoice{}, fmt.Errorf("%w: no user", ErrInvalid)
	}
	err := db.write(ctx, func(tx *Tx) error {
		inv, err := scanInvoice(tx.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices
			WHERE id = ? AND merchant_id IS NOT NULL`, id))
		if err != nil {
			return err
		}
		if !inv.Open() || !tx.now.Before(inv.ExpiresAt) {
			return nil
		}
		if inv.PayerID != 0 && inv.PayerID != userID {
			return ErrInvoiceTaken
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET status = 'pending', ext_msg_hash = ?, payer_user_id = ?, updated_at = ?
			WHERE id = ?`, extMsgHash, userID, ms(tx.now), id); err != nil {
			return err
		}
		inv.PayerID = userID
		tx.changed(inv.change())
		return nil
	})
	if err != nil {
		return Invoice{}, err
	}
	return db.Invoice(ctx, id)
}

// ExpireInvoices marks open invoices whose time was up before asOf as
// expired and queues an invoice.expired event for merchants. It returns how
// many expired. asOf is the time of the last block the follower booked: an
// invoice is late only by the chain's clock, never by this server's, and a
// memo-less one only after its tolerance.
func (db *DB) ExpireInvoices(ctx context.Context, asOf time.Time) (int, error) {
	var n int
	err := db.write(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+invoiceCols+` FROM invoices
			WHERE status IN ('created', 'pending') AND expires_at < ?1
			AND (memo_less = 0 OR expires_at < ?2) LIMIT 500`, ms(asOf), ms(asOf.Add(-MemoLessTolerance)))
		if err != nil {
			return err
		}
		var due []Invoice
		for rows.Next() {
			inv, err := scanInvoice(rows)
			if err != nil {
				rows.Close()
				return err
			}
			due = append(due, inv)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, inv := range due {
			if _, err := tx.ExecContext(ctx, `UPDATE invoices SET status = 'expired', updated_at = ? WHERE id = ?`, ms(tx.now), inv.ID); err != nil {
				return err
			}
			inv.Status = InvoiceExpired
			if err := tx.invoiceEvent(ctx, EventInvoiceExpired, inv); err != nil {
				return err
			}
			tx.changed(inv.change())
		}
		n = len(due)
		return nil
	})
	return n, err
}

// InvoiceEvent is the payload of invoice.* outbox events.
type InvoiceEvent struct {
	InvoiceID  string `json:"invoice_id"`
	ExternalID string `json:"external_id,omitempty"`
	Status     string `json:"status"`
	Asset      string `json:"asset"`
	Amount     string `json:"amount"`
	Paid       string `json:"paid"`
	Late       bool   `json:"late,omitempty"`
	Duplicate  bool   `json:"duplicate,omitempty"`
	TxHash     string `json:"tx_hash,omitempty"`
}

// invoiceEvent queues a webhook for a merchant's invoice; user invoices are
// announced by deposit.credited instead.
func (tx *Tx) invoiceEvent(ctx context.Context, typ EventType, inv Invoice, txHash ...string) error {
	if inv.MerchantID == 0 {
		return nil
	}
	ev := InvoiceEvent{InvoiceID: inv.ID, ExternalID: inv.ExternalID, Status: inv.Status, Asset: inv.Asset,
		Amount: inv.Amount.Units(), Paid: inv.Paid.Units(), Late: inv.Late, Duplicate: inv.Duplicate}
	if len(txHash) > 0 {
		ev.TxHash = txHash[0]
	}
	return tx.emit(ctx, TopicWebhook, typ, 0, inv.MerchantID, ev)
}

// asset returns a configured asset.
func (tx *Tx) asset(ctx context.Context, symbol string) (Asset, error) {
	a := Asset{Symbol: symbol}
	err := tx.QueryRowContext(ctx, `SELECT decimals, coalesce(master, '') FROM assets WHERE symbol = ?`, symbol).Scan(&a.Decimals, &a.Master)
	if errors.Is(err, sql.ErrNoRows) {
		return Asset{}, fmt.Errorf("%w: %s", ErrUnknownAsset, symbol)
	}
	return a, err
}
