package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// node is one `tonpay serve` process of the failover test.
type node struct {
	name string
	addr string // its HTTP address
	cmd  *exec.Cmd
	log  *syncBuffer
}

// TestFailoverThreeNodes runs the built binary as three nodes on one
// PostgreSQL database with the emulated chain and the Bot API stand-in.
// With deposits and 200 withdrawals in flight the leader is killed (-9);
// another node takes over within the lease's time. Then the new leader is
// frozen (SIGSTOP) past its lease, a third takes over, and the frozen one is
// let go (SIGCONT): it can neither book nor send. At the end every deposit
// is credited once, every withdrawal paid once and the books equal the
// chain. The users' pages on the two nodes that did not lead at first,
// open from before the first deposit, showed each credit and show every
// balance and every withdrawal's status as the database holds them (on the
// frozen node once it runs again): no event was lost though other nodes
// committed them. Last, that node's
// connection for the other nodes' changes is cut: it reconnects and its
// pages re-read, so what committed meanwhile reaches them too.
func TestFailoverThreeNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three processes for about a minute")
	}
	const botToken = "123456:TEST"
	pg := storetest.Schema(t)
	bin := buildBinary(t)
	ctx := context.Background()

	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(300 * time.Millisecond)
	words := tonrig.Seed()
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	work := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + work,
		"BOT_TOKEN=" + botToken, "TELEGRAM_API_URL=" + fakeBotAPI(t).URL,
		"DATABASE_URL=" + pg, "DB_PATH=" + work + "/unused.db",
		"TON_LITESERVERS=" + chain.LiteServers(), "TON_PROOF_CHECK=unsafe", "TON_RPS=0",
		"HOT_WALLET_MNEMONIC=" + strings.Join(words, " "),
		"WITHDRAW_FEE=GRAM:0.01", "WITHDRAW_MIN=GRAM:0.1", "WITHDRAW_APPROVAL_ABOVE=GRAM:1000000",
		"MAX_QUEUED_WITHDRAWALS=1000", "LOG_LEVEL=info",
	}
	nodes := map[string]*node{}
	for _, name := range []string{"n1", "n2", "n3"} {
		n := &node{name: name, addr: freeAddr(t), log: &syncBuffer{}}
		n.cmd = exec.Command(bin, "serve")
		n.cmd.Dir = work
		// DATABASE_URL names each node's connections after it.
		n.cmd.Env = append(append([]string(nil), env...), "NODE_NAME="+name, "HTTP_ADDR="+n.addr,
			"DATABASE_URL="+withApplicationName(t, pg, name))
		n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		nodes[name] = n
		t.Cleanup(func() {
			n.cmd.Process.Signal(syscall.SIGCONT)
			n.cmd.Process.Kill()
			n.cmd.Wait()
			if t.Failed() {
				t.Logf("node %s log:\n%s", name, n.log.String())
			}
		})
	}
	leader := func() string {
		l, err := db.Leader(ctx)
		if err != nil || !time.Now().Before(l.Expires) {
			return ""
		}
		name, _, _ := strings.Cut(l.Holder, "-")
		return name
	}
	waitFor(t, 30*time.Second, func() bool { return leader() != "" })

	// Users with deposits, made while the nodes run.
	const users = 50
	funder, err := chain.NewWallet(wallet.V4R2, 100_000*1_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	chain.Fund(hot, 50*1_000_000_000) // the float for the payouts' fees
	var us []store.User
	for i := range users {
		u, err := db.UpsertUser(ctx, store.User{ID: int64(5000 + i)})
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}

	// Each user's page is open on both nodes that do not lead now (the
	// leader is killed first; which of the others is frozen is not known
	// yet), before the first deposit.
	pagesCtx, closePages := context.WithCancel(ctx)
	defer closePages()
	pages := map[string][]*page{}
	for name, n := range nodes {
		if name == leader() {
			continue
		}
		for _, u := range us {
			pages[name] = append(pages[name], openPage(pagesCtx, t, name, n.addr, botToken, u.ID))
		}
	}
	if len(pages) != 2 {
		t.Fatalf("pages on %d nodes, want 2 (the leader changed before any was killed?)", len(pages))
	}
	all := slices.Concat(slices.Collect(maps.Values(pages))...)
	dbState := func(ids map[int64][]int64) func(int64) pageState {
		want := map[int64]pageState{}
		for _, u := range us {
			b, err := db.Balance(ctx, store.UserAccount(u.ID), store.TON.Symbol)
			if err != nil {
				t.Fatal(err)
			}
			st := pageState{balance: b, withdrawals: map[int64]string{}}
			for _, id := range ids[u.ID] {
				w, err := db.UserWithdrawal(ctx, u.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				st.withdrawals[id] = w.Status
			}
			want[u.ID] = st
		}
		return func(user int64) pageState { return want[user] }
	}
	waitPages(t, 20*time.Second, all, dbState(nil)) // open, showing 0
	t.Logf("%d pages open on %v", len(all), slices.Sorted(maps.Keys(pages)))
	deposit := func(u store.User) {
		t.Helper()
		if err := funder.Send(hot, 10*1_000_000_000, u.Comment, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range us[:users/2] {
		deposit(u)
	}
	credited := func(n int) func() bool {
		return func() bool {
			k, err := db.CountChainEvents(ctx)
			return err == nil && k[store.KindCredited] >= n
		}
	}
	waitFor(t, 60*time.Second, credited(users/2))
	// Each credit reached the pages, though the leader booked it.
	waitPages(t, 20*time.Second, all, dbState(nil))

	// 200 withdrawals, then the leader dies in the middle of paying them
	// (and of the deposits of the other half of the users).
	var dests []*address.Address
	ids := map[int64][]int64{} // user -> withdrawals
	for i := range 200 {
		u := us[i%(users/2)]
		h := sha256.Sum256(fmt.Appendf(nil, "failover/%d", i))
		to := address.NewAddress(0, 0, h[:])
		w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: u.ID, IdemKey: fmt.Sprint("f", i), Asset: store.TON.Symbol,
			Amount: 200_000_000 + store.Amount(i), Fee: 10_000_000, FeeAsset: store.TON.Symbol, Destination: ton.FormatAddress(to, true)})
		if err != nil {
			t.Fatalf("withdrawal %d: %v", i, err)
		}
		dests = append(dests, to)
		ids[u.ID] = append(ids[u.ID], w.ID)
	}
	waitFor(t, 30*time.Second, func() bool {
		bs, err := db.Batches(ctx)
		return err == nil && len(bs) > 0
	})
	for _, u := range us[users/2:] {
		deposit(u)
	}
	first := leader()
	if err := nodes[first].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitFor(t, leaseTTL+15*time.Second, func() bool { l := leader(); return l != "" && l != first })
	second := leader()
	t.Logf("%s killed; %s leads after %v", first, second, time.Since(killed).Round(time.Millisecond))

	// The new leader freezes past its lease; a third takes over; the
	// frozen one wakes fenced.
	if err := nodes[second].cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, leaseTTL+15*time.Second, func() bool { l := leader(); return l != "" && l != second })
	third := leader()
	if third == first {
		t.Fatalf("the killed node %s leads", first)
	}
	if err := nodes[second].cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s frozen; %s leads; %s let go", second, third, second)

	// Everything settles under the third leader.
	settling := time.Now()
	waitFor(t, 90*time.Second, func() bool {
		if !credited(users)() {
			return false
		}
		for _, st := range []string{store.WithdrawalQueued, store.WithdrawalSent} {
			if ws, err := db.Withdrawals(ctx, st, 1); err != nil || len(ws) > 0 {
				return false
			}
		}
		return true
	})
	t.Logf("settled %v after %s was let go", time.Since(settling).Round(time.Millisecond), second)
	if l := leader(); l != third {
		t.Fatalf("leader %s at the end, want %s (the woken node took the lease back?)", l, third)
	}
	if !strings.Contains(nodes[second].log.String(), "no longer leads") {
		t.Fatalf("the frozen node %s did not step down:\n%s", second, nodes[second].log.String())
	}

	// Every withdrawal paid once; every deposit credited once.
	for i, to := range dests {
		txs := chain.Transactions(to)
		if len(txs) != 1 {
			t.Fatalf("withdrawal %d: its destination has %d transactions, want 1", i, len(txs))
		}
	}
	k, err := db.CountChainEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if k[store.KindCredited] != users {
		t.Fatalf("%d deposits credited, want %d", k[store.KindCredited], users)
	}
	for _, u := range us {
		if b, _ := db.Balance(ctx, store.UserAccount(u.ID), store.TON.Symbol); b < 0 {
			t.Fatalf("user %d balance %d", u.ID, b)
		}
	}
	// The pages on the node that ran throughout show every user's balance
	// and every withdrawal's last status.
	survivors := pages[third]
	if survivors == nil {
		t.Fatalf("no pages on %s, the node that was neither killed nor frozen", third)
	}
	waitPages(t, 20*time.Second, survivors, dbState(ids))
	resyncs := 0
	for _, p := range survivors {
		p.mu.Lock()
		resyncs += p.resyncs
		p.mu.Unlock()
	}
	t.Logf("the %d pages on %s show every balance and withdrawal (%d resyncs)", len(survivors), third, resyncs)
	// So do those on the node that was frozen, now that it runs again
	// (what it heard while frozen arrives late; a stream that falls too
	// far behind ends with resync and its page re-reads).
	woke := time.Now()
	waitPages(t, 20*time.Second, pages[second], dbState(ids))
	t.Logf("the pages on %s, which was frozen, show them too (%v more)", second, time.Since(woke).Round(time.Millisecond))

	// Cut the connection the survivor hears the other nodes on, and commit
	// a change on another connection at once: whether or not the survivor
	// was listening again by then, its pages must be told to re-read, and
	// show the change.
	before := map[*page]int{}
	for _, p := range survivors {
		p.mu.Lock()
		before[p] = p.opens
		p.mu.Unlock()
	}
	admin, err := pgx.Connect(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var cut int
	cutAt := time.Now()
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1`, third+" listener").Scan(&cut); err != nil {
		t.Fatal(err)
	}
	if cut != 1 {
		t.Fatalf("terminated %d listening connections of %s, want 1", cut, third)
	}
	from, to := us[users-1], us[users-2]
	if _, err := db.Post(ctx, store.Transfer{Key: "failover/moved", Kind: store.TransferAdjustment, Postings: []store.Posting{
		{Account: store.UserAccount(from.ID), Asset: store.TON.Symbol, Amount: -1_000_000_000},
		{Account: store.UserAccount(to.ID), Asset: store.TON.Symbol, Amount: 1_000_000_000},
	}}); err != nil {
		t.Fatal(err)
	}
	reopened := func() (late []int64) {
		for _, p := range survivors {
			p.mu.Lock()
			if p.opens <= before[p] {
				late = append(late, p.user)
			}
			p.mu.Unlock()
		}
		return late
	}
	for deadline := time.Now().Add(20 * time.Second); len(reopened()) > 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the pages of users %v on %s were not told to re-read after its listener came back", reopened(), third)
		}
	}
	waitPages(t, 20*time.Second, survivors, dbState(ids))
	t.Logf("%s's listener cut: its pages re-read and show the change made meanwhile after %v", third, time.Since(cutAt).Round(time.Millisecond))
	out := nodes[third].log.String()
	if lost, back := strings.Count(out, "lost the connection the other nodes"), strings.Count(out, "listening to the other nodes again"); lost != 1 || back != 1 {
		t.Fatalf("%s logged the outage %d times and its end %d times, want once each:\n%s", third, lost, back, out)
	}

	// The books equal the chain.
	waitFor(t, 20*time.Second, func() bool {
		rs, err := db.Reconciliations(ctx)
		if err != nil || len(rs) == 0 {
			return false
		}
		for _, r := range rs {
			if r.Drift != 0 {
				return false
			}
		}
		return true
	})
	if problems, err := db.Audit(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("audit: %v %v", problems, err)
	}
}
