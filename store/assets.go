package store

import (
	"context"
)

// Assets is the asset registry every face receives: the chain assets as
// configured (Gram first), then everything else the database records
// (credits, Stars, an asset no longer configured that old rows name). A face
// asks it for an asset's decimals and name instead of looking them up by
// itself. Lookups never touch the database: the store keeps its record of
// assets current (Open reads it, SyncAssets adds to it), and decimals never
// change once recorded.
type Assets struct {
	chain []Asset
	db    *DB
}

// NewAssets is the registry of db's assets with chain as the configured
// chain assets, in their order. cmd/tonpay builds one and hands it to every
// face; a face given none builds its own from its configuration.
func NewAssets(db *DB, chain []Asset) *Assets {
	return &Assets{chain: append([]Asset(nil), chain...), db: db}
}

// registry is the store's own view of the registry: every recorded asset.
func (db *DB) registry() *Assets { return &Assets{db: db} }

// Chain lists the configured chain assets, in their order.
func (r *Assets) Chain() []Asset { return append([]Asset(nil), r.chain...) }

// Lookup returns the asset of a symbol: configured, built in (Gram,
// credits, Stars), or recorded in the database.
func (r *Assets) Lookup(symbol string) (Asset, bool) {
	for _, a := range r.chain {
		if a.Symbol == symbol {
			return named(a), true
		}
	}
	if r.db != nil {
		if a, ok := r.db.known.Load(symbol); ok {
			return named(a.(Asset)), true
		}
	}
	for _, a := range builtinAssets {
		if a.Symbol == symbol {
			return a, true
		}
	}
	return Asset{}, false
}

// named gives a built-in asset its display name (configuration and the
// database record none).
func named(a Asset) Asset {
	for _, b := range builtinAssets {
		if a.Name == "" && b.Symbol == a.Symbol {
			a.Name = b.Name
		}
	}
	return a
}

// Decimals is an asset's number of decimals; 0 for an unknown asset (its
// amounts then read as smallest units).
func (r *Assets) Decimals(symbol string) int {
	a, _ := r.Lookup(symbol)
	return a.Decimals
}

// Name is an asset's display name ("Gram"), its symbol when it has none.
func (r *Assets) Name(symbol string) string {
	if a, ok := r.Lookup(symbol); ok {
		return a.DisplayName()
	}
	return symbol
}

// Format renders m in whole units with its asset's decimals ("1.5").
func (r *Assets) Format(m Money) string { return m.Amount.Format(r.Decimals(m.Asset)) }

// DisplayName is the name people read: Name, else the symbol.
func (a Asset) DisplayName() string {
	if a.Name != "" {
		return a.Name
	}
	return a.Symbol
}

// Money is an amount that travels with its asset.
type Money struct {
	Asset  string
	Amount Amount
}

// builtinAssets are known without configuration.
var builtinAssets = []Asset{TON, Credits, Stars}

// loadKnown reads the recorded assets into db.known.
func (db *DB) loadKnown(ctx context.Context) error {
	as, err := db.Assets(ctx)
	if err != nil {
		return err
	}
	db.remember(as...)
	return nil
}

// remember records assets as known (after they were committed).
func (db *DB) remember(as ...Asset) {
	for _, a := range as {
		db.known.Store(a.Symbol, a)
	}
}
