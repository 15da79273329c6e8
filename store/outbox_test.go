package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

func TestDueEventsPerUserTakesTheOldestOfEachUser(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db := storetest.OpenWith(t, storetest.Config{Assets: []store.Asset{}, Options: []store.Option{store.WithClock(clock)}})
	emit := func(user int64, typ string) {
		t.Helper()
		if err := db.Emit(ctx, store.TopicBot, store.EventType(typ), user, 0, map[string]string{}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		now = now.Add(time.Second)
		mu.Unlock()
	}
	for range 5 {
		emit(1, "a") // a long queue for user 1 first
	}
	emit(2, "b")
	emit(0, "admin1")
	emit(0, "admin2")
	emit(3, "c")
	if err := db.Emit(ctx, store.TopicWebhook, "invoice.paid", 4, 0, map[string]string{}); err != nil {
		t.Fatal(err)
	}

	got, err := db.DueEventsPerUser(ctx, store.TopicBot, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range got {
		seen = append(seen, fmt.Sprint(e.UserID, ":", e.Type))
	}
	if want := []string{"1:a", "2:b", "0:admin1", "3:c"}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("due per user %v, want %v", seen, want)
	}
	if got, _ := db.DueEventsPerUser(ctx, store.TopicBot, 2); len(got) != 2 || got[1].UserID != 2 {
		t.Fatalf("limit 2: %+v", got)
	}

	// Done, and retried later: the user's next event comes forward; one not
	// yet due is left out.
	if err := db.MarkEventDone(ctx, got[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := db.RetryEvent(ctx, got[1].ID, now.Add(time.Hour), "later"); err != nil {
		t.Fatal(err)
	}
	got, err = db.DueEventsPerUser(ctx, store.TopicBot, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen = seen[:0]
	for _, e := range got {
		seen = append(seen, fmt.Sprint(e.UserID, ":", e.Type))
	}
	if want := []string{"1:a", "0:admin1", "3:c"}; fmt.Sprint(seen) != fmt.Sprint(want) || got[0].ID == 1 {
		t.Fatalf("after done and retry %v (first id %d), want %v", seen, got[0].ID, want)
	}

	// A user's oldest event waiting for its retry (Telegram's retry_after)
	// holds back the ones after it: notices arrive in the order they were
	// emitted.
	second := got[0].ID
	if err := db.RetryEvent(ctx, second, now.Add(time.Second), "429"); err != nil {
		t.Fatal(err)
	}
	got, err = db.DueEventsPerUser(ctx, store.TopicBot, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if e.UserID == 1 {
			t.Fatalf("user 1's event %d came before %d, which waits for its retry", e.ID, second)
		}
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	got, err = db.DueEventsPerUser(ctx, store.TopicBot, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) == 0 || got[len(got)-1].ID != second {
		t.Fatalf("after its retry_after the held event %d is due again: %+v", second, got)
	}
}
