package store_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// The child processes of TestWithdrawalsFromSeveralProcesses.
const (
	childURLEnv = "TONPAY_TEST_CHILD_URL"
	childRunEnv = "TONPAY_TEST_CHILD" // storetest.Main runs no second pass in a child
)

const (
	mpProcesses = 4
	mpPerChild  = 25                          // 100 withdrawals in all
	mpFee       = store.Amount(10_000_000)    // 0.01 GRAM
	mpAmount    = store.Amount(1_000_000_000) // 1 GRAM
	mpAffords   = 10                          // the balance pays exactly 10
)

// TestWithdrawalsFromSeveralProcesses: on PostgreSQL, 100 withdrawals
// requested at once by four processes (each its own store, its own
// connections, as four tonpay nodes) against a balance for exactly 10: 10
// are queued, 90 refused for the balance, the balance is zero and the
// ledger's invariants hold. Nothing but the database orders them: the
// conditional debit (UPDATE ... WHERE balance + amount >= 0) and the
// serializable write transactions, retried when they lose.
func TestWithdrawalsFromSeveralProcesses(t *testing.T) {
	if !storetest.OnPostgres() {
		storetest.PostgresURL(t) // skips (or fails) without PostgreSQL, saying so
		t.Skip("runs in the PostgreSQL run of the store's tests")
	}
	ctx := context.Background()
	url := storetest.Schema(t)
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SyncAssets(ctx, []store.Asset{store.TON}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpsertUser(ctx, store.User{ID: 1}); err != nil {
		t.Fatal(err)
	}
	acct := store.UserAccount(1)
	if _, err := db.Post(ctx, deposit("fund", acct, store.TON.Symbol, mpAffords*(mpAmount+mpFee))); err != nil {
		t.Fatal(err)
	}

	type child struct {
		cmd *exec.Cmd
		in  io.WriteCloser
		out *bufio.Scanner
	}
	var children []child
	for i := range mpProcesses {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWithdrawalsChildProcess$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), childURLEnv+"="+url, childRunEnv+"="+strconv.Itoa(i))
		cmd.Stderr = os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		children = append(children, child{cmd, in, bufio.NewScanner(out)})
	}
	// Every child has opened its store; then they all start at once.
	line := func(c child, prefix string) string {
		for c.out.Scan() {
			if s, ok := strings.CutPrefix(c.out.Text(), prefix); ok {
				return s
			}
		}
		t.Fatalf("a child ended before saying %q: %v", prefix, c.out.Err())
		return ""
	}
	for _, c := range children {
		line(c, "ready")
	}
	for _, c := range children {
		c.in.Close()
	}
	got := map[string]int{}
	for i, c := range children {
		for kv := range strings.FieldsSeq(line(c, "outcomes ")) {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.Atoi(v)
			got[k] += n
		}
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
	}
	if got[store.WithdrawalQueued] != mpAffords || got[store.RefuseInsufficient] != mpProcesses*mpPerChild-mpAffords || len(got) != 2 {
		t.Fatalf("outcomes %v", got)
	}
	if b, err := db.Balance(ctx, acct, store.TON.Symbol); err != nil || b != 0 {
		t.Fatalf("balance %d %v", b, err)
	}
	ws, err := db.UserWithdrawals(ctx, 1, 1000)
	if err != nil || len(ws) != mpAffords {
		t.Fatalf("%d withdrawals recorded, %v", len(ws), err)
	}
	storetest.Audit(t, db)
}

// TestWithdrawalsChildProcess is one process of
// TestWithdrawalsFromSeveralProcesses (it does nothing in a normal run):
// it opens the store, says "ready", waits for its input to close, requests
// its withdrawals all at once and prints their outcomes.
func TestWithdrawalsChildProcess(t *testing.T) {
	url := os.Getenv(childURLEnv)
	if url == "" {
		t.Skip("a child process of TestWithdrawalsFromSeveralProcesses")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p := store.NewPolicy(db, store.Rules{Assets: []store.Asset{store.TON},
		WithdrawFee:          map[string]store.Amount{store.TON.Symbol: mpFee},
		MaxQueuedWithdrawals: 1000,
		ParseDestination: func(s string) (store.Destination, error) {
			return store.Destination{Raw: s, Display: s}, nil
		}})
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin) // the parent closes it: go
	me := os.Getenv(childRunEnv)
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for i := range mpPerChild {
		wg.Go(func() {
			w, _, err := p.Withdraw(ctx, store.WithdrawRequest{UserID: 1, Asset: store.TON.Symbol, Amount: "1", Destination: payTo},
				fmt.Sprintf("p%s-%d", me, i))
			k := w.Status
			if rf, ok := store.AsRefusal(err); ok {
				k = rf.Code
			} else if err != nil {
				k = strings.ReplaceAll(err.Error(), " ", "_")
			}
			mu.Lock()
			got[k]++
			mu.Unlock()
		})
	}
	wg.Wait()
	var b strings.Builder
	for k, v := range got {
		fmt.Fprintf(&b, " %s=%d", k, v)
	}
	fmt.Printf("outcomes%s\n", b.String())
	t.Logf("process %s: %d withdrawals in %v", me, mpPerChild, time.Since(start).Round(time.Millisecond))
}
