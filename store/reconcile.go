package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Reconciliation is one comparison of what the ledger says our wallets hold
// of an asset with what the chain says they hold at a block.
type Reconciliation struct {
	Asset     string
	Block     uint32
	BlockTime time.Time
	Chain     Amount // on chain: the hot wallet's (or its jetton wallet's) plus every deposit wallet's
	Ledger    Amount // what the ledger says: minus chain:hot and every chain:deposit:<id>
	Hot       Amount // the hot wallet's own figure (Chain minus the deposit wallets')
	Drift     Amount // Chain - Ledger
	Since     time.Time
}

// ReconcileResult is what Reconcile found.
type ReconcileResult struct {
	Assets []Reconciliation
	// NewDrift: the drift differs from the last block's and is not zero:
	// admins were told (ledger.drift) and payouts paused, unless an admin
	// already resumed them through this very drift.
	NewDrift bool
	Paused   bool // payouts are paused (for any cause) after this call
	Cleared  bool // the drift went back to zero with this call
}

// Drifting reports whether any asset's drift is not zero.
func (r ReconcileResult) Drifting() bool {
	for _, a := range r.Assets {
		if a.Drift != 0 {
			return true
		}
	}
	return false
}

// DriftNotice is the payload of the ledger.drift admin notice.
type DriftNotice struct {
	Block  uint32        `json:"block"`
	Assets []DriftFigure `json:"assets"`
}

// DriftFigure is one asset of a drift notice, in decimal units.
type DriftFigure struct {
	Asset  string `json:"asset"`
	Chain  string `json:"chain"`
	Ledger string `json:"ledger"`
	Drift  string `json:"drift"`
}

// Holdings is what the ledger says our wallets hold, by asset: minus the
// balance of chain:hot.
func (db *DB) Holdings(ctx context.Context) (map[string]Amount, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT b.asset, sum(b.balance) FROM balances b JOIN accounts a ON a.id = b.account_id
		WHERE a.name = ? OR (a.name >= 'chain:deposit:' AND a.name < 'chain:deposit;') GROUP BY b.asset`, AccountHot)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Amount{}
	for rows.Next() {
		var a string
		var b int64
		if err := rows.Scan(&a, &b); err != nil {
			return nil, err
		}
		out[a] = -Amount(b)
	}
	return out, rows.Err()
}

// FollowerBlock is the last masterchain block the follower finished
// (ErrNotFound before its first).
func (db *DB) FollowerBlock(ctx context.Context) (uint32, error) {
	var b int64
	err := db.r.QueryRowContext(ctx, `SELECT block FROM follower_state WHERE id = 1`).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return uint32(b), err
}

// Reconcile compares the ledger with the chain after the follower booked up
// to block, in one transaction (so the ledger figure is of that moment).
// chain holds the chain's figure of each asset whose watched account was
// read at this block; an asset missing from it keeps its last chain figure
// (its account did not change). A drift that appears or changes is announced
// to admins once (ledger.drift) and pauses payouts; a drift back to zero
// lifts a pause it caused.
func (db *DB) Reconcile(ctx context.Context, block uint32, blockTime time.Time, chain map[string]Amount) (ReconcileResult, error) {
	return db.ReconcileAll(ctx, block, blockTime, chain, nil)
}

// ReconcileAll is Reconcile over every wallet of ours: hot holds the hot
// wallet's figures read at this block (an asset missing keeps its last
// one), deposits what each deposit wallet that changed in this block holds
// (the others keep theirs). The chain's figure of an asset is the hot
// wallet's plus every deposit wallet's; the ledger's, chain:hot plus every
// deposit wallet's account. The follower's block is recorded with it.
func (db *DB) ReconcileAll(ctx context.Context, block uint32, blockTime time.Time, chain map[string]Amount, deposits []DepositHolding) (ReconcileResult, error) {
	var res ReconcileResult
	err := db.write(ctx, func(tx *Tx) error {
		res = ReconcileResult{}
		assets := map[string]bool{}
		for a := range chain {
			assets[a] = true
		}
		for _, d := range deposits {
			assets[d.Asset] = true
			if _, err := tx.ExecContext(ctx, `INSERT INTO deposit_holdings(wallet_id, asset, chain, block) VALUES (?, ?, ?, ?)
				ON CONFLICT(wallet_id, asset) DO UPDATE SET chain = excluded.chain, block = excluded.block`,
				d.WalletID, d.Asset, int64(d.Chain), block); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO follower_state(id, block, updated_at) VALUES (1, ?, ?)
			ON CONFLICT(id) DO UPDATE SET block = excluded.block, updated_at = excluded.updated_at WHERE excluded.block > follower_state.block`,
			block, ms(tx.now)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT asset FROM reconciliations`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				rows.Close()
				return err
			}
			assets[a] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		names := make([]string, 0, len(assets))
		for a := range assets {
			names = append(names, a)
		}
		sort.Strings(names)
		var episode []string
		for _, a := range names {
			r := Reconciliation{Asset: a, Block: block, BlockTime: blockTime}
			var prevHot int64
			var since sql.NullInt64
			err := tx.QueryRowContext(ctx, `SELECT coalesce(hot, chain), since FROM reconciliations WHERE asset = ?`, a).Scan(&prevHot, &since)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			hot, ok := chain[a]
			if !ok {
				hot = Amount(prevHot)
			}
			var onDeposits, heldDeposits int64
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(chain), 0) FROM deposit_holdings WHERE asset = ?`, a).Scan(&onDeposits); err != nil {
				return err
			}
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(b.balance), 0) FROM balances b JOIN accounts ac ON ac.id = b.account_id
				WHERE b.asset = ? AND (ac.name >= 'chain:deposit:' AND ac.name < 'chain:deposit;')`, a).Scan(&heldDeposits); err != nil {
				return err
			}
			held, err := tx.balance(ctx, AccountHot, a)
			if err != nil {
				return err
			}
			r.Hot = hot
			r.Chain, r.Ledger = hot+Amount(onDeposits), -held-Amount(heldDeposits)
			r.Drift = r.Chain - r.Ledger
			switch {
			case r.Drift == 0:
				since = sql.NullInt64{}
			case !since.Valid:
				since = sql.NullInt64{Int64: ms(tx.now), Valid: true}
			}
			if since.Valid {
				r.Since = fromMS(since.Int64)
				episode = append(episode, a+"="+strconv.FormatInt(int64(r.Drift), 10))
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO reconciliations(asset, block, block_time, chain, ledger, drift, since, updated_at, hot)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(asset) DO UPDATE SET block = excluded.block, block_time = excluded.block_time,
				chain = excluded.chain, ledger = excluded.ledger, drift = excluded.drift, since = excluded.since, updated_at = excluded.updated_at,
				hot = excluded.hot`,
				a, block, blockTime.Unix(), int64(r.Chain), int64(r.Ledger), int64(r.Drift), since, ms(tx.now), int64(hot)); err != nil {
				if isConstraint(err, 0) {
					return fmt.Errorf("%w: %s", ErrUnknownAsset, a)
				}
				return err
			}
			res.Assets = append(res.Assets, r)
		}

		key := strings.Join(episode, ",")
		var last string
		err = tx.QueryRowContext(ctx, `SELECT episode FROM drift_state WHERE id = 1`).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO drift_state(id, episode, block, updated_at) VALUES (1, ?, ?, ?)
			ON CONFLICT(id) DO UPDATE SET episode = excluded.episode, block = excluded.block, updated_at = excluded.updated_at`,
			key, block, ms(tx.now)); err != nil {
			return err
		}
		switch {
		case key != "" && key != last:
			res.NewDrift = true
			n := DriftNotice{Block: block}
			var figures []string
			for _, r := range res.Assets {
				if r.Drift != 0 {
					dec := tx.db.registry().Decimals(r.Asset)
					f := DriftFigure{Asset: r.Asset, Chain: r.Chain.Format(dec), Ledger: r.Ledger.Format(dec), Drift: r.Drift.Format(dec)}
					n.Assets = append(n.Assets, f)
					figures = append(figures, f.Asset+" "+f.Drift+" (chain "+f.Chain+", ledger "+f.Ledger+")")
				}
			}
			if err := tx.emit(ctx, TopicBot, EventLedgerDrift, 0, 0, n); err != nil {
				return err
			}
			var acked int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM drift_acks WHERE episode = ?`, key).Scan(&acked); err != nil {
				return err
			}
			if acked == 0 {
				reason := "the ledger differs from the chain at block " + strconv.FormatUint(uint64(block), 10) + ": " + strings.Join(figures, "; ")
				// An admin's pause or a foreign message's hold stays what it is.
				if _, err := tx.ExecContext(ctx, `INSERT INTO payout_pause(id, reason, cause, episode, created_at) VALUES (1, ?, 'drift', ?, ?)
					ON CONFLICT(id) DO UPDATE SET reason = excluded.reason, cause = excluded.cause, episode = excluded.episode
					WHERE payout_pause.cause = 'drift'`,
					reason, key, ms(tx.now)); err != nil {
					return err
				}
			}
		case key == "" && last != "":
			res.Cleared = true
			if _, err := tx.ExecContext(ctx, `DELETE FROM payout_pause WHERE cause = 'drift'`); err != nil {
				return err
			}
			// An acknowledgement covers the drift it was given for: a later
			// drift of the same figure is a new one.
			if _, err := tx.ExecContext(ctx, `DELETE FROM drift_acks`); err != nil {
				return err
			}
		}
		var paused int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM payout_pause`).Scan(&paused); err != nil {
			return err
		}
		res.Paused = paused > 0
		return nil
	})
	return res, err
}

// Reconciliations returns the last comparison of each asset.
func (db *DB) Reconciliations(ctx context.Context) ([]Reconciliation, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT asset, block, block_time, chain, ledger, drift, coalesce(since, 0), coalesce(hot, chain)
		FROM reconciliations ORDER BY asset`)
	return scanRows(rows, err, func(r interface{ Scan(...any) error }) (Reconciliation, error) {
		var x Reconciliation
		var bt, since int64
		err := r.Scan(&x.Asset, &x.Block, &bt, &x.Chain, &x.Ledger, &x.Drift, &since, &x.Hot)
		x.BlockTime = time.Unix(bt, 0).UTC()
		if since != 0 {
			x.Since = fromMS(since)
		}
		return x, err
	})
}

// Causes of a payout pause.
const (
	PauseDrift   = "drift"   // the ledger differs from the chain; lifted when it is back to zero
	PauseAdmin   = "admin"   // an admin's /pause
	PauseForeign = "foreign" // money left the hot wallet in a message we did not sign; only an admin lifts it
)

// ForeignNotice is the payload of the ledger.foreign admin notice: the hot
// wallet did something tonpay did not sign (another holder of the seed).
type ForeignNotice struct {
	Account string `json:"account"`
	TxHash  string `json:"tx_hash,omitempty"`
	Asset   string `json:"asset,omitempty"`
	Amount  string `json:"amount,omitempty"` // what left, in decimal units
	Note    string `json:"note"`
}

// holdForeign pauses payouts for an admin (a drift's pause gives way; an
// admin's own stays) and tells admins.
func (tx *Tx) holdForeign(ctx context.Context, n ForeignNotice) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO payout_pause(id, reason, cause, created_at) VALUES (1, ?, 'foreign', ?)
		ON CONFLICT(id) DO UPDATE SET reason = excluded.reason, cause = excluded.cause, episode = ''
		WHERE payout_pause.cause = 'drift'`, "the hot wallet did something tonpay did not sign: "+n.Note, ms(tx.now)); err != nil {
		return err
	}
	return tx.emit(ctx, TopicBot, EventLedgerForeign, 0, 0, n)
}

// HoldForeign pauses payouts and tells admins that the hot wallet did
// something tonpay did not sign (e.g. a batch's query id processed by a
// message not in our history).
func (db *DB) HoldForeign(ctx context.Context, n ForeignNotice) error {
	return db.write(ctx, func(tx *Tx) error { return tx.holdForeign(ctx, n) })
}

// Pause is why payouts wait for an admin.
type Pause struct {
	Reason    string
	Cause     string // PauseDrift or PauseAdmin
	Episode   string
	CreatedAt time.Time
}

// PayoutPause returns the present pause; ok is false when payouts run.
func (db *DB) PayoutPause(ctx context.Context) (p Pause, ok bool, err error) {
	var at int64
	err = db.r.QueryRowContext(ctx, `SELECT reason, cause, episode, created_at FROM payout_pause WHERE id = 1`).
		Scan(&p.Reason, &p.Cause, &p.Episode, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Pause{}, false, nil
	}
	p.CreatedAt = fromMS(at)
	return p, err == nil, err
}

// PausePayouts stops new payouts until ResumePayouts (an admin's /pause).
func (db *DB) PausePayouts(ctx context.Context, by Actor, reason string) error {
	return db.write(ctx, func(tx *Tx) error {
		before := "running"
		var cause, was string
		switch err := tx.QueryRowContext(ctx, `SELECT cause, reason FROM payout_pause WHERE id = 1`).Scan(&cause, &was); {
		case err == nil:
			before = "paused (" + cause + "): " + was
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if err := tx.audit(ctx, by, 0, AuditPause, "payouts", before, "paused: "+reason); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO payout_pause(id, reason, cause, created_at) VALUES (1, ?, 'admin', ?)
			ON CONFLICT(id) DO UPDATE SET reason = excluded.reason, cause = excluded.cause, episode = ''`, reason, ms(tx.now))
		return err
	})
}

// ResumePayouts lifts the pause on behalf of an admin. A drift that is
// still there is acknowledged: it does not pause payouts again (a new,
// different drift does). It reports whether payouts were paused.
func (db *DB) ResumePayouts(ctx context.Context, by Actor) (was Pause, paused bool, err error) {
	err = db.write(ctx, func(tx *Tx) error {
		var at int64
		err := tx.QueryRowContext(ctx, `SELECT reason, cause, episode, created_at FROM payout_pause WHERE id = 1`).
			Scan(&was.Reason, &was.Cause, &was.Episode, &at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		paused, was.CreatedAt = true, fromMS(at)
		var episode string
		if err := tx.QueryRowContext(ctx, `SELECT episode FROM drift_state WHERE id = 1`).Scan(&episode); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if episode != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO drift_acks(episode, admin_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				episode, by.ID, ms(tx.now)); err != nil {
				return err
			}
		}
		if err := tx.audit(ctx, by, 0, AuditResume, "payouts", "paused ("+was.Cause+"): "+was.Reason, "running"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM payout_pause WHERE id = 1`)
		return err
	})
	return was, paused, err
}
