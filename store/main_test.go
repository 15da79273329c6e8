package store_test

import (
	"testing"

	"github.com/tonpay/tonpay/store/storetest"
)

// TestMain runs the store's tests on SQLite and then, with
// TONPAY_TEST_POSTGRES set, on PostgreSQL (storetest.Main).
func TestMain(m *testing.M) { storetest.Main(m) }
