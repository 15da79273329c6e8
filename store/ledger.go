package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// System ledger accounts. User and merchant accounts are named by UserAccount
// and MerchantAccount.
const (
	AccountHot       = "chain:hot"        // what the hot wallet holds on chain
	AccountFees      = "fees"             // withdrawal fees earned minus network fees paid
	AccountUnmatched = "unmatched"        // incoming transfers nobody claimed (yet)
	AccountHold      = "hold:withdrawals" // debited withdrawals not yet paid out
	AccountSales     = "sales"            // what users paid for credit packages
	AccountIssued    = "issued:credits"   // counterpart of credits handed out
	AccountCold      = "chain:cold"       // swept to cold storage
	AccountAdjust    = "adjustments"      // admin corrections
)

// UserAccount is the ledger account of a Telegram user.
func UserAccount(userID int64) string { return "user:" + strconv.FormatInt(userID, 10) }

// MerchantAccount is the ledger account of a merchant.
func MerchantAccount(merchantID int64) string {
	return "merchant:" + strconv.FormatInt(merchantID, 10)
}

// nonNegative tells whether an account's balances may never go below zero.
func nonNegative(account string) bool {
	return strings.HasPrefix(account, "user:") || strings.HasPrefix(account, "merchant:")
}

// Asset is a currency the ledger counts: Gram (the native coin), a jetton,
// or an off-chain unit such as package credits.
type Asset struct {
	Symbol   string
	Decimals int
	Master   string // jetton master address (raw); empty for Gram and off-chain assets
	Name     string // display name ("Gram"); the symbol when empty (DisplayName)
}

// The native coin of TON is Gram, asset code GRAM, since the ticker change
// of 2026-06-30 (formerly Toncoin, TON; the same coin and 9 decimals, its
// smallest unit now called a nanogram). Every face answers GRAM and accepts
// the old code TON as an alias (CanonicalSymbol); a database written before
// the rename is upgraded by migration 0008_gram.sql.
const (
	NativeSymbol       = "GRAM"
	LegacyNativeSymbol = "TON"
)

// TON is the native coin, Gram (GRAM). The Go name stays: the coin is the
// network's own.
var TON = Asset{Symbol: NativeSymbol, Decimals: 9, Name: "Gram"}

// CanonicalSymbol is the asset code a symbol as given names: trimmed,
// upper-cased, and the native coin's former code TON read as GRAM. It is the
// only place the alias is resolved: the rule book (Policy.Asset) and the
// configuration's per-asset values go through it. A jetton is never named
// GRAM or TON (the configuration refuses it): a community jetton with the
// ticker GRAM is not the native coin, and is known only by its master.
func CanonicalSymbol(symbol string) string {
	s := strings.ToUpper(strings.TrimSpace(symbol))
	if s == LegacyNativeSymbol {
		return NativeSymbol
	}
	return s
}

// IsNativeSymbol reports whether a symbol names the native coin (GRAM, or
// its alias TON, in any case).
func IsNativeSymbol(symbol string) bool { return CanonicalSymbol(symbol) == NativeSymbol }

// SyncAssets records the configured assets. An asset's decimals can never
// change once recorded: every stored amount depends on them.
func (db *DB) SyncAssets(ctx context.Context, assets []Asset) error {
	err := db.write(ctx, func(tx *Tx) error {
		for _, a := range assets {
			if a.Symbol == "" || a.Decimals < 0 || a.Decimals > MaxDecimals {
				return fmt.Errorf("%w: asset %q", ErrInvalid, a.Symbol)
			}
			var dec int
			var master sql.NullString
			err := tx.QueryRowContext(ctx, `SELECT decimals, master FROM assets WHERE symbol = ?`, a.Symbol).Scan(&dec, &master)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				_, err = tx.ExecContext(ctx, `INSERT INTO assets(symbol, decimals, master) VALUES (?, ?, ?)`,
					a.Symbol, a.Decimals, nullString(a.Master))
				if err != nil {
					return err
				}
			case err != nil:
				return err
			case dec != a.Decimals:
				return fmt.Errorf("%w: asset %s has %d decimals in the database, configured %d", ErrConflict, a.Symbol, dec, a.Decimals)
			case master.String != a.Master:
				if _, err := tx.ExecContext(ctx, `UPDATE assets SET master = ? WHERE symbol = ?`, nullString(a.Master), a.Symbol); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return db.loadKnown(ctx)
}

// Assets lists the recorded assets by symbol.
func (db *DB) Assets(ctx context.Context) ([]Asset, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT symbol, decimals, coalesce(master, '') FROM assets ORDER BY symbol`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Asset
	for rows.Next() {
		var a Asset
		if err := rows.Scan(&a.Symbol, &a.Decimals, &a.Master); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Posting is one leg of a transfer: Amount (positive credit, negative debit)
// of Asset on Account.
type Posting struct {
	Account string
	Asset   string
	Amount  Amount
}

// Transfer is a balanced set of postings. Key makes it idempotent: a transfer
// whose key was already posted is not posted again. Code builds transfers
// with Tx.book (transfer.go); Post is for tools and tests.
type Transfer struct {
	Key         string
	Kind        TransferKind
	Description string
	Ref         string
	Postings    []Posting
}

// Post records t atomically; t.Kind must be one of the closed set
// (transfer.go), an unknown kind is ErrInvalid. A replayed key returns the first transfer's id
// and ErrDuplicate when t has the first transfer's kind and legs, a
// *KeyConflictError (ErrConflict) when not; an overdraft of a user or merchant account returns
// ErrInsufficientFunds and changes nothing.
func (db *DB) Post(ctx context.Context, t Transfer) (int64, error) {
	var id int64
	err := db.write(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.post(ctx, t)
		return err
	})
	if errors.Is(err, ErrDuplicate) {
		return id, err
	}
	if err != nil {
		return 0, err
	}
	return id, nil
}

// post writes a transfer inside tx. On a replayed key it returns the existing
// id with ErrDuplicate, or a *KeyConflictError if the legs differ, having
// written nothing. Only book and Post call it.
func (tx *Tx) post(ctx context.Context, t Transfer) (int64, error) {
	if t.Key == "" || t.Kind == "" || len(t.Postings) < 2 {
		return 0, fmt.Errorf("%w: a transfer needs a key, a kind and at least two postings", ErrInvalid)
	}
	if !t.Kind.Known() {
		return 0, fmt.Errorf("%w: unknown transfer kind %q", ErrInvalid, t.Kind)
	}
	sums := map[string]Amount{}
	for _, p := range t.Postings {
		if p.Amount == 0 || p.Account == "" || p.Asset == "" {
			return 0, fmt.Errorf("%w: posting %+v", ErrInvalid, p)
		}
		s := sums[p.Asset] + p.Amount
		if (p.Amount > 0 && s < sums[p.Asset]) || (p.Amount < 0 && s > sums[p.Asset]) {
			return 0, fmt.Errorf("%w: amount overflow", ErrInvalid)
		}
		sums[p.Asset] = s
	}
	for asset, s := range sums {
		if s != 0 {
			return 0, fmt.Errorf("%w: %s sums to %d", ErrUnbalanced, asset, s)
		}
	}
	var existing int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM transfers WHERE key = ?`, t.Key).Scan(&existing)
	if err == nil {
		if err := tx.samePosted(ctx, existing, t); err != nil {
			return 0, err
		}
		return existing, fmt.Errorf("%w: transfer %q already posted", ErrDuplicate, t.Key)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	now := ms(tx.now)
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO transfers(key, kind, description, ref, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
		t.Key, t.Kind, t.Description, t.Ref, now).Scan(&id); err != nil {
		return 0, err
	}
	for _, p := range t.Postings {
		acc, nonneg, err := tx.account(ctx, p.Account)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO entries(transfer_id, account_id, asset, amount, created_at) VALUES (?, ?, ?, ?, ?)`,
			id, acc, p.Asset, int64(p.Amount), now); err != nil {
			if isConstraint(err, 0) {
				return 0, fmt.Errorf("%w: %s", ErrUnknownAsset, p.Asset)
			}
			return 0, err
		}
		if err := tx.addBalance(ctx, acc, nonneg, p); err != nil {
			return 0, err
		}
		if uid, ok := strings.CutPrefix(p.Account, "user:"); ok {
			u, _ := strconv.ParseInt(uid, 10, 64)
			tx.changed(Change{Kind: ChangeBalance, UserID: u})
		} else if mid, ok := strings.CutPrefix(p.Account, "merchant:"); ok {
			m, _ := strconv.ParseInt(mid, 10, 64)
			tx.changed(Change{Kind: ChangeBalance, MerchantID: m})
		}
	}
	return id, nil
}

// addBalance moves the cached balance by p.Amount. The conditional UPDATE is
// the overdraft check; the table's CHECK is the backstop. (An UPSERT would not
// do: SQLite checks the CHECK on the row to insert before it sees the
// conflict, so every debit would look like an overdraft.)
func (tx *Tx) addBalance(ctx context.Context, acc int64, nonneg int, p Posting) error {
	res, err := tx.ExecContext(ctx, `UPDATE balances SET balance = balance + ?1
		WHERE account_id = ?2 AND asset = ?3 AND (nonneg = 0 OR balance + ?1 >= 0)`, int64(p.Amount), acc, p.Asset)
	if err != nil {
		if isConstraint(err, 0) {
			return fmt.Errorf("%w: %s %s", ErrInsufficientFunds, p.Account, p.Asset)
		}
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM balances WHERE account_id = ? AND asset = ?`, acc, p.Asset).Scan(&exists); err != nil {
		return err
	}
	if exists > 0 || (nonneg == 1 && p.Amount < 0) {
		return fmt.Errorf("%w: %s %s", ErrInsufficientFunds, p.Account, p.Asset)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO balances(account_id, asset, balance, nonneg) VALUES (?, ?, ?, ?)`,
		acc, p.Asset, int64(p.Amount), nonneg)
	return err
}

// account returns the id of the named account, creating it on first use.
func (tx *Tx) account(ctx context.Context, name string) (int64, int, error) {
	nonneg := 0
	if nonNegative(name) {
		nonneg = 1
	}
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `INSERT INTO accounts(name, nonneg, created_at) VALUES (?, ?, ?) RETURNING id`,
			name, nonneg, ms(tx.now)).Scan(&id)
	}
	return id, nonneg, err
}

// Balance is the cached balance of one account in one asset.
func (db *DB) Balance(ctx context.Context, account, asset string) (Amount, error) {
	var b int64
	err := db.r.QueryRowContext(ctx, `SELECT b.balance FROM balances b JOIN accounts a ON a.id = b.account_id
		WHERE a.name = ? AND b.asset = ?`, account, asset).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return Amount(b), err
}

// Balances returns every non-zero-history balance of an account by asset.
func (db *DB) Balances(ctx context.Context, account string) (map[string]Amount, error) {
	st, err := db.read(ctx, `SELECT b.asset, b.balance FROM balances b JOIN accounts a ON a.id = b.account_id
		WHERE a.name = ?`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Amount{}
	for rows.Next() {
		var asset string
		var b int64
		if err := rows.Scan(&asset, &b); err != nil {
			return nil, err
		}
		out[asset] = Amount(b)
	}
	return out, rows.Err()
}

// balance reads a cached balance inside a write transaction.
func (tx *Tx) balance(ctx context.Context, account, asset string) (Amount, error) {
	var b int64
	err := tx.QueryRowContext(ctx, `SELECT b.balance FROM balances b JOIN accounts a ON a.id = b.account_id
		WHERE a.name = ? AND b.asset = ?`, account, asset).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return Amount(b), err
}

// Entry is one ledger line of an account, as history shows it.
type Entry struct {
	ID          int64
	TransferID  int64
	Account     string
	Asset       string
	Amount      Amount
	Kind        TransferKind
	Description string
	Ref         string
	CreatedAt   time.Time
}

// History returns an account's entries newest first, at most limit, older
// than the entry id before (0 = from the newest). The next page starts before
// the last returned entry's ID.
func (db *DB) History(ctx context.Context, account string, before int64, limit int) ([]Entry, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := db.r.QueryContext(ctx, `SELECT e.id, e.transfer_id, a.name, e.asset, e.amount, t.kind, t.description, t.ref, e.created_at
		FROM entries e JOIN accounts a ON a.id = e.account_id JOIN transfers t ON t.id = e.transfer_id
		WHERE a.name = ? AND e.id < ? ORDER BY e.id DESC LIMIT ?`, account, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var amt, at int64
		if err := rows.Scan(&e.ID, &e.TransferID, &e.Account, &e.Asset, &amt, &e.Kind, &e.Description, &e.Ref, &at); err != nil {
			return nil, err
		}
		e.Amount, e.CreatedAt = Amount(amt), fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Audit checks the ledger's invariants: entries sum to zero per asset, every
// cached balance equals the sum of its account's entries, and no user or
// merchant balance is negative. It returns a description of each violation.
func (db *DB) Audit(ctx context.Context) ([]string, error) { return audit(ctx, db.r) }

// audit is Audit on any connection pool: VerifyBackup runs it on a copy.
// It reads the entries once, summed per account and asset, and compares the
// sums with the cached balances (a check per block in the long tests, so
// one pass over the entries rather than one per invariant).
func audit(ctx context.Context, pool *sql.DB) ([]string, error) {
	type key struct {
		account int64
		asset   string
	}
	// One read transaction: the sums and the balances are of one snapshot
	// while the service books (on PostgreSQL that takes REPEATABLE READ:
	// under READ COMMITTED each statement would see its own).
	opts := &sql.TxOptions{ReadOnly: true}
	if _, ok := pool.Driver().(*stdlib.Driver); ok {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	sums := map[key]int64{}
	rows, err := tx.QueryContext(ctx, `SELECT account_id, asset, sum(amount) FROM entries GROUP BY account_id, asset`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var k key
		var s int64
		if err := rows.Scan(&k.account, &k.asset, &s); err != nil {
			rows.Close()
			return nil, err
		}
		sums[k] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var problems, negative []string
	perAsset := map[string]int64{}
	for k, s := range sums {
		perAsset[k.asset] += s
	}
	for _, asset := range slices.Sorted(maps.Keys(perAsset)) {
		if s := perAsset[asset]; s != 0 {
			problems = append(problems, fmt.Sprintf("entries of %s sum to %d", asset, s))
		}
	}
	rows, err = tx.QueryContext(ctx, `SELECT b.account_id, a.name, a.nonneg, b.asset, b.balance FROM balances b JOIN accounts a ON a.id = b.account_id`)
	if err != nil {
		return nil, err
	}
	cached := map[key]bool{}
	for rows.Next() {
		var k key
		var name string
		var nonneg bool
		var b int64
		if err := rows.Scan(&k.account, &name, &nonneg, &k.asset, &b); err != nil {
			rows.Close()
			return nil, err
		}
		cached[k] = true
		if s := sums[k]; b != s {
			problems = append(problems, fmt.Sprintf("%s %s: cached %d, entries %d", name, k.asset, b, s))
		}
		if nonneg && b < 0 {
			negative = append(negative, fmt.Sprintf("%s %s is negative: %d", name, k.asset, b))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var orphans []key
	for k := range sums {
		if !cached[k] {
			orphans = append(orphans, k)
		}
	}
	slices.SortFunc(orphans, func(x, y key) int {
		if c := cmp.Compare(x.account, y.account); c != 0 {
			return c
		}
		return cmp.Compare(x.asset, y.asset)
	})
	for _, k := range orphans {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM accounts WHERE id = ?`, k.account).Scan(&name); err != nil {
			return nil, err
		}
		problems = append(problems, fmt.Sprintf("%s %s has entries but no balance", name, k.asset))
	}
	return append(problems, negative...), nil
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
