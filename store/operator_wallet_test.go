package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// The operator's own deposit address (serve records it at every start) does
// not make a first start think a stranger could have paid: only a user, an
// invoice, a merchant or a user's address does.
func TestOperatorAddressTellsNobody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	db.SetDepositDeriver(func(o store.DepositOwner) (string, error) {
		h := sha256.Sum256([]byte(o.String()))
		return "0:" + hex.EncodeToString(h[:]), nil
	})
	if _, err := db.DepositWallet(ctx, store.OperatorOwner); err != nil {
		t.Fatal(err)
	}
	if told, err := db.AnyoneTold(ctx); err != nil || told {
		t.Fatalf("with the operator's address alone: told %v (%v)", told, err)
	}
	if _, err := db.UpsertUser(ctx, store.User{ID: 5}); err != nil {
		t.Fatal(err)
	}
	if told, err := db.AnyoneTold(ctx); err != nil || !told {
		t.Fatalf("with a user: told %v (%v)", told, err)
	}
}
