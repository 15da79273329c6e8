package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// oldHot is the hot wallet of the database in testdata/upgrade (made by
// tonpay as of c8d4442, which named the native coin TON; see
// gen_c8d4442.go.txt).
const oldHot = "0:ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12"

// loadOld writes the previous version's database to a file, changed by
// the statements in edit (raw SQL on the old schema), and returns its path.
func loadOld(t *testing.T, edit ...string) string {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join("testdata", "upgrade", "c8d4442.sql"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tonpay.db")
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(string(dump)); err != nil {
		t.Fatal(err)
	}
	for _, q := range edit {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return path
}

type balanceRow struct {
	Account, Asset string
	Balance        int64
}

func rawBalances(t *testing.T, raw *sql.DB) []balanceRow {
	t.Helper()
	rows, err := raw.Query(`SELECT a.name, b.asset, b.balance FROM balances b JOIN accounts a ON a.id = b.account_id ORDER BY a.name, b.asset`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []balanceRow
	for rows.Next() {
		var r balanceRow
		if err := rows.Scan(&r.Account, &r.Asset, &r.Balance); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestUpgradeFromTON opens a database the previous version wrote (the coin
// booked as TON: balances, history, an open user invoice and an open
// merchant invoice, two queued withdrawals, a delivered webhook, chain
// events, a reconciliation) with this version: everything is GRAM, nothing
// is lost or changed in figure, the ledger's invariants hold, the open
// invoices are paid by GRAM arriving, the queued withdrawals are paid, and
// the books still equal the chain.
func TestUpgradeFromTON(t *testing.T) {
	storetest.SQLiteOnly(t, "upgrades SQLite databases made by earlier versions")
	ctx := context.Background()
	path := loadOld(t)
	raw, err := rawOpen(t, path)
	if err != nil {
		t.Fatal(err)
	}
	before := rawBalances(t, raw)
	var entriesBefore, eventsBefore int
	raw.QueryRow(`SELECT count(*) FROM entries`).Scan(&entriesBefore)
	raw.QueryRow(`SELECT count(*) FROM chain_events`).Scan(&eventsBefore)
	var userInv, userInvComment, merchInv, merchInvComment string
	raw.QueryRow(`SELECT id, comment FROM invoices WHERE user_id = 1002 AND status = 'created'`).Scan(&userInv, &userInvComment)
	raw.QueryRow(`SELECT id, comment FROM invoices WHERE external_id = 'order-2'`).Scan(&merchInv, &merchInvComment)
	raw.Close()
	if len(before) == 0 || entriesBefore == 0 || eventsBefore != 4 || userInv == "" || merchInv == "" {
		t.Fatalf("fixture: %d balances, %d entries, %d chain events, invoices %q %q", len(before), entriesBefore, eventsBefore, userInv, merchInv)
	}

	// The upgrade runs while the invoices are open (they were made at
	// 12:05 and 12:09 for 20 minutes).
	now := time.Date(2026, 6, 1, 12, 18, 0, 0, time.UTC)
	db := storetest.OpenWith(t, storetest.Config{Path: path, Options: []store.Option{store.WithClock(func() time.Time { return now })}, Assets: []store.Asset{}})
	if got, _ := db.Migrations(ctx); !slices.Contains(got, "0008_gram.sql") {
		t.Fatalf("migrations %v", got)
	}
	// The configured assets as this version syncs them at start.
	if err := db.SyncAssets(ctx, []store.Asset{store.TON, {Symbol: "USDT", Decimals: 6, Master: "0:b113a994b5024a16719f69139328eb759596c38a25f59028b146fecdc3621dfe"}}); err != nil {
		t.Fatal(err)
	}
	assets, _ := db.Assets(ctx)
	for _, a := range assets {
		if a.Symbol == store.LegacyNativeSymbol || (a.Symbol == store.TON.Symbol && (a.Decimals != 9 || a.Master != "")) {
			t.Fatalf("assets after the upgrade: %+v", assets)
		}
	}

	// Every balance is where it was, in the same figure, under GRAM.
	raw, _ = rawOpen(t, path)
	defer raw.Close()
	after := rawBalances(t, raw)
	want := slices.Clone(before)
	for i := range want {
		if want[i].Asset == store.LegacyNativeSymbol {
			want[i].Asset = store.TON.Symbol
		}
	}
	slices.SortFunc(want, func(a, b balanceRow) int { return strings.Compare(a.Account+" "+a.Asset, b.Account+" "+b.Asset) })
	if !slices.Equal(after, want) {
		t.Fatalf("balances after the upgrade:\n%v\nwant\n%v", after, want)
	}
	if b := bal(t, db, store.UserAccount(1001), store.TON.Symbol); b != 2_490_000_000 {
		t.Fatalf("user 1001: %d (5 deposited - 1.5 package - 1.01 withdrawal)", b)
	}
	// No column anywhere still holds the code TON.
	tables, _ := raw.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	for _, table := range names {
		for _, col := range []string{"asset", "fee_asset", "symbol"} {
			var n int
			if err := raw.QueryRow(`SELECT count(*) FROM "` + table + `" WHERE "` + col + `" = 'TON'`).Scan(&n); err != nil {
				continue // no such column
			}
			if n != 0 {
				t.Errorf("%s.%s: %d rows still say TON", table, col, n)
			}
		}
	}

	// History: every entry is there, the coin's as GRAM.
	var entriesAfter, eventsAfter int
	raw.QueryRow(`SELECT count(*) FROM entries`).Scan(&entriesAfter)
	raw.QueryRow(`SELECT count(*) FROM chain_events WHERE asset = ?`, store.TON.Symbol).Scan(&eventsAfter)
	if entriesAfter != entriesBefore || eventsAfter != eventsBefore {
		t.Fatalf("entries %d -> %d, chain events %d -> %d", entriesBefore, entriesAfter, eventsBefore, eventsAfter)
	}
	h, err := db.History(ctx, store.UserAccount(1001), 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range h {
		if e.Asset != store.TON.Symbol && e.Asset != store.Credits.Symbol {
			t.Fatalf("history entry %+v", e)
		}
		kinds = append(kinds, string(e.Kind)+" "+e.Asset+" "+e.Amount.Format(9))
	}
	if len(h) != 4 {
		t.Fatalf("user 1001's history: %v", kinds)
	}
	// The ledger's invariants: entries of each asset sum to zero, cached
	// balances equal the sums of their entries.
	storetest.Audit(t, db)
	// The ledger is still append-only (the migration put its trigger back).
	if _, err := raw.Exec(`UPDATE entries SET amount = amount WHERE id = 1`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("updating an entry after the upgrade: %v", err)
	}

	// The books equal the chain right after the upgrade: the hot wallet
	// held 10.7 at block 100 and still does.
	res, err := db.Reconcile(ctx, 101, now, map[string]store.Amount{store.TON.Symbol: 10_700_000_000, "USDT": 0})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drifting() || res.NewDrift || res.Paused || len(res.Assets) != 2 {
		t.Fatalf("reconciliation after the upgrade: %+v", res)
	}

	// The rule book answers GRAM and still reads TON.
	pol := store.NewPolicy(db, store.Rules{Assets: assets, WithdrawFee: map[string]store.Amount{"TON": 10_000_000},
		ParseDestination: func(s string) (store.Destination, error) { return store.Destination{Raw: s, Display: s}, nil }})
	if a, err := pol.Asset("ton"); err != nil || a.Symbol != store.TON.Symbol || pol.Fee(a) != 10_000_000 {
		t.Fatalf("TON in the rule book: %+v %v", a, err)
	}

	// The open invoices stay payable: GRAM arriving with their comments pays them.
	lt := uint64(100)
	pay := func(amount store.Amount, comment string) {
		t.Helper()
		lt++
		if _, err := db.ApplyChainTx(ctx, store.DepositTx(store.ChainEvent{Account: oldHot, LT: lt, Hash: strings.Repeat("c", 63) + string(rune('0'+lt%10)), Time: now, Kind: store.KindCredited},
			store.Incoming{Asset: store.TON.Symbol, Amount: amount, Sender: "0:" + strings.Repeat("77", 32), Comment: comment, Min: 10_000_000}, 0)); err != nil {
			t.Fatal(err)
		}
	}
	pay(1_000_000_000, userInvComment)
	pay(1_500_000_000, merchInvComment)
	for _, id := range []string{userInv, merchInv} {
		inv, err := db.Invoice(ctx, id)
		if err != nil || inv.Status != store.InvoicePaid || inv.Asset != store.TON.Symbol {
			t.Fatalf("invoice %s after GRAM arrived: %+v %v", id, inv, err)
		}
	}
	if b := bal(t, db, store.UserAccount(1002), store.TON.Symbol); b != 4_000_000_000 {
		t.Fatalf("user 1002: %d", b)
	}
	if b := bal(t, db, store.MerchantAccount(1), store.TON.Symbol); b != 2_990_000_000 {
		t.Fatalf("merchant: %d (2 paid before, 1.5 now, 0.5 and its 0.01 fee held for its payout)", b)
	}

	// The queued withdrawals are paid as GRAM.
	queued, err := db.Withdrawals(ctx, store.WithdrawalQueued, 10)
	if err != nil || len(queued) != 2 {
		t.Fatalf("queued withdrawals: %+v %v", queued, err)
	}
	var ids []int64
	for _, w := range queued {
		if w.Asset != store.TON.Symbol || w.FeeAsset != store.TON.Symbol {
			t.Fatalf("queued withdrawal %+v", w)
		}
		ids = append(ids, w.ID)
	}
	if avail, _ := db.Available(ctx); avail[store.TON.Symbol] <= 0 || avail[store.LegacyNativeSymbol] != 0 {
		t.Fatalf("available %v", avail)
	}
	b, err := db.ReserveBatch(ctx, store.NewBatch{Withdrawals: ids, Value: 1_500_000_000, CreatedAt: now.Unix(), TTL: 60,
		Build: func(q uint32, at int64) ([]byte, string, error) { return []byte("boc"), "hash", nil }})
	if err != nil {
		t.Fatal(err)
	}
	const netFee = 2_000_000
	lt++
	h0 := strings.Repeat("d", 64)
	paid := store.ChainTx{Event: store.ChainEvent{Account: oldHot, LT: lt, Hash: h0, Time: now, Kind: store.KindOther},
		Cursor: store.Cursor{Account: oldHot, LT: lt, Hash: h0}, Asset: store.TON.Symbol,
		Moves: []store.Move{{Kind: store.MoveNetworkFee, Amount: -netFee},
			{Kind: store.MovePayout, Amount: -queued[0].Amount, Withdrawal: queued[0].ID},
			{Kind: store.MovePayout, Amount: -queued[1].Amount, Withdrawal: queued[1].ID}},
		Batch: &store.BatchOutcome{BatchID: b.ID, TxHash: h0}}
	for _, m := range paid.Moves {
		paid.Change += m.Amount
	}
	app, err := db.ApplyChainTx(ctx, paid)
	if err != nil || len(app.Confirmed) != 2 {
		t.Fatalf("paying the queued withdrawals: %+v %v", app, err)
	}
	if hold := bal(t, db, store.AccountHold, store.TON.Symbol); hold != 0 {
		t.Fatalf("hold after paying: %d", hold)
	}
	storetest.Audit(t, db)

	// And the books still equal the chain: 10.7 + 1 + 1.5 in, 1.5 and the
	// network fee out.
	res, err = db.Reconcile(ctx, 102, now, map[string]store.Amount{store.TON.Symbol: 10_700_000_000 + 2_500_000_000 - 1_500_000_000 - netFee, "USDT": 0})
	if err != nil {
		t.Fatal(err)
	}
	if res.Drifting() || res.NewDrift {
		t.Fatalf("reconciliation after paying: %+v", res)
	}
	for _, r := range res.Assets {
		if r.Asset == store.LegacyNativeSymbol {
			t.Fatalf("reconciled %+v", res.Assets)
		}
	}

	// Outbox events are history: the delivered webhook and the pending bot
	// notices keep the code they were written with; new ones say GRAM.
	var oldPayload, newPayload string
	raw.QueryRow(`SELECT payload FROM outbox WHERE id = 3`).Scan(&oldPayload)
	raw.QueryRow(`SELECT payload FROM outbox WHERE topic = 'webhook' AND id > 3 AND type = 'invoice.paid'`).Scan(&newPayload)
	var o, n store.InvoiceEvent
	json.Unmarshal([]byte(oldPayload), &o)
	json.Unmarshal([]byte(newPayload), &n)
	if o.Asset != store.LegacyNativeSymbol || n.Asset != store.TON.Symbol || n.InvoiceID != merchInv {
		t.Fatalf("webhook payloads: old %s, new %s", oldPayload, newPayload)
	}
}

// TestUpgradeKeepsDriftEpisodes: a drift an admin acknowledged under the
// code TON is the same drift under GRAM (the episode key is rewritten and
// re-sorted), so it does not pause payouts again; a drift pause's reason
// names the coin as it is named now.
func TestUpgradeKeepsDriftEpisodes(t *testing.T) {
	storetest.SQLiteOnly(t, "upgrades SQLite databases made by earlier versions")
	ctx := context.Background()
	path := loadOld(t,
		// The hot wallet holds 5 nanoton more than the books; an admin resumed through it.
		`UPDATE reconciliations SET chain = chain + 5, drift = 5, since = 1780315920000 WHERE asset = 'TON'`,
		`UPDATE drift_state SET episode = 'TON=5' WHERE id = 1`,
		`INSERT INTO drift_acks(episode, admin_id, created_at) VALUES ('TON=5', 7, 0), ('NOT=2,TON=-3,USDT=1', 7, 0), ('USDT=1', 7, 0)`,
		`INSERT INTO payout_pause(id, reason, cause, episode, created_at) VALUES (1, 'the ledger differs from the chain at block 99: NOT 2 (chain 2, ledger 0); TON 0.000000005 (chain 10.700000005, ledger 10.7)', 'drift', 'NOT=2,TON=5', 0)`)
	db := storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
	raw, _ := rawOpen(t, path)
	defer raw.Close()
	var acks []string
	rows, _ := raw.Query(`SELECT episode FROM drift_acks ORDER BY episode`)
	for rows.Next() {
		var e string
		rows.Scan(&e)
		acks = append(acks, e)
	}
	rows.Close()
	if want := []string{"GRAM=-3,NOT=2,USDT=1", "GRAM=5", "USDT=1"}; !slices.Equal(acks, want) {
		t.Fatalf("acknowledged episodes %q, want %q", acks, want)
	}
	var state, pauseEpisode, reason string
	raw.QueryRow(`SELECT episode FROM drift_state`).Scan(&state)
	raw.QueryRow(`SELECT episode, reason FROM payout_pause`).Scan(&pauseEpisode, &reason)
	if state != "GRAM=5" || pauseEpisode != "GRAM=5,NOT=2" || !strings.Contains(reason, "; GRAM 0.000000005 (chain") || strings.Contains(reason, "TON") {
		t.Fatalf("drift state %q, pause %q %q", state, pauseEpisode, reason)
	}
	// The pause above stands for the test of the reason; lift it as the
	// admin did, then the same drift again is not new and pauses nothing.
	if _, err := raw.Exec(`DELETE FROM payout_pause`); err != nil {
		t.Fatal(err)
	}
	res, err := db.Reconcile(ctx, 101, time.Now(), map[string]store.Amount{store.TON.Symbol: 10_700_000_005, "USDT": 0})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Drifting() || res.NewDrift || res.Paused {
		t.Fatalf("the acknowledged drift after the upgrade: %+v", res)
	}
}

// TestUpgradeRefusedWithAJettonNamedGRAM: the previous version let a jetton
// be named GRAM; such a database cannot give the code to the coin, and the
// migration says so and changes nothing.
func TestUpgradeRefusedWithAJettonNamedGRAM(t *testing.T) {
	storetest.SQLiteOnly(t, "upgrades SQLite databases made by earlier versions")
	path := loadOld(t, `INSERT INTO assets VALUES ('GRAM', 9, '0:`+strings.Repeat("ee", 32)+`')`)
	_, err := store.Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "0008_gram.sql") || !strings.Contains(err.Error(), "recorded a jetton under the code GRAM") {
		t.Fatalf("open: %v", err)
	}
	raw, _ := rawOpen(t, path)
	defer raw.Close()
	var n int
	raw.QueryRow(`SELECT count(*) FROM balances WHERE asset = 'TON'`).Scan(&n)
	if n == 0 {
		t.Fatal("the refused migration changed the balances")
	}
}
