package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Batch statuses. A batch is one signed Highload Wallet v3 external message
// paying up to 253 withdrawals (or sweeping to cold storage).
const (
	BatchBuilding  = "building"  // signed and stored; not yet known to have been sent
	BatchSent      = "sent"      // sent at least once; re-sent until seen on chain or expired
	BatchConfirmed = "confirmed" // executed on chain; per-withdrawal outcomes in batch items
	BatchExpired   = "expired"   // expired unprocessed: its withdrawals were queued again
	BatchFailed    = "failed"    // executed, but none of its messages went out
)

// Highload Wallet v3 query ids are shift<<10 | bit below 2^23; the contract
// never accepts bit number 1023.
const (
	MaxQueryID  = 1 << 23
	badQueryBit = 1023
)

// Batch is one external message of the hot wallet.
type Batch struct {
	ID          int64
	QueryID     uint32
	CreatedAt   int64 // created_at signed into the message (chain time, unix seconds)
	ExpiresAt   int64 // from then on the contract refuses the message
	BOC         []byte
	MsgHash     string // hex normalized hash of the external message
	Status      string
	SendCount   int
	TxHash      string // hex hash of the transaction that executed the external ("" until seen)
	Value       Amount // nanoton the batch sends out of the hot wallet
	Sweep       Amount // nanoton of Value going to cold storage
	Gas         Amount // nanogram of Value going to deposit wallets, the gas of their jetton sweeps
	GasMessages int    // how many messages carry it
	Note        string
	Withdrawals []int64
}

// Messages is how many outgoing messages the batch carries.
func (b Batch) Messages() int {
	n := len(b.Withdrawals)
	if b.Sweep > 0 {
		n++
	}
	return n + b.GasMessages
}

// NewBatch is a batch to reserve.
type NewBatch struct {
	Withdrawals []int64 // queued withdrawals to carry, in order
	Value       Amount  // nanoton leaving the hot wallet
	Sweep       Amount  // nanoton of Value to cold storage
	Gas         Amount  // nanogram of Value to deposit wallets (gas for their jetton sweeps)
	GasMessages int     // how many messages carry it
	CreatedAt   int64   // created_at to sign (chain time, unix seconds)
	TTL         int64   // the wallet's message timeout, seconds
	// Build signs the external message for the reserved query id and
	// returns its BOC and normalized hash. It runs inside the transaction:
	// nothing is stored unless it succeeds.
	Build func(queryID uint32, createdAt int64) (boc []byte, msgHash string, err error)
}

const batchCols = `id, query_id, created_at_chain, expires_at, coalesce(boc, ''), msg_hash, status, send_count, tx_hash, value, sweep, note, gas, gas_messages`

func scanBatch(row interface{ Scan(...any) error }) (Batch, error) {
	var b Batch
	var qid int64
	err := row.Scan(&b.ID, &qid, &b.CreatedAt, &b.ExpiresAt, &b.BOC, &b.MsgHash, &b.Status, &b.SendCount, &b.TxHash, &b.Value, &b.Sweep, &b.Note, &b.Gas, &b.GasMessages)
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, ErrNotFound
	}
	b.QueryID = uint32(qid)
	return b, err
}

// ReserveBatch persists a batch before anything is sent, in ONE transaction:
// it allocates the next query id, has n.Build sign the message with it,
// stores the BOC and its hash, and moves the withdrawals from queued to sent
// in this batch (announcing withdrawal.sent the first time one is sent).
// A withdrawal that is no longer queued aborts the whole reservation with
// ErrConflict.
//
// Query ids come from a persisted sequence: the one after the last batch's,
// wrapping below 2^23, never with bit number 1023, and never one a batch
// signed within the last four message timeouts. The contract forgets
// processed ids lazily, when an external rotates its two dictionaries: an id
// processed at T (at most one timeout after its created_at) can still be
// refused up to three timeouts later.
func (db *DB) ReserveBatch(ctx context.Context, n NewBatch) (Batch, error) {
	if len(n.Withdrawals) == 0 && n.Sweep <= 0 && n.Gas <= 0 {
		return Batch{}, fmt.Errorf("%w: a batch carries withdrawals, a sweep or gas", ErrInvalid)
	}
	if n.Build == nil || n.TTL <= 0 || n.CreatedAt <= 0 || n.Sweep < 0 || n.Gas < 0 || n.Value < n.Sweep+n.Gas ||
		(n.Gas > 0) != (n.GasMessages > 0) {
		return Batch{}, fmt.Errorf("%w: batch needs a builder, a ttl, created_at and value >= sweep + gas, each >= 0", ErrInvalid)
	}
	var b Batch
	err := db.write(ctx, func(tx *Tx) error {
		qid, err := tx.nextQueryID(ctx, n.CreatedAt-4*n.TTL-60)
		if err != nil {
			return err
		}
		boc, hash, err := n.Build(qid, n.CreatedAt)
		if err != nil {
			return fmt.Errorf("build batch: %w", err)
		}
		now := ms(tx.now)
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO batches(query_id, created_at_chain, expires_at, boc, msg_hash, status, value, sweep, gas, gas_messages, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			int64(qid), n.CreatedAt, n.CreatedAt+n.TTL, boc, hash, BatchBuilding, int64(n.Value), int64(n.Sweep), int64(n.Gas), n.GasMessages, now, now).Scan(&id)
		if err != nil {
			return err
		}
		for _, wid := range n.Withdrawals {
			var earlier int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM batch_items WHERE withdrawal_id = ?`, wid).Scan(&earlier); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO batch_items(batch_id, withdrawal_id) VALUES (?, ?)`, id, wid); err != nil {
				return err
			}
			w, err := tx.moveWithdrawal(ctx, wid, WithdrawalQueued, WithdrawalSent, "")
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE withdrawals SET batch_id = ? WHERE id = ?`, id, wid); err != nil {
				return err
			}
			if earlier == 0 {
				w.BatchID = id
				if err := tx.WithdrawalEvent(ctx, w); err != nil {
					return err
				}
			}
		}
		b, err = tx.batch(ctx, id)
		return err
	})
	return b, err
}

// nextQueryID allocates the query id after the last batch's. Ids used by a
// batch created after usedAfter are skipped: the contract may still hold them.
func (tx *Tx) nextQueryID(ctx context.Context, usedAfter int64) (uint32, error) {
	var last int64 = -1
	err := tx.QueryRowContext(ctx, `SELECT query_id FROM batches ORDER BY id DESC LIMIT 1`).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	q := last
	for range 4096 {
		q = (q + 1) % MaxQueryID
		if q&1023 == badQueryBit {
			continue
		}
		var used int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM batches WHERE query_id = ? AND created_at_chain > ?`, q, usedAfter).Scan(&used); err != nil {
			return 0, err
		}
		if used == 0 {
			return uint32(q), nil
		}
	}
	return 0, fmt.Errorf("%w: no free query id", ErrConflict)
}

func (tx *Tx) batch(ctx context.Context, id int64) (Batch, error) {
	b, err := scanBatch(tx.QueryRowContext(ctx, `SELECT `+batchCols+` FROM batches WHERE id = ?`, id))
	if err != nil {
		return Batch{}, err
	}
	b.Withdrawals, err = batchWithdrawals(ctx, tx, id)
	return b, err
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func batchWithdrawals(ctx context.Context, q querier, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT withdrawal_id FROM batch_items WHERE batch_id = ? ORDER BY withdrawal_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var w int64
		if err := rows.Scan(&w); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Batch returns one batch with its withdrawals.
func (db *DB) Batch(ctx context.Context, id int64) (Batch, error) {
	b, err := scanBatch(db.r.QueryRowContext(ctx, `SELECT `+batchCols+` FROM batches WHERE id = ?`, id))
	if err != nil {
		return Batch{}, err
	}
	b.Withdrawals, err = batchWithdrawals(ctx, db.r, id)
	return b, err
}

// Batches lists batches in the given statuses (all when none), oldest
// first, with their withdrawals.
func (db *DB) Batches(ctx context.Context, statuses ...string) ([]Batch, error) {
	q := `SELECT ` + batchCols + ` FROM batches`
	args := make([]any, len(statuses))
	if len(statuses) > 0 {
		q += ` WHERE status IN (?` + strings.Repeat(`, ?`, len(statuses)-1) + `)`
		for i, s := range statuses {
			args[i] = s
		}
	}
	rows, err := db.r.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	var out []Batch
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Withdrawals, err = batchWithdrawals(ctx, db.r, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BatchWithdrawals returns the withdrawals a batch carries (in whatever
// status they are now), by id.
func (db *DB) BatchWithdrawals(ctx context.Context, batchID int64) ([]Withdrawal, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+withdrawalCols+` FROM withdrawals
		WHERE id IN (SELECT withdrawal_id FROM batch_items WHERE batch_id = ?) ORDER BY id`, batchID)
	return scanRows(rows, err, scanWithdrawal)
}

// OpenBatches lists the batches not settled yet (building or sent), oldest first.
func (db *DB) OpenBatches(ctx context.Context) ([]Batch, error) {
	return db.Batches(ctx, BatchBuilding, BatchSent)
}

// MarkBatchSent records one more send of a batch's BOC.
func (db *DB) MarkBatchSent(ctx context.Context, id int64) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE batches SET send_count = send_count + 1, updated_at = ?,
			status = CASE status WHEN 'building' THEN 'sent' ELSE status END WHERE id = ?`, ms(tx.now), id)
		return err
	})
}

// NoteBatch records a remark on a batch (why it is stuck, for admins).
func (db *DB) NoteBatch(ctx context.Context, id int64, note string) error {
	return db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE batches SET note = ?, updated_at = ? WHERE id = ?`, note, ms(tx.now), id)
		return err
	})
}

// InFlight is what the payer has committed but the hot wallet still holds.
type InFlight struct {
	TON     Amount            // nanoton of batches not settled yet
	Jettons map[string]Amount // jettons of withdrawals sent but not yet out of our jetton wallets
}

// Available is what our wallets hold by the ledger (equal to the chain at
// the last block the follower booked, or reconciliation says otherwise) less
// what the payer has committed and not settled: the holdings and the
// commitments read in ONE snapshot, so a batch settled in between is never
// missing from both or counted in both.
func (db *DB) Available(ctx context.Context) (map[string]Amount, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	out := map[string]Amount{}
	rows, err := tx.QueryContext(ctx, `SELECT b.asset, b.balance FROM balances b JOIN accounts a ON a.id = b.account_id WHERE a.name = ?`, AccountHot)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var asset string
		var bal int64
		if err := rows.Scan(&asset, &bal); err != nil {
			rows.Close()
			return nil, err
		}
		out[asset] = -Amount(bal)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f, err := inFlight(ctx, tx)
	if err != nil {
		return nil, err
	}
	out[TON.Symbol] -= f.TON
	for a, v := range f.Jettons {
		out[a] -= v
	}
	return out, nil
}

// InFlight sums the hot wallet's commitments, for the payer's balance check.
// A batch counts with its whole value until it is settled: one whose
// internal_transfer is on its way is counted twice for a moment (the value
// already left the balance), which errs on the safe side.
func (db *DB) InFlight(ctx context.Context) (InFlight, error) {
	return inFlight(ctx, db.r)
}

type rowQuerier interface {
	querier
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func inFlight(ctx context.Context, q rowQuerier) (InFlight, error) {
	f := InFlight{Jettons: map[string]Amount{}}
	var ton int64
	if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(value), 0) FROM batches WHERE status IN ('building', 'sent')`).Scan(&ton); err != nil {
		return f, err
	}
	f.TON = Amount(ton)
	rows, err := q.QueryContext(ctx, `SELECT asset, sum(amount) FROM withdrawals WHERE status = ? AND asset <> ? AND left_at IS NULL GROUP BY asset`, WithdrawalSent, TON.Symbol)
	if err != nil {
		return f, err
	}
	defer rows.Close()
	for rows.Next() {
		var asset string
		var sum int64
		if err := rows.Scan(&asset, &sum); err != nil {
			return f, err
		}
		f.Jettons[asset] = Amount(sum)
	}
	return f, rows.Err()
}
