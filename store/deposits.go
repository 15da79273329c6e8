package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ChainEvent is one transaction on a watched account, as the scanner
// classified it.
type ChainEvent struct {
	ID        int64
	Account   string // watched account, raw form
	LT        uint64
	Hash      string // hex
	Time      time.Time
	Kind      string
	Asset     string
	Amount    Amount
	Sender    string
	Comment   string
	InvoiceID string
	UserID    int64
	Note      string
}

// DepositEvent is the payload of deposit.credited.
type DepositEvent struct {
	UserID    int64  `json:"user_id"`
	Asset     string `json:"asset"`
	Amount    string `json:"amount"`
	Balance   string `json:"balance"`
	InvoiceID string `json:"invoice_id,omitempty"`
	Status    string `json:"status,omitempty"` // the invoice's status after this payment
	Late      bool   `json:"late,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	TxHash    string `json:"tx_hash"`
	EventID   int64  `json:"chain_event_id"`
}

type match struct {
	kind       string
	invoice    Invoice // zero when no invoice
	userID     int64
	merchantID int64
	note       string
}

// match decides who an incoming payment belongs to:
//  1. its comment names an invoice: the invoice's owner (a late or repeated
//     payment of a user's invoice still goes to that user; of a merchant's
//     invoice, to the payer's linked user if any, else unmatched);
//  2. its comment is a user's personal comment: that user;
//  3. no comment and exactly one open memo-less invoice asks for this exact
//     amount of this asset: that invoice;
//  4. otherwise unmatched. Below the minimum it is dust.
func (tx *Tx) match(ctx context.Context, ev ChainEvent, in *Incoming) (match, error) {
	if in.Wallet != 0 {
		return tx.matchDepositWallet(ctx, ev, in)
	}
	if in.Amount < in.Min {
		return match{kind: KindDust, note: "below minimum " + in.Min.Units()}, nil
	}
	comment := NormalizeComment(in.Comment)
	if comment != "" {
		inv, err := scanInvoice(tx.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE comment = ?`, comment))
		if err == nil {
			return tx.matchInvoice(ctx, ev, in, inv)
		}
		if !errors.Is(err, ErrNotFound) {
			return match{}, err
		}
		var uid int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM users WHERE comment = ?`, comment).Scan(&uid)
		if err == nil {
			return match{kind: KindCredited, userID: uid, note: "personal comment"}, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return match{}, err
		}
		return match{kind: KindUnmatched, note: "unknown comment"}, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+invoiceCols+` FROM invoices
		WHERE memo_less = 1 AND asset = ? AND amount = ? AND status IN ('created', 'pending', 'expired') AND paid_amount = 0
		AND created_at <= ? AND expires_at >= ? LIMIT 2`,
		in.Asset, int64(in.Amount), ms(ev.Time.Add(MemoLessTolerance)), ms(ev.Time.Add(-MemoLessTolerance)))
	if err != nil {
		return match{}, err
	}
	var cands []Invoice
	for rows.Next() {
		inv, err := scanInvoice(rows)
		if err != nil {
			rows.Close()
			return match{}, err
		}
		cands = append(cands, inv)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return match{}, err
	}
	switch len(cands) {
	case 1:
		return tx.matchInvoice(ctx, ev, in, cands[0])
	case 0:
		return match{kind: KindUnmatched, note: "no comment"}, nil
	}
	return match{kind: KindUnmatched, note: "ambiguous memo-less amount"}, nil
}

// matchDepositWallet gives what arrived at a deposit wallet to its owner,
// comment or none: a user (dust below the minimum, like the hot wallet's),
// or the operator's capital.
func (tx *Tx) matchDepositWallet(ctx context.Context, ev ChainEvent, in *Incoming) (match, error) {
	var kind string
	var id int64
	var invoiceID sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT owner_kind, owner_id, invoice_id FROM deposit_wallets WHERE id = ?`, in.Wallet).Scan(&kind, &id, &invoiceID)
	if err != nil {
		return match{}, fmt.Errorf("deposit wallet %d: %w", in.Wallet, err)
	}
	if kind == OwnerOperator {
		return match{kind: KindCapital, note: "the operator's deposit address"}, nil
	}
	if in.Amount < in.Min {
		return match{kind: KindDust, note: "below minimum " + in.Min.Units() + " at a deposit address"}, nil
	}
	if kind == OwnerInvoice {
		// The invoice's own address: a payment of it, as its comment
		// would be (late, repeated or of another asset: the payer's).
		inv, err := scanInvoice(tx.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM invoices WHERE id = ?`, invoiceID.String))
		if err != nil {
			return match{}, fmt.Errorf("invoice %s of deposit wallet %d: %w", invoiceID.String, in.Wallet, err)
		}
		return tx.matchInvoice(ctx, ev, in, inv)
	}
	return match{kind: KindCredited, userID: id, note: "deposit address"}, nil
}

func (tx *Tx) matchInvoice(ctx context.Context, ev ChainEvent, in *Incoming, inv Invoice) (match, error) {
	m := match{kind: KindCredited, invoice: inv, userID: inv.UserID, merchantID: inv.MerchantID, note: "invoice"}
	// On time is judged by the block's time only: an invoice marked expired
	// after the block that paid it was made is still paid on time.
	deadline := inv.ExpiresAt
	if inv.MemoLess {
		deadline = deadline.Add(MemoLessTolerance)
	}
	onTime := (inv.Open() || inv.Status == InvoiceExpired) && !ev.Time.After(deadline)
	if in.Asset != inv.Asset || !onTime {
		// Not a payment of this invoice: credit whoever paid.
		switch {
		case in.Asset != inv.Asset:
			m.note = "asset differs from the invoice's"
		case inv.Status == InvoicePaid:
			m.note = "invoice already paid"
		default:
			m.note = "invoice expired"
		}
		if inv.MerchantID != 0 {
			m.merchantID = 0
			uid, err := tx.walletOwner(ctx, in.Sender)
			if err != nil {
				return match{}, err
			}
			m.userID = uid
			if uid == 0 {
				m.kind = KindUnmatched
				m.note += "; payer unknown"
			}
		}
	}
	return m, nil
}

// walletOwner is the one user who linked the address, or 0 when nobody or
// more than one user did.
func (tx *Tx) walletOwner(ctx context.Context, addr string) (int64, error) {
	if addr == "" {
		return 0, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT user_id FROM wallets WHERE address = ? LIMIT 2`, addr)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	if len(ids) != 1 {
		return 0, rows.Err()
	}
	return ids[0], rows.Err()
}

// settleMatch updates the invoice and queues the notifications.
func (tx *Tx) settleMatch(ctx context.Context, ev ChainEvent, m match, transferID int64) error {
	inv := m.invoice
	if inv.ID != "" {
		onTime := m.note == "invoice"
		switch {
		case onTime:
			inv.Paid += ev.Amount
			inv.Status = InvoicePending
			if inv.Paid >= inv.Amount {
				inv.Status = InvoicePaid
				inv.PaidAt = ev.Time
			}
		case inv.Asset != ev.Asset:
			// another asset says nothing about this invoice
		case inv.Status == InvoicePaid:
			inv.Duplicate = true
		default:
			// Late: credited to the payer, never to the invoice (a merchant
			// that ships when paid >= amount must not ship for it).
			inv.Late = true
			if inv.Open() {
				inv.Status = InvoiceExpired
			}
		}
		var paidAt sql.NullInt64
		if !inv.PaidAt.IsZero() {
			paidAt = sql.NullInt64{Int64: ms(inv.PaidAt), Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET paid_amount = ?, status = ?, late = ?, duplicate = ?, paid_at = ?, updated_at = ? WHERE id = ?`,
			int64(inv.Paid), inv.Status, inv.Late, inv.Duplicate, paidAt, ms(tx.now), inv.ID); err != nil {
			return err
		}
		tx.changed(inv.change())
		if inv.MerchantID != 0 {
			typ := InvoiceEventType(inv.Status)
			if !onTime {
				typ = EventInvoicePayment
			}
			if err := tx.invoiceEvent(ctx, typ, inv, ev.Hash); err != nil {
				return err
			}
		}
	}
	if m.userID != 0 && m.kind == KindCredited {
		bal, err := tx.balance(ctx, UserAccount(m.userID), ev.Asset)
		if err != nil {
			return err
		}
		d := DepositEvent{UserID: m.userID, Asset: ev.Asset, Amount: ev.Amount.Units(), Balance: bal.Units(),
			TxHash: ev.Hash, EventID: ev.ID}
		if inv.ID != "" && inv.UserID == m.userID {
			d.InvoiceID, d.Status, d.Late, d.Duplicate = inv.ID, inv.Status, inv.Late, inv.Duplicate
		}
		return tx.emit(ctx, TopicBot, EventDepositCredited, m.userID, 0, d)
	}
	return nil
}

// ChainEvents lists recorded events of the given kinds (all when none),
// newest first, before an id (0 = from the newest).
func (db *DB) ChainEvents(ctx context.Context, before int64, limit int, kinds ...string) ([]ChainEvent, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	q := `SELECT id, account, lt, hash, utime, kind, coalesce(asset, ''), amount, sender, comment, coalesce(invoice_id, ''),
		coalesce(user_id, 0), note FROM chain_events WHERE (? = 0 OR id < ?)`
	args := []any{before, before}
	if len(kinds) > 0 {
		q += ` AND kind IN (?` + repeat(",?", len(kinds)-1) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ChainEvent
	for rows.Next() {
		var e ChainEvent
		var t int64
		if err := rows.Scan(&e.ID, &e.Account, &e.LT, &e.Hash, &t, &e.Kind, &e.Asset, &e.Amount, &e.Sender, &e.Comment,
			&e.InvoiceID, &e.UserID, &e.Note); err != nil {
			return nil, err
		}
		e.Time = fromMS(t)
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountChainEvents counts recorded events per kind.
func (db *DB) CountChainEvents(ctx context.Context) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT kind, count(*) FROM chain_events GROUP BY kind`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
