package store_test

import (
	"database/sql"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// rawOpen opens the database of a store opened with Config.Path = path
// below the store: the SQLite file, or its schema in the PostgreSQL run.
func rawOpen(t testing.TB, path string) (*sql.DB, error) {
	if u := storetest.RawURL(t, path); u != "" {
		return store.OpenRaw(u)
	}
	return store.OpenRaw(path)
}
