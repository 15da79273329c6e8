package store

// Admin statistics: the overview's totals, the daily flows, deposits since
// a time and withdrawals per status.

import (
	"context"
	"time"
)

// DepositTotal is how many credited deposits of one asset were booked and
// their sum.
type DepositTotal struct {
	Count int
	Sum   Amount
}

// DepositsSince totals the credited deposits booked at or after since, per
// asset (admin statistics).
func (db *DB) DepositsSince(ctx context.Context, since time.Time) (map[string]DepositTotal, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT coalesce(asset, ''), count(*), coalesce(sum(amount), 0) FROM chain_events
		WHERE kind = ? AND created_at >= ? GROUP BY 1`, KindCredited, ms(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]DepositTotal{}
	for rows.Next() {
		var asset string
		var t DepositTotal
		if err := rows.Scan(&asset, &t.Count, &t.Sum); err != nil {
			return nil, err
		}
		out[asset] = t
	}
	return out, rows.Err()
}

// CountWithdrawals counts withdrawals per status.
func (db *DB) CountWithdrawals(ctx context.Context) (map[string]int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT status, count(*) FROM withdrawals GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// Totals are the admin overview's figures of one asset.
type Totals struct {
	Asset          string
	Users          Amount // sum of user balances
	Merchants      Amount // sum of merchant balances
	Fees           Amount
	Hot            Amount // what the ledger says the hot wallet holds
	OnDeposit      Amount // on deposit addresses, not yet swept to the hot wallet (the ledger's figure)
	Capital        Amount // the operator's own money (AccountCapital): never a user's, never unmatched
	Unmatched      Amount // on the unmatched account
	UnmatchedCount int    // unmatched and dust deposits nobody resolved yet
	Awaiting       Amount // withdrawals awaiting approval (amounts)
	AwaitingCount  int
}

// Overview totals every asset the ledger knows, keyed by symbol.
func (db *DB) Overview(ctx context.Context) (map[string]*Totals, error) {
	out := map[string]*Totals{}
	get := func(a string) *Totals {
		if out[a] == nil {
			out[a] = &Totals{Asset: a}
		}
		return out[a]
	}
	rows, err := db.r.QueryContext(ctx, `SELECT b.asset,
		coalesce(sum(b.balance) FILTER (WHERE a.name LIKE 'user:%'), 0),
		coalesce(sum(b.balance) FILTER (WHERE a.name LIKE 'merchant:%'), 0),
		coalesce(sum(b.balance) FILTER (WHERE a.name = ?), 0),
		coalesce(-sum(b.balance) FILTER (WHERE a.name = ?), 0),
		coalesce(sum(b.balance) FILTER (WHERE a.name = ?), 0),
		coalesce(-sum(b.balance) FILTER (WHERE a.name LIKE 'chain:deposit:%'), 0),
		coalesce(sum(b.balance) FILTER (WHERE a.name = ?), 0)
		FROM balances b JOIN accounts a ON a.id = b.account_id GROUP BY b.asset`, AccountFees, AccountHot, AccountUnmatched, AccountCapital)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var asset string
		var users, merchants, fees, hot, unmatched, onDeposit, capital int64
		if err := rows.Scan(&asset, &users, &merchants, &fees, &hot, &unmatched, &onDeposit, &capital); err != nil {
			rows.Close()
			return nil, err
		}
		t := get(asset)
		t.Users, t.Merchants, t.Fees, t.Hot, t.Unmatched = Amount(users), Amount(merchants), Amount(fees), Amount(hot), Amount(unmatched)
		t.OnDeposit, t.Capital = Amount(onDeposit), Amount(capital)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.r.QueryContext(ctx, `SELECT coalesce(e.asset, ''), count(*) FROM chain_events e
		LEFT JOIN unmatched_resolutions r ON r.event_id = e.id
		WHERE `+unmatchedWhere+` AND r.event_id IS NULL GROUP BY 1`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var asset string
		var n int
		if err := rows.Scan(&asset, &n); err != nil {
			rows.Close()
			return nil, err
		}
		get(asset).UnmatchedCount = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.r.QueryContext(ctx, `SELECT asset, count(*), sum(amount) FROM withdrawals WHERE status = ? GROUP BY asset`,
		WithdrawalAwaitingApproval)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var asset string
		var n int
		var sum int64
		if err := rows.Scan(&asset, &n, &sum); err != nil {
			return nil, err
		}
		t := get(asset)
		t.AwaitingCount, t.Awaiting = n, Amount(sum)
	}
	return out, rows.Err()
}

// DayFlow is one day's (UTC) deposits — every transfer in, by its block's
// time: credited, unmatched or dust — and confirmed withdrawals, per asset.
type DayFlow struct {
	Day         time.Time
	Deposits    map[string]Amount
	Withdrawals map[string]Amount
}

// DailyFlows returns the last days days (UTC, oldest first, today last),
// every day present.
func (db *DB) DailyFlows(ctx context.Context, days int) ([]DayFlow, error) {
	now := db.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	first := today.AddDate(0, 0, -(days - 1))
	out := make([]DayFlow, days)
	for i := range out {
		out[i] = DayFlow{Day: first.AddDate(0, 0, i), Deposits: map[string]Amount{}, Withdrawals: map[string]Amount{}}
	}
	const day = int64(24 * time.Hour / time.Millisecond)
	add := func(q string, pick func(*DayFlow) map[string]Amount, args ...any) error {
		rows, err := db.r.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var i int64
			var asset string
			var sum int64
			if err := rows.Scan(&i, &asset, &sum); err != nil {
				return err
			}
			if i >= 0 && i < int64(days) {
				pick(&out[i])[asset] += Amount(sum)
			}
		}
		return rows.Err()
	}
	start := ms(first)
	if err := add(`SELECT (utime - ?1) / ?2, coalesce(asset, ''), sum(amount) FROM chain_events
		WHERE kind IN (?3, ?4, ?5) AND utime >= ?1 GROUP BY 1, 2`, func(d *DayFlow) map[string]Amount { return d.Deposits },
		start, day, KindCredited, KindUnmatched, KindDust); err != nil {
		return nil, err
	}
	if err := add(`SELECT (updated_at - ?1) / ?2, asset, sum(amount) FROM withdrawals
		WHERE status = ?3 AND updated_at >= ?1 GROUP BY 1, 2`, func(d *DayFlow) map[string]Amount { return d.Withdrawals },
		start, day, WithdrawalConfirmed); err != nil {
		return nil, err
	}
	return out, nil
}
