package miniapp_test

import (
	"context"
	"testing"

	"github.com/tonpay/tonpay/store"
)

// A blocked user is refused GET /api/history whatever its query, as every
// call but GET /api/me always was: bad paging is not answered 400 before
// the standing is known. Once the block is lifted, bad paging is 400 again.
func TestHistoryBlockedBeforeBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const id = 9700
	auth := e.auth(id)
	e.do("GET", "/api/me", auth, nil)
	ctx := context.Background()
	if _, err := e.db.BlockUser(ctx, store.Actor{Role: "operator"}, id, "test"); err != nil {
		t.Fatal(err)
	}
	bad := []string{"/api/history?cursor=x", "/api/history?cursor=0", "/api/history?limit=0", "/api/history?limit=101"}
	for _, path := range bad {
		if r := e.do("GET", path, auth, nil); r.status != 403 || r.errCode() != "blocked" {
			t.Errorf("blocked %s: %d %s", path, r.status, r.body)
		}
	}
	if _, err := e.db.UnblockUser(ctx, store.Actor{Role: "operator"}, id); err != nil {
		t.Fatal(err)
	}
	for _, path := range bad {
		if r := e.do("GET", path, auth, nil); r.status != 400 {
			t.Errorf("%s: %d %s", path, r.status, r.body)
		}
	}
}
