package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Credits is the off-chain asset credit packages are sold in: whole units, so
// a host bot can spend them one by one.
var Credits = Asset{Symbol: "CREDITS", Decimals: 0}

// Purchase is a credit package bought from a user's balance.
type Purchase struct {
	UserID  int64
	Key     string // idempotency key, unique per user
	Package string // the package's name
	Asset   string // what the price is paid in
	Price   Amount
	Credits Amount // in Credits
}

// PurchaseResult is what BuyPackage did.
type PurchaseResult struct {
	TransferID int64
	Created    bool // false when the key was used before: nothing was posted again
	CreatedAt  time.Time
}

// BuyPackage posts a purchase in one ledger transfer: the price goes from the
// user to sales, and the credits from issued:credits to the user. The key
// makes it idempotent per user: a replay returns the first purchase with
// Created false; a replay with other terms is ErrConflict. A balance that
// cannot cover the price is ErrInsufficientFunds and changes nothing.
func (db *DB) BuyPackage(ctx context.Context, p Purchase) (PurchaseResult, error) {
	if p.UserID <= 0 || p.Package == "" || p.Asset == "" || p.Price <= 0 || p.Credits <= 0 {
		return PurchaseResult{}, fmt.Errorf("%w: a purchase needs a user, a package, a positive price and credits", ErrInvalid)
	}
	if p.Key == "" || len(p.Key) > 128 {
		return PurchaseResult{}, fmt.Errorf("%w: idempotency key must be 1-128 characters", ErrInvalid)
	}
	if p.Asset == Credits.Symbol {
		return PurchaseResult{}, fmt.Errorf("%w: credits cannot be bought with credits", ErrInvalid)
	}
	var res PurchaseResult
	err := db.write(ctx, func(tx *Tx) error {
		if err := tx.ensureCredits(ctx); err != nil {
			return err
		}
		user := UserAccount(p.UserID)
		id, err := tx.book(ctx, PurchaseKey(p.UserID, p.Key), TransferPurchase, "package "+p.Package, p.Package,
			move(user, AccountSales, p.Asset, p.Price).Plus(move(AccountIssued, user, Credits.Symbol, p.Credits)))
		if isKeyConflict(err) {
			// Other legs under this key: another purchase.
			return fmt.Errorf("%w: idempotency key %q was used for another purchase", ErrConflict, p.Key)
		}
		if errors.Is(err, ErrDuplicate) {
			return tx.samePurchase(ctx, id, p, &res)
		}
		if err != nil {
			return err
		}
		res = PurchaseResult{TransferID: id, Created: true, CreatedAt: tx.now}
		return nil
	})
	if err != nil {
		return PurchaseResult{}, err
	}
	return res, nil
}

// samePurchase checks that the transfer posted under a replayed key is the
// same purchase (package, price and credits).
func (tx *Tx) samePurchase(ctx context.Context, id int64, p Purchase, res *PurchaseResult) error {
	var ref string
	var at int64
	if err := tx.QueryRowContext(ctx, `SELECT ref, created_at FROM transfers WHERE id = ?`, id).Scan(&ref, &at); err != nil {
		return err
	}
	var price, credits int64
	err := tx.QueryRowContext(ctx, `SELECT
		coalesce((SELECT sum(e.amount) FROM entries e JOIN accounts a ON a.id = e.account_id WHERE e.transfer_id = ?1 AND a.name = ?2 AND e.asset = ?3), 0),
		coalesce((SELECT sum(e.amount) FROM entries e JOIN accounts a ON a.id = e.account_id WHERE e.transfer_id = ?1 AND a.name = ?2 AND e.asset = ?4), 0)`,
		id, UserAccount(p.UserID), p.Asset, Credits.Symbol).Scan(&price, &credits)
	if err != nil {
		return err
	}
	if ref != p.Package || Amount(-price) != p.Price || Amount(credits) != p.Credits {
		return fmt.Errorf("%w: idempotency key %q was used for another purchase", ErrConflict, p.Key)
	}
	*res = PurchaseResult{TransferID: id, CreatedAt: fromMS(at)}
	return nil
}

// ensureCredits records the Credits asset on first use; one recorded with
// other decimals is a conflict (every stored amount depends on them).
func (tx *Tx) ensureCredits(ctx context.Context) error {
	var dec int
	err := tx.QueryRowContext(ctx, `SELECT decimals FROM assets WHERE symbol = ?`, Credits.Symbol).Scan(&dec)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, `INSERT INTO assets(symbol, decimals) VALUES (?, ?)`, Credits.Symbol, Credits.Decimals)
		return err
	}
	if err != nil {
		return err
	}
	if dec != Credits.Decimals {
		return fmt.Errorf("%w: asset %s has %d decimals in the database, want %d", ErrConflict, Credits.Symbol, dec, Credits.Decimals)
	}
	return nil
}
