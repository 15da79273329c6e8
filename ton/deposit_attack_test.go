package ton_test

import (
	"context"
	"errors"
	"math/big"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton/tontest"
)

// A stranger sends one unit of USDT to a deposit address, again and again:
// the hot wallet must not pay the gas of a jetton sweep for each one (on
// the emulator each such sweep cost the hot wallet about 0.004 Gram, more
// than the sender spent). Dust waits on the address until what it holds is
// worth its sweep, then all of it moves at once.
func TestDepositAddressJettonDustGetsNoGas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRigWith(t, map[string]store.Amount{"USDT": 1_000_000})
	u, err := d.db.UpsertUser(ctx, store.User{ID: 91})
	must(t, err)
	dw, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
	must(t, err)
	addr, err := address.ParseRawAddr(dw.Address)
	must(t, err)
	funder := d.wallet(100)
	d.fundHot(funder)
	d.pass()
	attacker := d.wallet(10)
	d.usdt.Mint(attacker.Address(), big.NewInt(2_000_000))
	d.mine(2)
	hotBefore := d.chain.Balance(d.hot)
	drive := func() {
		for range 6 {
			if err := d.s.Payer.Pass(ctx, d.head); err != nil {
				t.Fatal(err)
			}
			if _, err := d.sw.Pass(ctx, d.head); err != nil {
				t.Fatal(err)
			}
			d.mine(1)
		}
		d.chain.Advance(11 * time.Minute) // past the payer's ten minutes between gas top-ups
		d.mine(1)
	}
	const rounds = 3
	for range rounds {
		must(t, attacker.SendJetton(d.usdt, addr, big.NewInt(1), 0, ""))
		d.mine(2)
		drive()
	}
	if lost := int64(hotBefore) - int64(d.chain.Balance(d.hot)); lost != 0 {
		t.Fatalf("the hot wallet paid %d nanogram for %d units of USDT dust", lost, rounds)
	}
	if got := d.usdt.BalanceOf(addr).Int64(); got != rounds {
		t.Fatalf("the address holds %d USDT units, want the %d of dust", got, rounds)
	}
	// Enough arrives: everything there is swept, dust included.
	must(t, attacker.SendJetton(d.usdt, addr, big.NewInt(1_000_000), 0, ""))
	d.mine(2)
	for i := 0; i < 4 && d.usdt.BalanceOf(addr).Int64() != 0; i++ {
		drive()
	}
	if got := d.usdt.BalanceOf(d.hot).Int64(); got != 1_000_000+rounds {
		t.Fatalf("the hot wallet holds %d USDT units after the sweep, want %d", got, 1_000_000+rounds)
	}
}

// Fake jettons at a deposit address: a jetton of another master (same
// symbol) with a notification and a comment, and a hand-made
// transfer_notification claiming USDT: no USDT is credited; the Gram that
// really came with them is the owner's; the books equal the chain.
func TestDepositAddressFakeJettonsNeverCredit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRig(t)
	u, err := d.db.UpsertUser(ctx, store.User{ID: 92})
	must(t, err)
	dw, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
	must(t, err)
	addr, err := address.ParseRawAddr(dw.Address)
	must(t, err)
	d.pass()
	attacker := d.wallet(10)
	fake := d.chain.NewJetton("USDT", 6)
	fake.Mint(attacker.Address(), big.NewInt(1_000_000_000))
	d.mine(2)
	must(t, attacker.SendJetton(fake, addr, big.NewInt(500_000_000), tonUnit/10, u.Comment))
	body := cell.BeginCell().MustStoreUInt(0x7362d09c, 32).MustStoreUInt(0, 64).MustStoreBigCoins(big.NewInt(900_000_000)).
		MustStoreAddr(attacker.Address()).MustStoreBoolBit(false).EndCell()
	must(t, attacker.SendBody(addr.Bounce(false), tonUnit/5, body, false))
	d.mine(4)
	if got := balance(t, d.db, store.UserAccount(u.ID), "USDT"); got != 0 {
		t.Fatalf("fake jettons credited %d USDT", got)
	}
	if got := balance(t, d.db, store.UserAccount(u.ID), store.TON.Symbol); got != tonUnit/10+tonUnit/5 {
		t.Fatalf("user's Gram %d, want the %d that arrived", got, tonUnit/10+tonUnit/5)
	}
}

// A deposit address's jetton wallet that refuses to send (its jettons
// frozen by the stablecoin's admin): the sweep is refused once; the hot
// wallet must not keep sending gas for a sweep that can only be refused
// again, every ten minutes, for ever. A new deposit there tries again.
func TestDepositAddressRefusedJettonSweepIsNotRetriedForEver(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) { t.Parallel(); refusedSweep(t, false) })
	// The hot wallet's jetton wallet refuses to receive: the sweep leaves
	// and comes back, every time.
	t.Run("sent back", func(t *testing.T) { t.Parallel(); refusedSweep(t, true) })
}

func refusedSweep(t *testing.T, hotFrozen bool) {
	ctx := context.Background()
	d := newDepositRig(t)
	u, err := d.db.UpsertUser(ctx, store.User{ID: 93})
	must(t, err)
	dw, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
	must(t, err)
	addr, err := address.ParseRawAddr(dw.Address)
	must(t, err)
	funder := d.wallet(100)
	d.fundHot(funder)
	d.pass()
	payer := d.wallet(10)
	d.usdt.Mint(payer.Address(), big.NewInt(50_000_000))
	d.mine(2)
	must(t, payer.SendJetton(d.usdt, addr, big.NewInt(5_000_000), 0, ""))
	d.mine(2)
	frozen, status := addr, uint8(tontest.JettonStatusNoSend)
	if hotFrozen {
		frozen, status = d.hot, tontest.JettonStatusNoReceive
	}
	d.usdt.SetStatus(frozen, status)
	d.pass()
	cycle := func() {
		for range 6 {
			if err := d.s.Payer.Pass(ctx, d.head); err != nil {
				t.Fatal(err)
			}
			if _, err := d.sw.Pass(ctx, d.head); err != nil {
				t.Fatal(err)
			}
			d.mine(1)
		}
		d.chain.Advance(11 * time.Minute) // past the payer's ten minutes between gas top-ups
		d.mine(1)
	}
	cycle() // gas, a sweep, refused
	cycle()
	hotBefore := d.chain.Balance(d.hot)
	for range 4 {
		cycle()
	}
	if lost := int64(hotBefore) - int64(d.chain.Balance(d.hot)); lost > 0 {
		t.Fatalf("the hot wallet spent %d nanogram more on a sweep that is refused every time", lost)
	}
	if got := d.usdt.BalanceOf(addr).Int64(); got != 5_000_000 {
		t.Fatalf("the address holds %d USDT units", got)
	}
	// Unfrozen and another deposit: the sweep is tried again and moves all.
	d.usdt.SetStatus(frozen, 0)
	must(t, payer.SendJetton(d.usdt, addr, big.NewInt(1_000_000), 0, ""))
	d.mine(2)
	for i := 0; i < 3 && d.usdt.BalanceOf(addr).Int64() != 0; i++ {
		cycle()
	}
	if got := d.usdt.BalanceOf(addr).Int64(); got != 0 {
		t.Fatalf("the address still holds %d USDT units after a new deposit", got)
	}
}

// Nothing is swept while payouts are paused (an admin's pause or a
// drift): neither the coins nor the jettons, nor the gas sent for them.
func TestDepositAddressNotSweptWhilePaused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRig(t)
	u, err := d.db.UpsertUser(ctx, store.User{ID: 94})
	must(t, err)
	dw, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
	must(t, err)
	addr, err := address.ParseRawAddr(dw.Address)
	must(t, err)
	funder := d.wallet(100)
	d.fundHot(funder)
	d.pass()
	payer := d.wallet(10)
	d.usdt.Mint(payer.Address(), big.NewInt(50_000_000))
	d.mine(2)
	must(t, payer.Send(addr.Bounce(false), 3*tonUnit, "", false))
	other, err := d.db.UpsertUser(ctx, store.User{ID: 95})
	must(t, err)
	ow, err := d.db.DepositWallet(ctx, store.UserOwner(other.ID))
	must(t, err)
	oaddr, err := address.ParseRawAddr(ow.Address)
	must(t, err)
	d.pass()
	must(t, payer.SendJetton(d.usdt, oaddr, big.NewInt(5_000_000), 0, ""))
	d.mine(3)
	must(t, d.db.PausePayouts(ctx, store.AdminActor(1, ""), "maintenance"))
	hotBefore := d.chain.Balance(d.hot)
	for range 4 {
		must(t, d.s.Payer.Pass(ctx, d.head))
		n, err := d.sw.Pass(ctx, d.head)
		must(t, err)
		if n != 0 {
			t.Fatalf("swept %d wallets while paused", n)
		}
		d.mine(1)
	}
	if d.chain.Balance(addr) < 3*tonUnit-tonUnit/100 || d.chain.Balance(oaddr) != 0 || d.chain.Balance(d.hot) != hotBefore {
		t.Fatalf("while paused: the address holds %d, the other %d, the hot wallet %d (was %d)",
			d.chain.Balance(addr), d.chain.Balance(oaddr), d.chain.Balance(d.hot), hotBefore)
	}
	_, _, err = d.db.ResumePayouts(ctx, store.AdminActor(1, ""))
	must(t, err)
	for i := 0; i < 12 && (d.chain.Balance(addr) > tonUnit/100 || d.usdt.BalanceOf(oaddr).Int64() != 0); i++ {
		must(t, d.s.Payer.Pass(ctx, d.head))
		_, err := d.sw.Pass(ctx, d.head)
		must(t, err)
		d.mine(1)
	}
	if d.chain.Balance(addr) > tonUnit/100 || d.usdt.BalanceOf(oaddr).Int64() != 0 {
		t.Fatalf("after resuming: the address holds %d nanogram, the other %d USDT units", d.chain.Balance(addr), d.usdt.BalanceOf(oaddr).Int64())
	}
}

// Crashes at every step of a pass (the block walk included) while deposits
// to deposit addresses are booked, each followed by a new process resuming
// from the database: every deposit is credited to its address's owner
// exactly once, and the books equal the chain.
func TestDepositAddressCrashAtEveryStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRig(t)
	const users = 4
	var addrs []*address.Address
	for i := range users {
		u, err := d.db.UpsertUser(ctx, store.User{ID: int64(500 + i)})
		must(t, err)
		dw, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
		must(t, err)
		a, err := address.ParseRawAddr(dw.Address)
		must(t, err)
		addrs = append(addrs, a)
	}
	d.pass()
	senders := []*tontest.Wallet{d.wallet(200), d.wallet(200), d.wallet(200)}
	for _, s := range senders {
		d.usdt.Mint(s.Address(), big.NewInt(1_000_000_000))
	}
	d.chain.Mine()
	d.pass()
	d.db.Close()
	wantTON := map[int]store.Amount{}
	wantUSDT := map[int]store.Amount{}
	credits := 0
	i := 0
	// wave makes a few deposits of every kind over two blocks.
	wave := func() {
		for range 8 {
			w := senders[i%len(senders)]
			u := i % users
			amt := uint64(20_000_000 + i*1000)
			switch i % 5 {
			case 0, 1:
				must(t, w.Send(addrs[u].Bounce(false), amt, []string{"", "hello"}[i%2], false))
				wantTON[u] += store.Amount(amt)
				credits++
			case 2:
				must(t, w.SendJetton(d.usdt, addrs[u], big.NewInt(int64(amt)), 0, ""))
				wantUSDT[u] += store.Amount(amt)
				credits++
			case 3:
				must(t, w.SendJetton(d.usdt, addrs[u], big.NewInt(int64(amt)), 1, "x"))
				wantUSDT[u] += store.Amount(amt)
				credits++
			case 4: // bounceable to a wallet not deployed: comes back, never credited
				must(t, w.Send(addrs[u].Bounce(true), amt, "", true))
			}
			i++
			if i%len(senders) == 0 {
				d.chain.Mine()
			}
		}
		d.chain.Mine()
		d.chain.Mine()
	}
	steps := []string{"master", "block", "account", "page", "classify", "event", "recorded", "booked", "matched", "commit"}
	perPass := map[string]int{"master": 1, "block": 3, "account": 4, "page": 4, "commit": 2}
	var step atomic.Value
	var countdown atomic.Int64
	fired := map[string]int{}
	var firedMu sync.Mutex
	fp := func(s string) error {
		if cur, _ := step.Load().(string); s == cur && countdown.Add(-1) == 0 {
			firedMu.Lock()
			fired[s]++
			firedMu.Unlock()
			return errors.New("injected crash at " + s)
		}
		return nil
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 4 * len(steps) {
		if round%2 == 0 {
			wave()
		}
		s := steps[round%len(steps)]
		n := perPass[s]
		if n == 0 {
			n = 8
		}
		step.Store(s)
		countdown.Store(int64(1 + rng.IntN(n)))
		db := d.open(store.WithFailpoint(fp))
		sc := d.scanner(db, fp)
		for range 3 { // a process may get through a pass or two before it crashes
			if _, err := sc.Pass(ctx, nil); err != nil {
				break
			}
		}
		db.Close()
	}
	for _, s := range steps {
		if fired[s] == 0 {
			t.Fatalf("no crash was injected at %s: %v", s, fired)
		}
	}
	t.Logf("crashes injected and recovered: %v", fired)
	step.Store("")
	d.db = d.open()
	d.f = d.scanner(d.db, nil)
	d.pass()
	for u := range users {
		uid := int64(500 + u)
		if got := balance(t, d.db, store.UserAccount(uid), store.TON.Symbol); got != wantTON[u] {
			t.Fatalf("user %d: %d nanogram, want %d", uid, got, wantTON[u])
		}
		if got := balance(t, d.db, store.UserAccount(uid), "USDT"); got != wantUSDT[u] {
			t.Fatalf("user %d: %d USDT units, want %d", uid, got, wantUSDT[u])
		}
	}
	kinds, err := d.db.CountChainEvents(ctx)
	must(t, err)
	if kinds[store.KindCredited] != credits {
		t.Fatalf("%d credits, want %d", kinds[store.KindCredited], credits)
	}
}
