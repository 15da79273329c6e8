package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// Two nodes on one PostgreSQL database: what one commits, the other's
// subscribers hear (an event stream on any node hears a deposit the leader
// booked); what a transaction rolled back, nobody hears; a node does not
// hear its own changes twice.
func TestChangesReachTheOtherNodes(t *testing.T) {
	t.Parallel()
	url := storetest.Schema(t) // PostgreSQL only: skips (or fails in CI) without it
	ctx := context.Background()
	a, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	heardB := make(chan store.Change, 16)
	defer b.Subscribe(func(c store.Change) { heardB <- c })()
	heardA := make(chan store.Change, 16)
	defer a.Subscribe(func(c store.Change) { heardA <- c })()

	if err := a.SyncAssets(ctx, []store.Asset{store.TON}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpsertUser(ctx, store.User{ID: 42}); err != nil {
		t.Fatal(err)
	}
	inv, err := a.CreateInvoice(ctx, store.NewInvoice{UserID: 42, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case c := <-heardB:
			got = c.Kind == store.ChangeInvoice && c.ID == inv.ID && c.UserID == 42
		case <-deadline:
			t.Fatal("node b never heard of the invoice node a created")
		}
	}
	// Node a heard its own change once, from itself.
	n := 0
	for loop := true; loop; {
		select {
		case c := <-heardA:
			if c.Kind == store.ChangeInvoice && c.ID == inv.ID {
				n++
			}
		case <-time.After(500 * time.Millisecond):
			loop = false
		}
	}
	if n != 1 {
		t.Fatalf("node a heard its own invoice %d times", n)
	}
}

// A node whose listening connection is cut (here its backend is
// terminated, as a PostgreSQL restart or a network blip would) misses what
// other nodes notify meanwhile. It connects again with growing waits,
// logs the outage once, and once it listens again tells its subscribers to
// re-read: they find what committed while it was deaf.
func TestChangesReplayAfterListenerOutage(t *testing.T) {
	t.Parallel()
	base := storetest.Schema(t) // PostgreSQL only: skips (or fails in CI) without it
	ctx := context.Background()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	app := fmt.Sprintf("outage-%d", time.Now().UnixNano())
	q.Set("application_name", app)
	u.RawQuery = q.Encode()

	// While down is set, the listener's attempts to connect fail.
	var (
		down     atomic.Bool
		mu       sync.Mutex
		attempts []time.Time
	)
	tried := make(chan struct{}, 100)
	fail := func(step string) error {
		if step != "listen" || !down.Load() {
			return nil
		}
		mu.Lock()
		attempts = append(attempts, time.Now())
		mu.Unlock()
		tried <- struct{}{}
		return errors.New("connections refused")
	}
	logs := &lockedBuffer{}
	a, err := store.Open(ctx, u.String(), store.WithFailpoint(fail),
		store.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	heard := make(chan store.Change, 64)
	defer a.Subscribe(func(c store.Change) { heard <- c })()

	if err := b.SyncAssets(ctx, []store.Asset{store.TON}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.UpsertUser(ctx, store.User{ID: 42}); err != nil {
		t.Fatal(err)
	}
	newInvoice := func() store.Invoice {
		t.Helper()
		inv, err := b.CreateInvoice(ctx, store.NewInvoice{UserID: 42, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	waitHeard := func(what string, ok func(store.Change) bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case c := <-heard:
				if ok(c) {
					return
				}
			case <-deadline:
				t.Fatalf("node a never heard %s", what)
			}
		}
	}
	gen := a.Generation()
	before := newInvoice()
	waitHeard("the first invoice", func(c store.Change) bool { return c.Kind == store.ChangeInvoice && c.ID == before.ID })
	if a.Generation() == gen {
		t.Fatal("a change heard from node b did not move node a's generation")
	}

	// Cut the listener: its backend is found by its application_name.
	down.Store(true)
	pg, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	var cut int
	if err := pg.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1`, app+" listener").Scan(&cut); err != nil {
		t.Fatal(err)
	}
	if cut != 1 {
		t.Fatalf("terminated %d listening backends, want 1", cut)
	}
	<-tried // the listener knows it is down

	// A change commits while node a cannot hear it.
	during := newInvoice()
	// Four failed attempts, each wait longer than the one two before.
	for range 3 {
		select {
		case <-tried:
		case <-time.After(10 * time.Second):
			t.Fatal("the listener stopped trying to reconnect")
		}
	}
	mu.Lock()
	at := append([]time.Time(nil), attempts...)
	mu.Unlock()
	for i := 2; i+1 < len(at); i++ {
		if g, prev := at[i+1].Sub(at[i]), at[i-1].Sub(at[i-2]); g <= prev {
			t.Fatalf("waits between attempts do not grow: %v then %v (attempts at %v)", prev, g, at)
		}
	}
	for drained := false; !drained; {
		select {
		case c := <-heard:
			if c.ID == during.ID || c.Kind == store.ChangeResync {
				t.Fatalf("node a heard %v while its listener was down", c)
			}
		default:
			drained = true
		}
	}

	// The database takes connections again: node a is told to re-read, and
	// what it reads is what committed while it was deaf.
	gen = a.Generation()
	down.Store(false)
	waitHeard("a resync after its listener came back", func(c store.Change) bool { return c.Kind == store.ChangeResync })
	if a.Generation() == gen {
		t.Fatal("the resync did not move node a's generation")
	}
	got, err := a.Invoice(ctx, during.ID)
	if err != nil {
		t.Fatalf("the invoice made during the outage, read after the resync: %v", err)
	}
	if got.UserID != 42 || got.Amount != during.Amount {
		t.Fatalf("read %+v, want %+v", got, during)
	}
	// And it hears the other nodes again.
	after := newInvoice()
	waitHeard("an invoice made after the outage", func(c store.Change) bool { return c.Kind == store.ChangeInvoice && c.ID == after.ID })

	// One line when the outage began, one when it ended, none per attempt.
	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 1 {
		t.Fatalf("%d warnings for one outage, want 1:\n%s", n, out)
	}
	mu.Lock()
	failed := len(attempts)
	mu.Unlock()
	if n := strings.Count(out, "level=INFO"); n != 1 || !strings.Contains(out, fmt.Sprintf("attempts=%d\n", failed+1)) {
		t.Fatalf("want one line at the end of the outage, after %d attempts:\n%s", failed+1, out)
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A quiet listening connection is pinged, not taken for a lost one: no
// outage is logged, no resync sent, and changes still arrive after.
func TestChangesQuietListenerStays(t *testing.T) {
	t.Parallel()
	base := storetest.Schema(t) // PostgreSQL only: skips (or fails in CI) without it
	ctx := context.Background()
	logs := &lockedBuffer{}
	a, err := store.Open(ctx, base, store.WithListenIdleCheck(50*time.Millisecond),
		store.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	heard := make(chan store.Change, 64)
	defer a.Subscribe(func(c store.Change) { heard <- c })()

	// Quiet for ten idle checks.
	select {
	case c := <-heard:
		t.Fatalf("heard %v while nothing was written", c)
	case <-time.After(500 * time.Millisecond):
	}
	if err := b.SyncAssets(ctx, []store.Asset{store.TON}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.UpsertUser(ctx, store.User{ID: 7}); err != nil {
		t.Fatal(err)
	}
	inv, err := b.CreateInvoice(ctx, store.NewInvoice{UserID: 7, Asset: store.TON.Symbol, Amount: 1_000_000_000, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		select {
		case c := <-heard:
			if c.Kind == store.ChangeResync {
				t.Fatal("a quiet listener was taken for a lost one (resync)")
			}
			got = c.Kind == store.ChangeInvoice && c.ID == inv.ID
		case <-deadline:
			t.Fatal("node a never heard the invoice after a quiet while")
		}
	}
	if out := logs.String(); out != "" {
		t.Fatalf("a quiet listener logged:\n%s", out)
	}
}
