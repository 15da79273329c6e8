package ton_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton"
)

// depositRig is the rig with deposit wallets derived from the hot wallet's
// seed, a follower and a sweeper.
type depositRig struct {
	*rig
	db   *store.DB
	keys *ton.DepositKeys
	s    *svc
	f    *ton.Follower
	sw   *ton.Sweeper
	head ton.Head
}

func newDepositRig(t *testing.T) *depositRig { return newDepositRigWith(t, nil) }

// newDepositRigWith is the rig whose payer and sweeper leave each jetton
// below jettonMin on its deposit address.
func newDepositRigWith(t *testing.T, jettonMin map[string]store.Amount) *depositRig {
	r := newRig(t)
	db := r.open()
	t.Cleanup(func() { db.Close() })
	keys, err := ton.NewDepositKeys(r.words, true)
	must(t, err)
	db.SetDepositDeriver(keys.Deriver())
	s := r.service(db, nil, svcOpts{payer: ton.PayerConfig{SweepGas: ton.DefaultSweepJettonGas, SweepJettonMin: jettonMin}})
	d := &depositRig{rig: r, db: db, keys: keys, s: s, f: s.f}
	d.sw = ton.NewSweeper(r.client.API, db, nil, ton.SweeperConfig{Keys: keys, Hot: r.hot, Min: tonUnit, JettonMin: jettonMin, Log: quiet()})
	d.pass()
	return d
}

// pass runs the follower to the chain's head and checks the books equal the
// chain at that block, over the hot wallet and every deposit wallet.
func (d *depositRig) pass() {
	d.t.Helper()
	d.catchUp(d.f)
	select {
	case d.head = <-d.f.Heads():
	default:
	}
	rs, err := d.db.Reconciliations(context.Background())
	must(d.t, err)
	for _, rc := range rs {
		if rc.Drift != 0 {
			d.t.Fatalf("block %d: %s drift %d (chain %d, ledger %d)", rc.Block, rc.Asset, rc.Drift, rc.Chain, rc.Ledger)
		}
	}
	storetest.Audit(d.t, d.db)
}

// mine makes n blocks, following each.
func (d *depositRig) mine(n int) {
	for range n {
		d.chain.Mine()
		d.pass()
	}
}

// A user gets an address of their own, receives Gram and USDT there from a
// wallet that writes no comment, sees both credited in the block they land
// in, and the sweep moves both to the hot wallet; the books equal the chain
// after every block, over every wallet.
func TestDepositAddressCreditsAndSweeps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRig(t)
	u, err := d.db.UpsertUser(ctx, store.User{ID: 77})
	must(t, err)
	other, err := d.db.UpsertUser(ctx, store.User{ID: 78})
	must(t, err)
	dw, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
	must(t, err)
	again, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
	must(t, err)
	ow, err := d.db.DepositWallet(ctx, store.UserOwner(other.ID))
	must(t, err)
	if again.Address != dw.Address || ow.Address == dw.Address {
		t.Fatalf("addresses: %s, again %s, another user's %s", dw.Address, again.Address, ow.Address)
	}
	addr, err := address.ParseRawAddr(dw.Address)
	must(t, err)
	d.pass() // the follower learns the address (and its USDT wallet)

	payer := d.wallet(100)
	d.usdt.Mint(payer.Address(), big.NewInt(50_000_000))
	d.mine(3)
	// A plain transfer and a jetton transfer, neither with a comment, the
	// jetton one with no notification (as exchanges send).
	must(t, payer.Send(addr.Bounce(false), 3*tonUnit, "", false))
	must(t, payer.SendJetton(d.usdt, addr, big.NewInt(5_000_000), 0, ""))
	for i := 0; i < 8 && (balance(t, d.db, store.UserAccount(u.ID), store.TON.Symbol) == 0 ||
		balance(t, d.db, store.UserAccount(u.ID), "USDT") == 0); i++ {
		d.mine(1)
	}
	if got := balance(t, d.db, store.UserAccount(u.ID), store.TON.Symbol); got != 3*tonUnit {
		t.Fatalf("user's Gram %d, want %d", got, 3*tonUnit)
	}
	if got := balance(t, d.db, store.UserAccount(u.ID), "USDT"); got != 5_000_000 {
		t.Fatalf("user's USDT %d, want 5000000", got)
	}
	if got := balance(t, d.db, store.UserAccount(other.ID), store.TON.Symbol); got != 0 {
		t.Fatalf("another user got %d", got)
	}
	held, err := d.db.DepositBalance(ctx, dw.ID)
	must(t, err)
	if held[store.TON.Symbol] != store.Amount(d.chain.Balance(addr)) || held["USDT"] != 5_000_000 {
		t.Fatalf("ledger says the address holds %v, the chain %d nanogram", held, d.chain.Balance(addr))
	}

	// The sweep: the jettons with their gas, then every coin left.
	n, err := d.sw.Pass(ctx, d.head)
	must(t, err)
	if n != 1 {
		t.Fatalf("swept %d wallets, want 1", n)
	}
	hotBefore := d.chain.Balance(d.hot)
	for i := 0; i < 10 && d.usdt.BalanceOf(d.hot).Int64() != 5_000_000; i++ {
		d.mine(1)
	}
	d.mine(3)
	if got := d.usdt.BalanceOf(d.hot).Int64(); got != 5_000_000 {
		for _, tx := range d.chain.Transactions(addr) {
			t.Logf("deposit wallet tx %d: %s", tx.LT, tx.String())
		}
		evs, _ := d.db.ChainEvents(ctx, 0, 50)
		for _, e := range evs {
			t.Logf("event %s %s %d %s", e.Kind, e.Asset, e.Amount, e.Note)
		}
		t.Fatalf("hot wallet's USDT %d after the sweep", got)
	}
	if got := d.usdt.BalanceOf(addr).Int64(); got != 0 {
		t.Fatalf("the address still holds %d USDT", got)
	}
	if d.chain.Balance(d.hot) <= hotBefore+2*tonUnit {
		t.Fatalf("hot wallet %d, was %d: the coins were not swept", d.chain.Balance(d.hot), hotBefore)
	}
	held, err = d.db.DepositBalance(ctx, dw.ID)
	must(t, err)
	if held[store.TON.Symbol] != store.Amount(d.chain.Balance(addr)) || held["USDT"] != 0 {
		t.Fatalf("after the sweep the ledger says the address holds %v, the chain %d", held, d.chain.Balance(addr))
	}
	if got := balance(t, d.db, store.AccountTransit, store.TON.Symbol) + balance(t, d.db, store.AccountTransit, "USDT"); got != 0 {
		t.Fatalf("%d left in transit", got)
	}
	// The user's balance never depended on the sweep.
	if got := balance(t, d.db, store.UserAccount(u.ID), store.TON.Symbol); got != 3*tonUnit {
		t.Fatalf("user's Gram %d after the sweep", got)
	}
	if got := balance(t, d.db, store.UserAccount(u.ID), "USDT"); got != 5_000_000 {
		t.Fatalf("user's USDT %d after the sweep", got)
	}
	// Nothing more to sweep.
	n, err = d.sw.Pass(ctx, d.head)
	must(t, err)
	if n != 0 {
		t.Fatalf("swept %d wallets again", n)
	}
}

// USDT alone sent to a deposit address (the usual exchange withdrawal: no
// Gram there to pay the sweep): credited at once; the hot wallet sends the
// address the gas its sweep needs, the sweep moves the USDT, and the gas
// left comes back with it; every fee is booked and the books equal the
// chain after every block.
func TestDepositAddressJettonsGetTheirGas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRig(t)
	u, err := d.db.UpsertUser(ctx, store.User{ID: 90})
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
	must(t, payer.SendJetton(d.usdt, addr, big.NewInt(7_000_000), 0, ""))
	for i := 0; i < 6 && balance(t, d.db, store.UserAccount(u.ID), "USDT") == 0; i++ {
		d.mine(1)
	}
	if got := balance(t, d.db, store.UserAccount(u.ID), "USDT"); got != 7_000_000 {
		t.Fatalf("user's USDT %d, want 7000000", got)
	}
	if d.chain.Balance(addr) != 0 {
		t.Fatalf("the address holds %d nanogram before any gas", d.chain.Balance(addr))
	}
	// The payer sends the gas; the sweeper then moves the USDT.
	for i := 0; i < 20 && d.usdt.BalanceOf(d.hot).Int64() != 7_000_000; i++ {
		if err := d.s.Payer.Pass(ctx, d.head); err != nil {
			t.Fatal(err)
		}
		if _, err := d.sw.Pass(ctx, d.head); err != nil {
			t.Fatal(err)
		}
		d.mine(1)
	}
	d.mine(2)
	if got := d.usdt.BalanceOf(d.hot).Int64(); got != 7_000_000 {
		t.Fatalf("hot wallet's USDT %d: the sweep did not happen", got)
	}
	if got := balance(t, d.db, store.UserAccount(u.ID), "USDT"); got != 7_000_000 {
		t.Fatalf("user's USDT %d after the sweep", got)
	}
	held, err := d.db.DepositBalance(ctx, dw.ID)
	must(t, err)
	if held["USDT"] != 0 || held[store.TON.Symbol] != store.Amount(d.chain.Balance(addr)) {
		t.Fatalf("the ledger says the address holds %v, the chain %d nanogram", held, d.chain.Balance(addr))
	}
	if got := balance(t, d.db, store.AccountTransit, store.TON.Symbol); got != 0 {
		t.Fatalf("%d nanogram left in transit", got)
	}
	open, err := d.db.OpenBatches(ctx)
	must(t, err)
	if len(open) != 0 {
		t.Fatalf("%d batches still open", len(open))
	}
}

// Shard blocks reach the masterchain late (a masterchain block names no new
// shard block, the next one names a tip several blocks ahead): the follower
// walks back over the blocks it was not told of, so every deposit made in
// them is credited, once, and the books equal the chain.
func TestFollowerWalksShardBlocksItWasNotToldOf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRig(t)
	var addrs []*address.Address
	for i := range 3 {
		u, err := d.db.UpsertUser(ctx, store.User{ID: int64(300 + i)})
		must(t, err)
		dw, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
		must(t, err)
		a, err := address.ParseRawAddr(dw.Address)
		must(t, err)
		addrs = append(addrs, a)
	}
	d.pass()
	w := d.wallet(100)
	d.mine(1)
	d.chain.HoldShardTips(3)
	for i, a := range addrs {
		must(t, w.Send(a.Bounce(false), uint64(i+1)*tonUnit, "", false))
		d.mine(1) // the masterchain names none of these shard blocks yet
	}
	d.mine(2)
	for i := range addrs {
		if got := balance(t, d.db, store.UserAccount(int64(300+i)), store.TON.Symbol); got != store.Amount(i+1)*tonUnit {
			t.Fatalf("user %d: %d, want %d", 300+i, got, (i+1)*tonUnit)
		}
	}
	kinds, err := d.db.CountChainEvents(ctx)
	must(t, err)
	if kinds[store.KindCredited] != len(addrs) {
		t.Fatalf("%d credits, want %d", kinds[store.KindCredited], len(addrs))
	}
}

// A merchant invoice with an address of its own is paid there with no
// comment (as from an exchange): the invoice is paid, the merchant credited
// once, a second payment is the payer's (here nobody's: unmatched), and the
// address is swept like a user's.
func TestInvoiceOwnAddressIsPaidWithoutAComment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRig(t)
	m, _, err := d.db.CreateMerchant(ctx, "shop", "")
	must(t, err)
	inv, err := d.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 2 * tonUnit,
		TTL: time.Hour, OwnAddress: true})
	must(t, err)
	other, err := d.db.CreateInvoice(ctx, store.NewInvoice{MerchantID: m.ID, Asset: store.TON.Symbol, Amount: 2 * tonUnit,
		TTL: time.Hour, OwnAddress: true})
	must(t, err)
	if inv.Address == "" || other.Address == "" || inv.Address == other.Address {
		t.Fatalf("invoice addresses %q and %q", inv.Address, other.Address)
	}
	addr, err := address.ParseRawAddr(inv.Address)
	must(t, err)
	d.pass()
	w := d.wallet(100)
	d.mine(1)
	must(t, w.Send(addr.Bounce(false), 2*tonUnit, "", false))
	d.mine(1)
	got, err := d.db.Invoice(ctx, inv.ID)
	must(t, err)
	if got.Status != store.InvoicePaid || got.Paid != 2*tonUnit {
		t.Fatalf("invoice %s paid %d", got.Status, got.Paid)
	}
	if b := balance(t, d.db, store.MerchantAccount(m.ID), store.TON.Symbol); b != 2*tonUnit {
		t.Fatalf("merchant %d", b)
	}
	must(t, w.Send(addr.Bounce(false), tonUnit, "", false)) // paid again: not the merchant's
	d.mine(1)
	if b := balance(t, d.db, store.MerchantAccount(m.ID), store.TON.Symbol); b != 2*tonUnit {
		t.Fatalf("merchant %d after a second payment", b)
	}
	if o, _ := d.db.Invoice(ctx, other.ID); o.Paid != 0 {
		t.Fatalf("the other invoice was paid %d", o.Paid)
	}
	n, err := d.sw.Pass(ctx, d.head)
	must(t, err)
	if n != 1 {
		t.Fatalf("swept %d", n)
	}
	d.mine(2)
	if d.chain.Balance(addr) != 0 {
		t.Fatalf("the invoice's address still holds %d", d.chain.Balance(addr))
	}
}

// A bounceable transfer to a deposit address not deployed yet comes back to
// the sender, as on mainnet: nothing is credited, what the bounce did not
// return (the fees) is booked, and the books equal the chain.
func TestBounceableTransferToAnUndeployedAddressComesBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := newDepositRig(t)
	u, err := d.db.UpsertUser(ctx, store.User{ID: 91})
	must(t, err)
	dw, err := d.db.DepositWallet(ctx, store.UserOwner(u.ID))
	must(t, err)
	addr, err := address.ParseRawAddr(dw.Address)
	must(t, err)
	d.pass()
	w := d.wallet(100)
	d.mine(1)
	before := d.chain.Balance(w.Address())
	must(t, w.Send(addr.Bounce(true), 5*tonUnit, "", true))
	d.mine(3)
	if got := balance(t, d.db, store.UserAccount(u.ID), store.TON.Symbol); got != 0 {
		t.Fatalf("credited %d for a transfer that bounced", got)
	}
	if spent := before - d.chain.Balance(w.Address()); spent >= tonUnit || spent == 0 {
		t.Fatalf("the sender is down %d nanogram: the transfer did not come back (or cost nothing)", spent)
	}
	if d.chain.Balance(addr) != uint64(-balance(t, d.db, store.DepositAccount(dw.ID), store.TON.Symbol)) {
		t.Fatalf("the address holds %d on chain, %d by the ledger", d.chain.Balance(addr), -balance(t, d.db, store.DepositAccount(dw.ID), store.TON.Symbol))
	}
	kinds, err := d.db.CountChainEvents(ctx)
	must(t, err)
	if kinds[store.KindCredited] != 0 || kinds[store.KindAborted] != 1 {
		t.Fatalf("events %v, want one aborted and no credit", kinds)
	}
}
