package store

// The leader's lease and fencing. Several nodes may run on one database
// (PostgreSQL); exactly one follows the chain, pays, sweeps and delivers
// webhooks: the holder of the lease. Its work runs with a context carrying
// the lease (WithLease), and every write made with such a context first
// checks, inside its own transaction, that the lease is still that holder's
// at that epoch and not expired. On SQLite the single writer orders the
// check with any takeover; on PostgreSQL the serializable transaction does
// (the check reads the row a takeover writes: one of the two is retried or
// fails). A node paused past its lease (a long GC, a frozen VM) wakes to
// ErrFenced on its first write and on its first send (CheckLease).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrFenced means the lease a write was made under is no longer its
// holder's: another node leads now. The write changed nothing.
var ErrFenced = errors.New("fenced: this node no longer holds the leader's lease")

// Lease is the leader's lease as one node holds it.
type Lease struct {
	Holder  string
	Epoch   int64
	Expires time.Time
}

type leaseKey struct{}

// WithLease makes every write under ctx fenced by l.
func WithLease(ctx context.Context, l Lease) context.Context {
	return context.WithValue(ctx, leaseKey{}, l)
}

// LeaseOf is the lease ctx carries, if any.
func LeaseOf(ctx context.Context) (Lease, bool) {
	l, ok := ctx.Value(leaseKey{}).(Lease)
	return l, ok
}

// fence refuses the transaction when ctx carries a lease that is no longer
// its holder's (another epoch, another holder, or expired by the
// transaction's clock).
func (tx *Tx) fence(ctx context.Context) error {
	l, ok := LeaseOf(ctx)
	if !ok {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM leader_lease WHERE id = 1 AND holder = ? AND epoch = ? AND expires_at > ?`,
		l.Holder, l.Epoch, ms(tx.now)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w (holder %s, epoch %d)", ErrFenced, l.Holder, l.Epoch)
	}
	return nil
}

// CheckLease is fence on its own, for what is not a write: the payer and
// the sweeper ask it right before sending an external message.
func (db *DB) CheckLease(ctx context.Context) error {
	l, ok := LeaseOf(ctx)
	if !ok {
		return nil
	}
	var n int
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM leader_lease WHERE id = 1 AND holder = ? AND epoch = ? AND expires_at > ?`,
		l.Holder, l.Epoch, ms(db.now())).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w (holder %s, epoch %d)", ErrFenced, l.Holder, l.Epoch)
	}
	return nil
}

// AcquireLease takes the lease for holder for ttl, or renews it when holder
// has it (same epoch): ok reports whether holder leads now. A lease still
// valid for another holder is left alone; an expired one is taken with the
// next epoch.
func (db *DB) AcquireLease(ctx context.Context, holder string, ttl time.Duration) (Lease, bool, error) {
	if holder == "" || ttl <= 0 {
		return Lease{}, false, fmt.Errorf("%w: a lease needs a holder and a ttl", ErrInvalid)
	}
	var out Lease
	var ok bool
	err := db.write(ctx, func(tx *Tx) error {
		out, ok = Lease{}, false
		var cur Lease
		var exp int64
		err := tx.QueryRowContext(ctx, `SELECT holder, epoch, expires_at FROM leader_lease WHERE id = 1`).Scan(&cur.Holder, &cur.Epoch, &exp)
		now := ms(tx.now)
		until := ms(tx.now.Add(ttl))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out, ok = Lease{Holder: holder, Epoch: 1, Expires: fromMS(until)}, true
			_, err = tx.ExecContext(ctx, `INSERT INTO leader_lease(id, holder, epoch, expires_at, updated_at) VALUES (1, ?, 1, ?, ?)`, holder, until, now)
			return err
		case err != nil:
			return err
		case cur.Holder == holder && exp > now:
			out, ok = Lease{Holder: holder, Epoch: cur.Epoch, Expires: fromMS(until)}, true
		case exp <= now:
			out, ok = Lease{Holder: holder, Epoch: cur.Epoch + 1, Expires: fromMS(until)}, true
		default:
			out = Lease{Holder: cur.Holder, Epoch: cur.Epoch, Expires: fromMS(exp)}
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE leader_lease SET holder = ?, epoch = ?, expires_at = ?, updated_at = ? WHERE id = 1`,
			holder, out.Epoch, until, now)
		return err
	})
	return out, ok, err
}

// ReleaseLease gives the lease up at once (a node shutting down), if it is
// still l's.
func (db *DB) ReleaseLease(ctx context.Context, l Lease) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE leader_lease SET expires_at = ?, updated_at = ? WHERE id = 1 AND holder = ? AND epoch = ?`,
			ms(tx.now), ms(tx.now), l.Holder, l.Epoch)
		return err
	})
}

// Leader is the lease as the database has it (ErrNotFound before any).
func (db *DB) Leader(ctx context.Context) (Lease, error) {
	var l Lease
	var exp int64
	err := db.r.QueryRowContext(ctx, `SELECT holder, epoch, expires_at FROM leader_lease WHERE id = 1`).Scan(&l.Holder, &l.Epoch, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return Lease{}, ErrNotFound
	}
	l.Expires = fromMS(exp)
	return l, err
}
