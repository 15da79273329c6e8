package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// copyTables are the tables CopyToPostgres copies, parents before the
// tables that point at them. A table a migration adds is added here too
// (TestCopyToPostgresCoversEveryTable fails until it is).
var copyTables = []string{
	"assets", "users", "wallets", "merchants", "accounts", "transfers", "entries", "balances",
	"invoices", "chain_events", "chain_cursors", "batches", "withdrawals", "batch_items", "proof_nonces",
	"outbox", "reconciliations", "payout_pause", "drift_state", "drift_acks", "star_payments",
	"star_subscriptions", "merchant_owners", "audit_log", "unmatched_resolutions", "star_subscription_updates",
	"deposit_wallets", "deposit_jetton_wallets", "deposit_holdings", "follower_state", "leader_lease", "bot_quotes",
}

// identityTables have an id the database assigns: after the copy their
// sequences continue after the copied ids.
var identityTables = []string{"merchants", "accounts", "transfers", "entries", "chain_events", "batches",
	"withdrawals", "outbox", "audit_log", "star_subscription_updates", "deposit_wallets"}

// CopyReport is what CopyToPostgres copied and found.
type CopyReport struct {
	Schema    string           // the last migration of both databases
	Rows      map[string]int64 // per table, equal in both
	Balances  int              // cached balances compared, all equal
	Transfers int64
	Entries   int64
}

// CopyToPostgres copies the SQLite database at src, which must be at this
// build's schema, into the empty PostgreSQL database at dst (created or
// brought to the same schema first), in one transaction, and verifies the
// copy: the same rows in every table, every cached balance equal, and the
// ledger's invariants holding in both (Audit). Nothing is written to src.
func CopyToPostgres(ctx context.Context, src, dst string) (CopyReport, error) {
	var rep CopyReport
	if !IsPostgresURL(dst) {
		return rep, fmt.Errorf("%w: the destination is not a PostgreSQL URL", ErrInvalid)
	}
	from, err := OpenReadOnly(ctx, src)
	if err != nil {
		return rep, fmt.Errorf("source %s: %w", src, err)
	}
	defer from.Close()
	applied, err := from.Migrations(ctx)
	if err != nil {
		return rep, fmt.Errorf("source %s: %w", src, err)
	}
	if pending, unknown := MigrationState(applied); len(pending)+len(unknown) > 0 {
		return rep, fmt.Errorf("%w: the source's schema is not this tonpay's (pending %v, unknown %v): run tonpay migrate on it first, with this version", ErrInvalid, pending, unknown)
	}
	rep.Schema = applied[len(applied)-1]
	if problems, err := from.Audit(ctx); err != nil || len(problems) > 0 {
		return rep, fmt.Errorf("the source's ledger does not verify: %v %s", err, strings.Join(problems, "; "))
	}
	to, err := Open(ctx, dst)
	if err != nil {
		return rep, fmt.Errorf("destination: %w", err)
	}
	defer to.Close()
	for _, t := range copyTables {
		var n int64
		if err := to.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return rep, fmt.Errorf("destination: %w", err)
		}
		if n > 0 {
			return rep, fmt.Errorf("%w: the destination is not empty (%s has %d rows): copy into an empty database", ErrConflict, t, n)
		}
	}

	rep.Rows = map[string]int64{}
	tx, err := to.w.BeginTx(ctx, nil)
	if err != nil {
		return rep, err
	}
	defer tx.Rollback()
	for _, t := range copyTables {
		n, err := copyTable(ctx, from.r, tx, t)
		if err != nil {
			return rep, fmt.Errorf("copy %s: %w", t, err)
		}
		rep.Rows[t] = n
	}
	for _, t := range identityTables {
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'id'), coalesce(max(id), 0) + 1, false) FROM `+t); err != nil {
			return rep, fmt.Errorf("continue the ids of %s: %w", t, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return rep, err
	}
	rep.Transfers, rep.Entries = rep.Rows["transfers"], rep.Rows["entries"]
	return rep, verifyCopy(ctx, from, to, &rep)
}

// copyTable copies every row of table from src into tx, in rowid order
// (the order the queries break ties by), and returns how many.
func copyTable(ctx context.Context, src *sql.DB, tx *sql.Tx, table string) (int64, error) {
	rows, err := src.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY rowid`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO `+table+`(`+strings.Join(cols, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(cols)-1)+`)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// verifyCopy compares the copy with its source: the rows of every table,
// every cached balance, the ledger's invariants in the copy.
func verifyCopy(ctx context.Context, from, to *DB, rep *CopyReport) error {
	var errs []error
	for _, t := range copyTables {
		var a, b int64
		if err := from.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&a); err != nil {
			return err
		}
		if err := to.r.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&b); err != nil {
			return err
		}
		if a != b || a != rep.Rows[t] {
			errs = append(errs, fmt.Errorf("%s: %d rows in the source, %d in the copy", t, a, b))
		}
	}
	balances := func(db *DB) (map[string]int64, error) {
		rows, err := db.r.QueryContext(ctx, `SELECT a.name, b.asset, b.balance FROM balances b JOIN accounts a ON a.id = b.account_id`)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[string]int64{}
		for rows.Next() {
			var name, asset string
			var bal int64
			if err := rows.Scan(&name, &asset, &bal); err != nil {
				return nil, err
			}
			out[name+" "+asset] = bal
		}
		return out, rows.Err()
	}
	a, err := balances(from)
	if err != nil {
		return err
	}
	b, err := balances(to)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v, ok := b[k]; !ok || v != a[k] {
			errs = append(errs, fmt.Errorf("balance %s: %d in the source, %d in the copy", k, a[k], v))
		}
	}
	if len(b) != len(a) {
		errs = append(errs, fmt.Errorf("%d balances in the source, %d in the copy", len(a), len(b)))
	}
	rep.Balances = len(a)
	problems, err := to.Audit(ctx)
	if err != nil {
		return err
	}
	for _, p := range problems {
		errs = append(errs, errors.New("the copy's ledger: "+p))
	}
	return errors.Join(errs...)
}

// CopiedTables lists the tables CopyToPostgres copies.
func CopiedTables() []string { return slices.Clone(copyTables) }
