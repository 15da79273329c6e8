package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func deposit(key, user string, asset string, amt store.Amount) store.Transfer {
	return store.Transfer{Key: key, Kind: store.TransferDeposit, Postings: []store.Posting{
		{Account: store.AccountHot, Asset: asset, Amount: -amt},
		{Account: user, Asset: asset, Amount: amt},
	}}
}

func TestMigrateTwiceChangesNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "tonpay.db")
	db := storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
	first, err := db.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if len(first) == 0 || first[0] != "0001_init.sql" {
		t.Fatalf("migrations = %v", first)
	}
	db = storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
	second, _ := db.Migrations(ctx)
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Fatalf("second open changed migrations: %v -> %v", first, second)
	}
}

func TestAssetDecimalsCannotChange(t *testing.T) {
	db := storetest.Open(t)
	err := db.SyncAssets(context.Background(), []store.Asset{{Symbol: "USDT", Decimals: 9}})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
}

func TestPostRules(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	alice := store.UserAccount(1)
	if _, err := db.Post(ctx, deposit("d1", alice, store.TON.Symbol, 1_500_000_000)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tr   store.Transfer
		want error
	}{
		{"unbalanced", store.Transfer{Key: "u", Kind: store.TransferAdjustment, Postings: []store.Posting{{alice, store.TON.Symbol, -1}, {store.AccountFees, store.TON.Symbol, 2}}}, store.ErrUnbalanced},
		{"unbalanced per asset", store.Transfer{Key: "u2", Kind: store.TransferAdjustment, Postings: []store.Posting{{alice, store.TON.Symbol, -1}, {store.AccountFees, "USDT", 1}}}, store.ErrUnbalanced},
		{"overdraft", store.Transfer{Key: "o", Kind: store.TransferAdjustment, Postings: []store.Posting{{alice, store.TON.Symbol, -1_500_000_001}, {store.AccountHold, store.TON.Symbol, 1_500_000_001}}}, store.ErrInsufficientFunds},
		{"overdraft of an empty asset", store.Transfer{Key: "o2", Kind: store.TransferAdjustment, Postings: []store.Posting{{alice, "USDT", -1}, {store.AccountHold, "USDT", 1}}}, store.ErrInsufficientFunds},
		{"unknown asset", deposit("ua", alice, "DOGE", 5), store.ErrUnknownAsset},
		{"zero leg", store.Transfer{Key: "z", Kind: store.TransferAdjustment, Postings: []store.Posting{{alice, store.TON.Symbol, 0}, {store.AccountFees, store.TON.Symbol, 0}}}, store.ErrInvalid},
		{"no key", store.Transfer{Kind: store.TransferAdjustment, Postings: []store.Posting{{alice, store.TON.Symbol, -1}, {store.AccountFees, store.TON.Symbol, 1}}}, store.ErrInvalid},
		{"replayed key", deposit("d1", alice, store.TON.Symbol, 1_500_000_000), store.ErrDuplicate},
		{"replayed key, other legs", deposit("d1", alice, store.TON.Symbol, 7), store.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Post(ctx, tt.tr)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			b, _ := db.Balance(ctx, alice, store.TON.Symbol)
			if b != 1_500_000_000 {
				t.Fatalf("balance changed to %d", b)
			}
			if n, _ := db.Balance(ctx, store.AccountHold, store.TON.Symbol); n != 0 {
				t.Fatalf("hold changed to %d", n)
			}
		})
	}
	h, err := db.History(ctx, alice, 0, 10)
	if err != nil || len(h) != 1 || h[0].Amount != 1_500_000_000 || h[0].Kind != "deposit" {
		t.Fatalf("history = %+v, %v", h, err)
	}
	storetest.Audit(t, db)
}

func TestReplayReturnsFirstTransfer(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	id1, err := db.Post(ctx, deposit("k", store.UserAccount(2), store.TON.Symbol, 10))
	if err != nil {
		t.Fatal(err)
	}
	id2, err := db.Post(ctx, deposit("k", store.UserAccount(2), store.TON.Symbol, 10))
	if !errors.Is(err, store.ErrDuplicate) || id2 != id1 {
		t.Fatalf("replay = %d, %v; want %d, ErrDuplicate", id2, err, id1)
	}
	if b, _ := db.Balance(ctx, store.UserAccount(2), store.TON.Symbol); b != 10 {
		t.Fatalf("balance = %d, want 10", b)
	}
}

func TestEntriesAreAppendOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tonpay.db")
	db := storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{store.TON}})
	if _, err := db.Post(ctx, deposit("k", store.UserAccount(3), store.TON.Symbol, 10)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// A raw connection, as an operator with the sqlite3 shell would have.
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`UPDATE entries SET amount = amount * 2`,
		`DELETE FROM entries`,
		`UPDATE transfers SET key = 'x'`,
		`DELETE FROM transfers`,
	} {
		if _, err := raw.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only", q, err)
		}
	}
	// A negative user balance is refused by the table itself.
	if _, err := raw.Exec(`UPDATE balances SET balance = -1 WHERE nonneg = 1`); err == nil {
		t.Error("negative user balance accepted")
	}
}

// TestLedgerProperty posts 10,000+ random transfers from concurrent
// goroutines (mixed assets, overdraft attempts, replayed keys) and checks the
// invariants and that the books match a model kept beside them.
func TestLedgerProperty(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	assets := []string{store.TON.Symbol, "USDT", "CREDITS"}
	const workers, perWorker, usersPerWorker = 8, 1300, 2
	const users = workers * usersPerWorker
	var posted, overdrafts, replays, debits atomic.Int64
	var mu sync.Mutex
	keys := map[string]bool{} // keys that posted
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			// A worker debits only its own users, and only it credits them
			// directly; others' transfers can only add. So floor is a lower
			// bound of each own balance: a debit within it MUST succeed.
			own := func() int64 { return int64(w*usersPerWorker + rng.IntN(usersPerWorker) + 1) }
			floor := map[string]store.Amount{}
			owned := func(acct string) bool {
				for i := range usersPerWorker {
					if acct == store.UserAccount(int64(w*usersPerWorker+i+1)) {
						return true
					}
				}
				return false
			}
			var mine []store.Transfer
			for i := range perWorker {
				asset := assets[rng.IntN(len(assets))]
				from := store.UserAccount(own())
				to := store.UserAccount(int64(rng.IntN(users) + 1))
				var tr store.Transfer
				var debit store.Amount
				switch r := rng.IntN(10); {
				case r < 3: // deposit from the chain
					to = store.UserAccount(own())
					tr = deposit(fmt.Sprintf("w%d-%d", w, i), to, asset, store.Amount(rng.Int64N(1_000_000)+1))
				case r < 8: // user to user, sometimes more than they have
					amt := store.Amount(rng.Int64N(400_000) + 1)
					debit = amt
					tr = store.Transfer{Key: fmt.Sprintf("w%d-%d", w, i), Kind: store.TransferAdjustment, Postings: []store.Posting{
						{from, asset, -amt}, {to, asset, amt - amt/100}, {store.AccountFees, asset, amt / 100},
					}}
					if amt/100 == 0 {
						tr.Postings = tr.Postings[:2]
					}
				default: // replay an earlier transfer of this worker
					if len(mine) == 0 {
						continue
					}
					tr = mine[rng.IntN(len(mine))]
				}
				_, err := db.Post(ctx, tr)
				switch {
				case err == nil:
					posted.Add(1)
					mine = append(mine, tr)
					for _, p := range tr.Postings {
						if owned(p.Account) {
							floor[p.Account+"/"+p.Asset] += p.Amount
						}
					}
					if debit > 0 {
						debits.Add(1)
					}
					mu.Lock()
					if keys[tr.Key] {
						t.Errorf("key %s posted twice", tr.Key)
					}
					keys[tr.Key] = true
					mu.Unlock()
				case errors.Is(err, store.ErrInsufficientFunds):
					overdrafts.Add(1)
					if debit <= floor[from+"/"+asset] {
						t.Errorf("%s: debit of %d refused though %s holds at least %d %s", tr.Key, debit, from, floor[from+"/"+asset], asset)
					}
				case errors.Is(err, store.ErrDuplicate):
					replays.Add(1)
				default:
					t.Errorf("post %s: %v", tr.Key, err)
				}
			}
		}()
	}
	wg.Wait()
	total := posted.Load() + overdrafts.Load() + replays.Load()
	t.Logf("posted %d (%d debits), overdrafts refused %d, replays refused %d", posted.Load(), debits.Load(), overdrafts.Load(), replays.Load())
	if total < 10_000 || overdrafts.Load() == 0 || replays.Load() == 0 || debits.Load() < 1000 {
		t.Fatalf("the mix did not exercise every path: %d attempts, %d overdrafts, %d replays, %d debits", total, overdrafts.Load(), replays.Load(), debits.Load())
	}
	storetest.Audit(t, db)
	// Users can only hold what came from the chain: for each asset, the sum of
	// user balances and fees equals minus the hot account.
	for _, a := range assets {
		hot, _ := db.Balance(ctx, store.AccountHot, a)
		fees, _ := db.Balance(ctx, store.AccountFees, a)
		var sum store.Amount
		for u := range users {
			b, _ := db.Balance(ctx, store.UserAccount(int64(u+1)), a)
			if b < 0 {
				t.Fatalf("user %d has %d %s", u+1, b, a)
			}
			sum += b
		}
		if sum+fees != -hot {
			t.Fatalf("%s: users %d + fees %d != chain %d", a, sum, fees, -hot)
		}
	}
}

func TestUsersAndComments(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u, err := db.UpsertUser(ctx, store.User{ID: 42, Username: "alice", FirstName: "Alice", LanguageCode: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Comment) != store.CommentLen || strings.ContainsAny(u.Comment, "01OIL") {
		t.Fatalf("comment %q", u.Comment)
	}
	u2, err := db.UpsertUser(ctx, store.User{ID: 42, Username: "alice2", LanguageCode: "ru"})
	if err != nil {
		t.Fatal(err)
	}
	if u2.Comment != u.Comment || u2.Username != "alice2" || u2.LanguageCode != "ru" {
		t.Fatalf("upsert changed comment or missed profile: %+v", u2)
	}
	got, err := db.UserByComment(ctx, " "+strings.ToLower(u.Comment)+"\n")
	if err != nil || got.ID != 42 {
		t.Fatalf("by comment: %+v %v", got, err)
	}
	if _, err := db.User(ctx, 7); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing user err = %v", err)
	}
	if _, err := db.UpsertUser(ctx, store.User{ID: 0}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("zero id err = %v", err)
	}
}

func TestWalletLinkConsumesNonce(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	if _, err := db.UpsertUser(ctx, store.User{ID: 5}); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour)
	w := store.Wallet{UserID: 5, Address: "0:" + strings.Repeat("ab", 32)}
	if err := db.LinkWallet(ctx, w, "nonce-1", exp); err != nil {
		t.Fatal(err)
	}
	w2 := store.Wallet{UserID: 5, Address: "0:" + strings.Repeat("cd", 32)}
	if err := db.LinkWallet(ctx, w2, "nonce-1", exp); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("replayed nonce err = %v", err)
	}
	got, err := db.WalletOf(ctx, 5)
	if err != nil || got.Address != w.Address {
		t.Fatalf("wallet = %+v %v; a replayed proof must not relink", got, err)
	}
	if err := db.UnlinkWallet(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := db.WalletOf(ctx, 5); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after unlink err = %v", err)
	}
	if err := db.UnlinkWallet(ctx, 5); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second unlink err = %v", err)
	}
}

func TestOutboxDelivery(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	db := storetest.OpenWith(t, storetest.Config{Options: []store.Option{store.WithClock(func() time.Time { return now })}, Assets: []store.Asset{}})
	if err := db.Emit(ctx, store.TopicBot, "deposit.credited", 7, 0, map[string]string{"amount": "1"}); err != nil {
		t.Fatal(err)
	}
	due, err := db.DueEvents(ctx, store.TopicBot, 10)
	if err != nil || len(due) != 1 || due[0].Type != "deposit.credited" || due[0].UserID != 7 {
		t.Fatalf("due = %+v %v", due, err)
	}
	if other, _ := db.DueEvents(ctx, store.TopicWebhook, 10); len(other) != 0 {
		t.Fatalf("webhook topic sees bot events: %+v", other)
	}
	if err := db.RetryEvent(ctx, due[0].ID, now.Add(time.Minute), "429"); err != nil {
		t.Fatal(err)
	}
	if d, _ := db.DueEvents(ctx, store.TopicBot, 10); len(d) != 0 {
		t.Fatal("retried event due before its time")
	}
	next, _ := db.NextEventAt(ctx, store.TopicBot)
	if !next.Equal(now.Add(time.Minute)) {
		t.Fatalf("next = %v", next)
	}
	now = now.Add(2 * time.Minute)
	d, _ := db.DueEvents(ctx, store.TopicBot, 10)
	if len(d) != 1 || d[0].Attempts != 1 {
		t.Fatalf("after wait: %+v", d)
	}
	if err := db.MarkEventDone(ctx, d[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkEventDone(ctx, d[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("double done err = %v", err)
	}
	if d, _ := db.DueEvents(ctx, store.TopicBot, 10); len(d) != 0 {
		t.Fatal("done event still due")
	}
}

func TestChangesPublishedAfterCommit(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	var got []store.Change
	var mu sync.Mutex
	stop := db.Subscribe(func(c store.Change) { mu.Lock(); got = append(got, c); mu.Unlock() })
	defer stop()
	db.Post(ctx, deposit("a", store.UserAccount(9), store.TON.Symbol, 5))
	db.Post(ctx, store.Transfer{Key: "b", Kind: store.TransferAdjustment, Postings: []store.Posting{{store.UserAccount(9), store.TON.Symbol, -6}, {store.AccountFees, store.TON.Symbol, 6}}})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Kind != "balance" || got[0].UserID != 9 {
		t.Fatalf("changes = %+v; want one balance change (the failed post publishes nothing)", got)
	}
}

// Every migration exists for both engines under the same name, so that
// schema_migrations reads the same on both (and a new migration cannot be
// added for one engine only).
func TestMigrationsForBothEngines(t *testing.T) {
	t.Parallel()
	sqlite, _ := filepath.Glob("migrations/*.sql")
	postgres, _ := filepath.Glob("migrations/postgres/*.sql")
	base := func(paths []string) []string {
		for i, p := range paths {
			paths[i] = filepath.Base(p)
		}
		return paths
	}
	if s, p := base(sqlite), base(postgres); len(s) == 0 || !slices.Equal(s, p) {
		t.Fatalf("SQLite migrations %v, PostgreSQL migrations %v: each needs its twin", s, p)
	}
}
