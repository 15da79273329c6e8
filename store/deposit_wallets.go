package store

// Deposit wallets: an address of their own for every user (and one for the
// operator), derived from the hot wallet's seed and the owner alone. The
// store keeps which addresses were handed out (the follower watches those),
// their jetton wallets, and what the chain last said each one holds.

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DepositOwner is whose a deposit wallet is.
type DepositOwner struct {
	Kind string // OwnerUser or OwnerOperator
	ID   int64  // the user's id; 0 for the operator
}

// Deposit wallet owners.
const (
	OwnerUser     = "user"
	OwnerOperator = "operator"
	OwnerInvoice  = "invoice" // a merchant invoice with an address of its own (ID: its number among them)
)

// UserOwner is a user's deposit wallet owner.
func UserOwner(userID int64) DepositOwner { return DepositOwner{Kind: OwnerUser, ID: userID} }

// OperatorOwner is the operator's deposit wallet owner: what arrives there
// is the operator's capital.
var OperatorOwner = DepositOwner{Kind: OwnerOperator}

func (o DepositOwner) String() string { return o.Kind + ":" + strconv.FormatInt(o.ID, 10) }

func (o DepositOwner) valid() bool {
	return (o.Kind == OwnerUser && o.ID > 0) || (o.Kind == OwnerOperator && o.ID == 0) || (o.Kind == OwnerInvoice && o.ID > 0)
}

// AccountCapital is the operator's own money in the service: the hot
// wallet's opening balance and what the operator sends to their deposit
// address. It is never a stranger's (unmatched) and never a user's.
const AccountCapital = "capital:operator"

// DepositAccount is the ledger account of what deposit wallet id holds on
// chain (like chain:hot, the negative of the holdings).
func DepositAccount(walletID int64) string { return "chain:deposit:" + strconv.FormatInt(walletID, 10) }

// depositAccountPrefix starts every deposit wallet's ledger account. The
// queries over all of them read the range ['chain:deposit:',
// 'chain:deposit;') of the accounts' unique name index (';' follows ':'),
// never a LIKE, which SQLite would run as a scan of every account.
const depositAccountPrefix = "chain:deposit:"

// DepositWallet is a deposit address handed out.
type DepositWallet struct {
	ID      int64
	Owner   DepositOwner
	Address string            // raw 0:hex
	Jettons map[string]string // asset -> the wallet's jetton wallet (raw), once resolved
}

// Account is the wallet's ledger account.
func (w DepositWallet) Account() string { return DepositAccount(w.ID) }

// DepositDeriver computes an owner's deposit address (raw 0:hex) from the
// service's seed. The store never holds keys: cmd gives it this function.
type DepositDeriver func(DepositOwner) (string, error)

// ErrNoDepositWallets means the service was started without a deriver (no
// hot wallet seed): deposit addresses cannot be handed out.
var ErrNoDepositWallets = errors.New("deposit addresses are not available")

// SetDepositDeriver sets how addresses are derived (once, at start).
func (db *DB) SetDepositDeriver(d DepositDeriver) { db.deriver.Store(&d) }

// DepositWallet returns the owner's deposit wallet, deriving and recording
// it the first time it is asked for (from then on the follower watches it).
func (db *DB) DepositWallet(ctx context.Context, owner DepositOwner) (DepositWallet, error) {
	if !owner.valid() || owner.Kind == OwnerInvoice {
		return DepositWallet{}, fmt.Errorf("%w: deposit wallet owner %s", ErrInvalid, owner)
	}
	w, err := db.depositWallet(ctx, db.r, `owner_kind = ? AND owner_id = ?`, owner.Kind, owner.ID)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return w, err
	}
	d := db.deriver.Load()
	if d == nil || *d == nil {
		return DepositWallet{}, ErrNoDepositWallets
	}
	addr, err := (*d)(owner)
	if err != nil {
		return DepositWallet{}, fmt.Errorf("derive deposit address: %w", err)
	}
	if owner.Kind == OwnerUser {
		if _, err := db.User(ctx, owner.ID); err != nil {
			return DepositWallet{}, err
		}
	}
	err = db.write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO deposit_wallets(owner_kind, owner_id, address, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, owner.Kind, owner.ID, addr, ms(tx.now))
		return err
	})
	if err != nil {
		return DepositWallet{}, err
	}
	w, err = db.depositWallet(ctx, db.r, `owner_kind = ? AND owner_id = ?`, owner.Kind, owner.ID)
	if err == nil && w.Address != addr {
		// The seed changed under a database that handed out addresses
		// of another one: never show an address the service cannot sign for.
		return DepositWallet{}, fmt.Errorf("deposit address of %s on record (%s) is not the one this seed derives (%s)", owner, w.Address, addr)
	}
	return w, err
}

func (db *DB) depositWallet(ctx context.Context, q querier, where string, args ...any) (DepositWallet, error) {
	ws, err := db.depositWallets(ctx, q, where+` LIMIT 1`, args...)
	if err != nil {
		return DepositWallet{}, err
	}
	if len(ws) == 0 {
		return DepositWallet{}, ErrNotFound
	}
	return ws[0], nil
}

func (db *DB) depositWallets(ctx context.Context, q querier, where string, args ...any) ([]DepositWallet, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, owner_kind, owner_id, address FROM deposit_wallets WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	var out []DepositWallet
	byID := map[int64]int{}
	for rows.Next() {
		var w DepositWallet
		if err := rows.Scan(&w.ID, &w.Owner.Kind, &w.Owner.ID, &w.Address); err != nil {
			rows.Close()
			return nil, err
		}
		w.Jettons = map[string]string{}
		byID[w.ID] = len(out)
		out = append(out, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]string, 0, len(out))
	for _, w := range out {
		ids = append(ids, strconv.FormatInt(w.ID, 10))
	}
	jr, err := q.QueryContext(ctx, `SELECT wallet_id, asset, address FROM deposit_jetton_wallets WHERE wallet_id IN (`+strings.Join(ids, ",")+`)`)
	if err != nil {
		return nil, err
	}
	defer jr.Close()
	for jr.Next() {
		var id int64
		var asset, addr string
		if err := jr.Scan(&id, &asset, &addr); err != nil {
			return nil, err
		}
		out[byID[id]].Jettons[asset] = addr
	}
	return out, jr.Err()
}

// invoiceWallet gives a new invoice an address of its own, in the invoice's
// transaction: the next invoice number, its address derived.
func (tx *Tx) invoiceWallet(ctx context.Context, invoiceID string) error {
	d := tx.db.deriver.Load()
	if d == nil || *d == nil {
		return ErrNoDepositWallets
	}
	var n int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(owner_id), 0) + 1 FROM deposit_wallets WHERE owner_kind = ?`, OwnerInvoice).Scan(&n); err != nil {
		return err
	}
	addr, err := (*d)(DepositOwner{Kind: OwnerInvoice, ID: n})
	if err != nil {
		return fmt.Errorf("derive the invoice's address: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO deposit_wallets(owner_kind, owner_id, address, invoice_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		OwnerInvoice, n, addr, invoiceID, ms(tx.now))
	return err
}

// DepositWalletsAfter lists the deposit wallets handed out after id, oldest
// first, at most limit: the follower loads new ones each block.
func (db *DB) DepositWalletsAfter(ctx context.Context, afterID int64, limit int) ([]DepositWallet, error) {
	return db.depositWallets(ctx, db.r, `id > ? ORDER BY id LIMIT ?`, afterID, limit)
}

// DepositWalletByAddress finds the deposit wallet at a raw address.
func (db *DB) DepositWalletByAddress(ctx context.Context, raw string) (DepositWallet, error) {
	return db.depositWallet(ctx, db.r, `address = ?`, raw)
}

// SetDepositJettonWallet records a deposit wallet's jetton wallet, as the
// jetton's master named it. A different address for the same pair is an
// error (the master does not change its answer).
func (db *DB) SetDepositJettonWallet(ctx context.Context, walletID int64, asset, raw string) error {
	return db.write(ctx, func(tx *Tx) error {
		var have string
		err := tx.QueryRowContext(ctx, `SELECT address FROM deposit_jetton_wallets WHERE wallet_id = ? AND asset = ?`, walletID, asset).Scan(&have)
		switch {
		case err == nil && have == raw:
			return nil
		case err == nil:
			return fmt.Errorf("%w: deposit wallet %d's %s wallet is %s on record, %s now", ErrConflict, walletID, asset, have, raw)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO deposit_jetton_wallets(wallet_id, asset, address) VALUES (?, ?, ?)`, walletID, asset, raw)
		return err
	})
}

// DepositHolding is what the chain says one deposit wallet holds of an
// asset at a block (reconciliation records it).
type DepositHolding struct {
	WalletID int64
	Asset    string
	Chain    Amount
}

// DepositBalance is what the ledger says deposit wallet id holds of each
// asset (what has arrived there and not been swept).
func (db *DB) DepositBalance(ctx context.Context, walletID int64) (map[string]Amount, error) {
	bal, err := db.Balances(ctx, DepositAccount(walletID))
	if err != nil {
		return nil, err
	}
	out := make(map[string]Amount, len(bal))
	for a, b := range bal {
		out[a] = -b
	}
	return out, nil
}

// SweepCandidate is a deposit wallet holding something worth moving to the
// hot wallet, by the ledger.
type SweepCandidate struct {
	Wallet DepositWallet
	Held   map[string]Amount // asset -> what the ledger says it holds
}

// SweepCandidates lists deposit wallets whose ledger figure of the native
// coin is at least minNative, or that hold at least minJetton of a jetton
// (any amount of a jetton not named there), most first, at most limit. A
// jetton below its minimum is left out of Held: moving it would cost more
// gas than it is worth (dust sent to an address again and again must not
// make the hot wallet pay a sweep's gas each time); it waits there until
// more arrives.
func (db *DB) SweepCandidates(ctx context.Context, minNative Amount, minJetton map[string]Amount, limit int) ([]SweepCandidate, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT a.name, b.asset, b.balance
		FROM balances b JOIN accounts a ON a.id = b.account_id
		WHERE (a.name >= 'chain:deposit:' AND a.name < 'chain:deposit;') AND b.balance < 0`)
	if err != nil {
		return nil, err
	}
	held := map[int64]map[string]Amount{}
	for rows.Next() {
		var name, asset string
		var bal int64
		if err := rows.Scan(&name, &asset, &bal); err != nil {
			rows.Close()
			return nil, err
		}
		id, err := strconv.ParseInt(strings.TrimPrefix(name, depositAccountPrefix), 10, 64)
		if err != nil {
			continue
		}
		if asset != TON.Symbol && Amount(-bal) < minJetton[asset] {
			continue
		}
		if held[id] == nil {
			held[id] = map[string]Amount{}
		}
		held[id][asset] = Amount(-bal)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []SweepCandidate
	for id, h := range held {
		worth := h[TON.Symbol] >= minNative
		for a, v := range h {
			worth = worth || (a != TON.Symbol && v > 0)
		}
		if !worth {
			continue
		}
		w, err := db.depositWallet(ctx, db.r, `id = ?`, id)
		if err != nil {
			return nil, err
		}
		for a, v := range h {
			if a == TON.Symbol || v <= 0 {
				continue
			}
			refused, err := db.sweepRefused(ctx, w.Jettons[a])
			if err != nil {
				return nil, err
			}
			if refused {
				delete(h, a)
			}
		}
		worth = h[TON.Symbol] >= minNative
		for a, v := range h {
			worth = worth || (a != TON.Symbol && v > 0)
		}
		if !worth {
			continue
		}
		out = append(out, SweepCandidate{Wallet: w, Held: h})
	}
	slices.SortFunc(out, func(a, b SweepCandidate) int { return cmp.Compare(b.Held[TON.Symbol], a.Held[TON.Symbol]) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Notes of a deposit wallet's jetton sweep that did not go through: its
// jetton wallet refused it (NoteSweepRefused begins the note), or the hot
// wallet's jetton wallet sent it back (NoteSweepBack).
const (
	NoteSweepRefused = "sweep refused"
	NoteSweepBack    = "a sweep came back"
)

// SweepRetryAfter is how long a refused jetton sweep is not tried again
// when nothing has arrived since.
const SweepRetryAfter = 24 * time.Hour

// sweepRefused reports whether the last jetton sweep of the deposit jetton
// wallet at raw was refused (or sent back) less than SweepRetryAfter ago and nothing has
// arrived there since: sweeping it again would most likely be refused again
// (a wallet frozen by the jetton's admin), each time at the cost of the gas
// the hot wallet sends it. A new deposit there, or a day, tries again.
func (db *DB) sweepRefused(ctx context.Context, raw string) (bool, error) {
	if raw == "" {
		return false, nil
	}
	var refused, at, arrived int64
	err := db.r.QueryRowContext(ctx, `SELECT coalesce(max(lt), 0), coalesce(max(utime), 0),
		coalesce((SELECT max(lt) FROM chain_events WHERE account = ?1 AND amount > 0 AND NOT (kind = ?4 AND note = ?5)), 0)
		FROM chain_events WHERE account = ?1 AND ((kind = ?2 AND note LIKE ?3) OR (kind = ?4 AND note = ?5))`,
		raw, KindAborted, NoteSweepRefused+"%", KindSweep, NoteSweepBack).Scan(&refused, &at, &arrived)
	return refused > arrived && db.now().Before(fromMS(at).Add(SweepRetryAfter)), err
}

// UserAddresses are a user's two addresses as the Mini App shows them.
type UserAddresses struct {
	Wallet  *Wallet // the linked wallet; nil when none is linked
	Deposit string  // the deposit address (raw); "" until it is first handed out
}

// UserAddresses reads a user's linked wallet and deposit address in one
// indexed read (the Mini App's /api/me asks on every open). A deposit
// address not handed out yet is derived and recorded by DepositWallet.
func (db *DB) UserAddresses(ctx context.Context, userID int64) (UserAddresses, error) {
	st, err := db.read(ctx, `SELECT w.address, w.public_key, w.linked_at, d.address FROM (SELECT CAST(? AS BIGINT) AS id) u
		LEFT JOIN wallets w ON w.user_id = u.id
		LEFT JOIN deposit_wallets d ON d.owner_kind = 'user' AND d.owner_id = u.id`)
	if err != nil {
		return UserAddresses{}, err
	}
	var addr, key, deposit sql.NullString
	var at sql.NullInt64
	if err := st.QueryRowContext(ctx, userID).Scan(&addr, &key, &at, &deposit); err != nil {
		return UserAddresses{}, err
	}
	out := UserAddresses{Deposit: deposit.String}
	if addr.Valid {
		out.Wallet = &Wallet{UserID: userID, Address: addr.String, PublicKey: key.String, LinkedAt: fromMS(at.Int64)}
	}
	return out, nil
}

// AnyoneTold reports whether anybody could have been told where to pay:
// a user (each has a comment), an invoice, a merchant or a user's deposit
// address exists. The operator's own address does not count: serve records
// it at every start, and what arrives there is the operator's anyway.
func (db *DB) AnyoneTold(ctx context.Context) (bool, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM (SELECT 1 FROM users LIMIT 1) u) + (SELECT count(*) FROM (SELECT 1 FROM invoices LIMIT 1) i)
		+ (SELECT count(*) FROM (SELECT 1 FROM merchants LIMIT 1) m)
		+ (SELECT count(*) FROM (SELECT 1 FROM deposit_wallets WHERE owner_kind = 'user' LIMIT 1) d)`).Scan(&n)
	return n > 0, err
}

// OpenWithCapital starts following a hot wallet from its present state:
// what it holds (held, by asset) is booked as the operator's opening
// capital and the cursors start at each account's last transaction, in one
// transaction, once (a second call finds the transfer and changes nothing).
func (db *DB) OpenWithCapital(ctx context.Context, cursors []Cursor, held map[string]Amount) error {
	return db.write(ctx, func(tx *Tx) error {
		var legs Legs
		for asset, amt := range held {
			if amt < 0 {
				return fmt.Errorf("%w: opening %s %d", ErrInvalid, asset, amt)
			}
			legs = legs.Plus(move(AccountHot, AccountCapital, asset, amt))
		}
		if len(merge(legs)) > 0 {
			if _, err := tx.book(ctx, OpeningCapitalKey, TransferOpeningCapital, "what the hot wallet held before the service's first block", "", legs); err != nil {
				return err
			}
		}
		for _, c := range cursors {
			if err := tx.setCursor(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// DepositHoldings is what the follower last read on chain of every deposit
// wallet, by asset (each as of the last block it changed in), and how many
// deposit wallets there are.
func (db *DB) DepositHoldings(ctx context.Context) (map[string]Amount, int, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT asset, sum(chain) FROM deposit_holdings GROUP BY asset`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := map[string]Amount{}
	for rows.Next() {
		var a string
		var v int64
		if err := rows.Scan(&a, &v); err != nil {
			return nil, 0, err
		}
		out[a] = Amount(v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var n int
	err = db.r.QueryRowContext(ctx, `SELECT count(*) FROM deposit_wallets`).Scan(&n)
	return out, n, err
}
