package store

// The Mini App's hot reads: what a page asks on every open and while it
// waits (GET /api/me, the history, an invoice's status). On a networked
// database every statement is a round trip, so each of these is ONE
// statement on either engine, and each carries the user's standing (blocked
// by an administrator or not), read afresh: the Mini App's authentication
// then needs no read of its own for them, and a block is seen by every node
// on its next call.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
)

// MeView is what GET /api/me shows of a user, read in one statement.
type MeView struct {
	Blocked   bool       // an administrator blocked the user
	Comment   string     // the user's personal deposit comment
	Wallet    *Wallet    // the linked wallet; nil when none is linked
	Deposit   string     // the deposit address (raw); "" until it is first handed out
	Merchants []Merchant // the merchants the user owns, by id (ID and Name only)
	Balances  map[string]Amount
}

// meQuery is the user's row with their linked wallet and deposit address,
// then one row per merchant they own and one per balance: typed rows of a
// UNION ALL (the kind in the first column), so that one round trip reads
// them all on either engine.
const meQuery = `SELECT 'u', CASE WHEN u.blocked_at IS NULL THEN 0 ELSE 1 END, w.linked_at, u.comment, w.address, w.public_key, d.address
		FROM users u
		LEFT JOIN wallets w ON w.user_id = u.id
		LEFT JOIN deposit_wallets d ON d.owner_kind = 'user' AND d.owner_id = u.id
		WHERE u.id = ?1
	UNION ALL
	SELECT 'm', m.id, NULL, m.name, NULL, NULL, NULL
		FROM merchant_owners o JOIN merchants m ON m.id = o.merchant_id WHERE o.user_id = ?1
	UNION ALL
	SELECT 'b', b.balance, NULL, b.asset, NULL, NULL, NULL
		FROM accounts a JOIN balances b ON b.account_id = a.id WHERE a.name = ?2`

// Me reads what GET /api/me shows of a user in one statement. An unknown
// user is ErrNotFound. A deposit address not handed out yet is "" (the
// caller derives and records it with DepositWallet, once).
func (db *DB) Me(ctx context.Context, userID int64) (MeView, error) {
	st, err := db.read(ctx, meQuery)
	if err != nil {
		return MeView{}, err
	}
	rows, err := st.QueryContext(ctx, userID, UserAccount(userID))
	if err != nil {
		return MeView{}, err
	}
	defer rows.Close()
	out := MeView{Balances: map[string]Amount{}}
	found := false
	for rows.Next() {
		var kind, s1 string
		var n1 int64
		var n2 sql.NullInt64
		var s2, s3, s4 sql.NullString
		if err := rows.Scan(&kind, &n1, &n2, &s1, &s2, &s3, &s4); err != nil {
			return MeView{}, err
		}
		switch kind {
		case "u":
			found = true
			out.Blocked, out.Comment, out.Deposit = n1 == 1, s1, s4.String
			if s2.Valid {
				out.Wallet = &Wallet{UserID: userID, Address: s2.String, PublicKey: s3.String, LinkedAt: fromMS(n2.Int64)}
			}
		case "m":
			out.Merchants = append(out.Merchants, Merchant{ID: n1, Name: s1})
		case "b":
			out.Balances[s1] = Amount(n1)
		}
	}
	if err := rows.Err(); err != nil {
		return MeView{}, err
	}
	if !found {
		return MeView{}, ErrNotFound
	}
	slices.SortFunc(out.Merchants, func(a, b Merchant) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// DerivesDepositAddresses reports whether deposit addresses can be handed
// out (SetDepositDeriver was given one): without, a user who has none gets
// none, and asking DepositWallet would only read again what Me read.
func (db *DB) DerivesDepositAddresses() bool {
	d := db.deriver.Load()
	return d != nil && *d != nil
}

// HistoryEntry is an entry of a user's history with the hash of the
// withdrawal's transaction when the entry is a withdrawal or its refund
// ("" until it is sent).
type HistoryEntry struct {
	Entry
	WithdrawalTx string
}

// UserHistoryPage is a page of a user's history and their standing.
type UserHistoryPage struct {
	Blocked bool
	Entries []HistoryEntry
}

// userHistoryQuery is the user's row joined with a page of their entries
// (none: one row of NULLs), each with its withdrawal's transaction hash.
// A withdrawal's (or refund's) transfer names the withdrawal by id in its
// ref; the CASE casts only a ref of digits (PostgreSQL refuses to cast
// anything else) and the withdrawal must be the user's.
const userHistoryQuery = `SELECT CASE WHEN u.blocked_at IS NULL THEN 0 ELSE 1 END,
		h.id, h.transfer_id, h.asset, h.amount, h.kind, h.description, h.ref, h.created_at, h.tx_hash
	FROM users u LEFT JOIN (
		SELECT e.id, e.transfer_id, e.asset, e.amount, t.kind, t.description, t.ref, e.created_at, coalesce(w.tx_hash, '') AS tx_hash
		FROM accounts a JOIN entries e ON e.account_id = a.id JOIN transfers t ON t.id = e.transfer_id
		LEFT JOIN withdrawals w ON w.user_id = ?1 AND w.id = CASE
			WHEN t.kind IN ('withdrawal', 'refund') AND t.ref <> '' AND length(t.ref) <= 18 AND ltrim(t.ref, '0123456789') = ''
			THEN CAST(t.ref AS BIGINT) END
		WHERE a.name = ?2 AND e.id < ?3 ORDER BY e.id DESC LIMIT ?4
	) h ON 1 = 1
	WHERE u.id = ?1
	ORDER BY h.id DESC`

// UserHistory is History of the user's account, newest first, with the
// user's standing, in one statement. An unknown user is ErrNotFound.
func (db *DB) UserHistory(ctx context.Context, userID int64, before int64, limit int) (UserHistoryPage, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	st, err := db.read(ctx, userHistoryQuery)
	if err != nil {
		return UserHistoryPage{}, err
	}
	account := UserAccount(userID)
	rows, err := st.QueryContext(ctx, userID, account, before, limit)
	if err != nil {
		return UserHistoryPage{}, err
	}
	defer rows.Close()
	var out UserHistoryPage
	found := false
	for rows.Next() {
		var blocked int64
		var id, transfer, amount, at sql.NullInt64
		var asset, kind, desc, ref, tx sql.NullString
		if err := rows.Scan(&blocked, &id, &transfer, &asset, &amount, &kind, &desc, &ref, &at, &tx); err != nil {
			return UserHistoryPage{}, err
		}
		found, out.Blocked = true, blocked == 1
		if !id.Valid {
			continue // no entries
		}
		out.Entries = append(out.Entries, HistoryEntry{Entry: Entry{ID: id.Int64, TransferID: transfer.Int64, Account: account,
			Asset: asset.String, Amount: Amount(amount.Int64), Kind: TransferKind(kind.String), Description: desc.String,
			Ref: ref.String, CreatedAt: fromMS(at.Int64)}, WithdrawalTx: tx.String})
	}
	if err := rows.Err(); err != nil {
		return UserHistoryPage{}, err
	}
	if !found {
		return UserHistoryPage{}, ErrNotFound
	}
	return out, nil
}

// standingCol is the standing of the user ?1 as a column: 1 blocked, 0 not,
// NULL for an unknown user.
const standingCol = `(SELECT CASE WHEN blocked_at IS NULL THEN 0 ELSE 1 END FROM users WHERE id = ?1)`

// withStanding scans the standing column before the columns scan reads.
type withStanding struct {
	row     interface{ Scan(...any) error }
	blocked *sql.NullInt64
	extra   []any
}

func (w withStanding) Scan(dest ...any) error {
	return w.row.Scan(append(append([]any{w.blocked}, w.extra...), dest...)...)
}

// UserInvoiceView is UserInvoice with the user's standing, in one
// statement. A missing invoice is ErrNotFound (the standing is then not
// read: the caller asks UserBlocked).
func (db *DB) UserInvoiceView(ctx context.Context, userID int64, id string) (inv Invoice, blocked bool, err error) {
	st, err := db.read(ctx, `SELECT `+standingCol+`, `+invoiceCols+` FROM invoices WHERE id = ?2 AND user_id = ?1`)
	if err != nil {
		return Invoice{}, false, err
	}
	var b sql.NullInt64
	inv, err = scanInvoice(withStanding{row: st.QueryRowContext(ctx, userID, id), blocked: &b})
	return inv, b.Int64 == 1, err
}

// PayInvoiceView is an invoice a Mini App user may pay, as GET
// /api/invoices/{id} shows it, read in one statement.
type PayInvoiceView struct {
	Invoice
	Blocked  bool   // the user's standing
	Merchant string // the merchant's name; "" for a top-up
	Wallet   string // the user's linked wallet (raw); "" when none is linked
}

// PayInvoiceView is InvoiceForUser with the merchant's name, the user's
// linked wallet and their standing, in one statement. A missing invoice is
// ErrNotFound (the standing is then not read: the caller asks UserBlocked).
func (db *DB) PayInvoiceView(ctx context.Context, userID int64, id string) (PayInvoiceView, error) {
	st, err := db.read(ctx, `SELECT `+standingCol+`,
		coalesce((SELECT m.name FROM merchants m WHERE m.id = invoices.merchant_id), ''),
		coalesce((SELECT w.address FROM wallets w WHERE w.user_id = ?1), ''), `+invoiceCols+`
		FROM invoices WHERE id = ?2 AND (user_id = ?1 OR merchant_id IS NOT NULL)`)
	if err != nil {
		return PayInvoiceView{}, err
	}
	var v PayInvoiceView
	var b sql.NullInt64
	v.Invoice, err = scanInvoice(withStanding{row: st.QueryRowContext(ctx, userID, id), blocked: &b, extra: []any{&v.Merchant, &v.Wallet}})
	if err != nil {
		return PayInvoiceView{}, err
	}
	v.Blocked = b.Int64 == 1
	return v, nil
}

// UserBlocked reports whether an administrator blocked the user (an
// unknown user is not blocked): the standing alone, for calls whose own
// reads do not carry it.
func (db *DB) UserBlocked(ctx context.Context, userID int64) (bool, error) {
	st, err := db.read(ctx, `SELECT count(*) FROM users WHERE id = ? AND blocked_at IS NOT NULL`)
	if err != nil {
		return false, err
	}
	var n int
	if err := st.QueryRowContext(ctx, userID).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	return n > 0, nil
}
