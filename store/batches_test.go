package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

const ttl = 300

// queue creates n queued TON withdrawals of 1 TON + 0.01 TON fee by user 1.
func queue(t *testing.T, db *store.DB, n int) []store.Withdrawal {
	t.Helper()
	ctx := context.Background()
	u, _ := db.UpsertUser(ctx, store.User{ID: 1})
	if _, err := db.Post(ctx, deposit(fmt.Sprint("fund", n), store.UserAccount(u.ID), store.TON.Symbol, store.Amount(n)*1_010_000_000)); err != nil {
		t.Fatal(err)
	}
	var out []store.Withdrawal
	for i := range n {
		w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: u.ID, IdemKey: fmt.Sprint("w", n, "-", i), Asset: store.TON.Symbol,
			Amount: 1_000_000_000, Fee: 10_000_000, Destination: fmt.Sprint("UQdest", i)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

func ids(ws []store.Withdrawal) []int64 {
	out := make([]int64, len(ws))
	for i, w := range ws {
		out[i] = w.ID
	}
	return out
}

func reserve(t *testing.T, db *store.DB, ws []int64, createdAt int64) store.Batch {
	t.Helper()
	b, err := db.ReserveBatch(context.Background(), store.NewBatch{Withdrawals: ws, Value: store.Amount(len(ws)) * 1_000_000_000,
		CreatedAt: createdAt, TTL: ttl, Build: func(q uint32, at int64) ([]byte, string, error) {
			return []byte(fmt.Sprint("boc", q, at)), fmt.Sprint("hash", q), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func statusOf(t *testing.T, db *store.DB, id int64) store.Withdrawal {
	t.Helper()
	w, err := db.Withdrawal(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func eventTypes(t *testing.T, db *store.DB, wid int64) []string {
	t.Helper()
	evs, err := db.DueEvents(context.Background(), store.TopicBot, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		var p store.WithdrawalEvent
		if json.Unmarshal(e.Payload, &p) == nil && p.WithdrawalID == wid {
			out = append(out, string(e.Type))
		}
	}
	return out
}

func TestQueryIDsNeverBit1023NorReusedInWindow(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	seen := map[uint32]bool{}
	var last uint32
	for i := range 1030 {
		b, err := db.ReserveBatch(ctx, store.NewBatch{Sweep: 1, Value: 1, CreatedAt: 1_000_000, TTL: ttl,
			Build: func(uint32, int64) ([]byte, string, error) { return []byte{1}, "h", nil }})
		if err != nil {
			t.Fatal(err)
		}
		if b.QueryID&1023 == 1023 || b.QueryID >= store.MaxQueryID {
			t.Fatalf("query id %d", b.QueryID)
		}
		if seen[b.QueryID] {
			t.Fatalf("query id %d reused", b.QueryID)
		}
		if i > 0 && b.QueryID <= last {
			t.Fatalf("query ids not increasing: %d after %d", b.QueryID, last)
		}
		seen[b.QueryID], last = true, b.QueryID
		if b.ExpiresAt != 1_000_000+ttl || b.Status != store.BatchBuilding {
			t.Fatalf("batch %+v", b)
		}
	}
	if !seen[1022] || seen[1023] || !seen[1024] {
		t.Fatal("1023 must be skipped, its neighbours used")
	}
}

// TestQueryIDWrapSkipsRememberedIDs: after 2^23 ids the sequence wraps to 0.
// The contract may refuse an id for up to three timeouts after it was
// processed (it forgets lazily, a dictionary rotation per external), and
// processing may come a timeout after created_at: an id signed within four
// timeouts is skipped, an older one is free again.
func TestQueryIDWrapSkipsRememberedIDs(t *testing.T) {
	const at = 1_000_000
	for _, tt := range []struct {
		name      string
		createdAt int64
		want      uint32
	}{
		{"three timeouts later", at + 3*ttl, 1},
		{"four timeouts later", at + 4*ttl, 1},
		{"after the window", at + 4*ttl + 61, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "tonpay.db")
			db := storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
			db.Close()
			raw, err := rawOpen(t, path)
			if err != nil {
				t.Fatal(err)
			}
			// Id 0 was used at `at`; the last batch took the top id, so the
			// next one wraps (8388607 has bit number 1023).
			for _, q := range []int64{0, store.MaxQueryID - 2} {
				if _, err := raw.Exec(`INSERT INTO batches(query_id, created_at_chain, expires_at, status, created_at, updated_at)
					VALUES (?, ?, ?, 'confirmed', 0, 0)`, q, at, at+ttl); err != nil {
					t.Fatal(err)
				}
			}
			raw.Close()
			db = storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
			b, err := db.ReserveBatch(ctx, store.NewBatch{Sweep: 1, Value: 1, CreatedAt: tt.createdAt, TTL: ttl,
				Build: func(uint32, int64) ([]byte, string, error) { return []byte{1}, "h", nil }})
			if err != nil {
				t.Fatal(err)
			}
			if b.QueryID != tt.want {
				t.Fatalf("query id %d, want %d", b.QueryID, tt.want)
			}
		})
	}
}

func TestReserveBatchIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	ws := queue(t, db, 3)

	_, err := db.ReserveBatch(ctx, store.NewBatch{Withdrawals: ids(ws), Value: 1, CreatedAt: 1000, TTL: ttl,
		Build: func(uint32, int64) ([]byte, string, error) { return nil, "", errors.New("signer down") }})
	if err == nil {
		t.Fatal("a failing builder must fail the reservation")
	}
	if bs, _ := db.Batches(ctx); len(bs) != 0 {
		t.Fatalf("batches stored: %v", bs)
	}
	for _, w := range ws {
		if statusOf(t, db, w.ID).Status != store.WithdrawalQueued {
			t.Fatal("withdrawal moved by a failed reservation")
		}
	}

	b := reserve(t, db, ids(ws[:1]), 1000)
	// The first is no longer queued: a batch with it conflicts, atomically.
	_, err = db.ReserveBatch(ctx, store.NewBatch{Withdrawals: ids(ws), Value: 1, CreatedAt: 1000, TTL: ttl,
		Build: func(uint32, int64) ([]byte, string, error) { return []byte{1}, "h", nil }})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("err = %v, want conflict", err)
	}
	if statusOf(t, db, ws[1].ID).Status != store.WithdrawalQueued {
		t.Fatal("partial reservation")
	}
	got, err := db.Batch(ctx, b.ID)
	if err != nil || string(got.BOC) != fmt.Sprint("boc", b.QueryID, 1000) || got.MsgHash == "" || len(got.Withdrawals) != 1 {
		t.Fatalf("stored batch %+v %v", got, err)
	}
	w := statusOf(t, db, ws[0].ID)
	if w.Status != store.WithdrawalSent || w.BatchID != b.ID {
		t.Fatalf("withdrawal %+v", w)
	}
	if ev := eventTypes(t, db, w.ID); fmt.Sprint(ev) != "[withdrawal.sent]" {
		t.Fatalf("events %v", ev)
	}
	if err := db.MarkBatchSent(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Batch(ctx, b.ID); got.Status != store.BatchSent || got.SendCount != 1 {
		t.Fatalf("after send: %+v", got)
	}
	f, err := db.InFlight(ctx)
	if err != nil || f.TON != 1_000_000_000 {
		t.Fatalf("in flight %+v %v", f, err)
	}
	storetest.Audit(t, db)
}

// ctx builds a classified transaction on a watched account whose balance
// changed by what the moves say.
func chainTxOf(account string, lt uint64, asset string, moves ...store.Move) store.ChainTx {
	h := fmt.Sprintf("%064x", lt)
	c := store.ChainTx{Event: store.ChainEvent{Account: account, LT: lt, Hash: h, Time: time.Unix(1000+int64(lt), 0), Kind: store.KindOther},
		Cursor: store.Cursor{Account: account, LT: lt, Hash: h}, Asset: asset, Moves: moves}
	for _, m := range moves {
		c.Change += m.Amount
	}
	return c
}

func apply(t *testing.T, db *store.DB, maxSkips int, cs ...store.ChainTx) (res store.Applied) {
	t.Helper()
	out, err := db.ApplyChainTxs(context.Background(), cs, maxSkips)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out {
		res.Confirmed = append(res.Confirmed, r.Confirmed...)
		res.Requeued = append(res.Requeued, r.Requeued...)
		res.Failed = append(res.Failed, r.Failed...)
		res.Replayed = res.Replayed || r.Replayed
	}
	return res
}

func TestBatchSettlesOnceAndRequeuesSkipped(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	ws := queue(t, db, 3)
	b := reserve(t, db, ids(ws), 1000)

	// The external (its internal_transfer in transit), then the fan-out:
	// two messages out, one skipped.
	ext := chainTxOf("hot", 10, store.TON.Symbol, store.Move{Kind: store.MoveNetworkFee, Amount: -100}, store.Move{Kind: store.MoveTransit, Amount: -10_000_000})
	ext.Batch = &store.BatchOutcome{BatchID: b.ID, TxHash: "ext", Pending: true}
	fan := chainTxOf("hot", 12, store.TON.Symbol, store.Move{Kind: store.MoveTransit, Amount: 10_000_000}, store.Move{Kind: store.MoveNetworkFee, Amount: -200},
		store.Move{Kind: store.MovePayout, Amount: -1_000_000_000, Withdrawal: ws[0].ID}, store.Move{Kind: store.MovePayout, Amount: -1_000_000_000, Withdrawal: ws[2].ID})
	fan.Batch = &store.BatchOutcome{BatchID: b.ID, TxHash: "fan"}
	res := apply(t, db, 2, ext, chainTxOf("hot", 11, store.TON.Symbol), fan)
	if len(res.Confirmed) != 2 || fmt.Sprint(res.Requeued) != fmt.Sprint([]int64{ws[1].ID}) {
		t.Fatalf("result %+v", res)
	}
	if again := apply(t, db, 2, ext, fan); !again.Replayed || len(again.Confirmed) != 0 {
		t.Fatalf("replay: %+v", again)
	}
	got, _ := db.Batch(ctx, b.ID)
	if got.Status != store.BatchConfirmed || got.TxHash != "ext" {
		t.Fatalf("batch %+v", got)
	}
	if w := statusOf(t, db, ws[0].ID); w.Status != store.WithdrawalConfirmed || w.TxHash != fan.Event.Hash {
		t.Fatalf("paid withdrawal %+v", w)
	}
	if w := statusOf(t, db, ws[1].ID); w.Status != store.WithdrawalQueued || w.BatchID != 0 {
		t.Fatalf("skipped withdrawal %+v", w)
	}
	if ev := eventTypes(t, db, ws[0].ID); fmt.Sprint(ev) != "[withdrawal.sent withdrawal.confirmed]" {
		t.Fatalf("events %v", ev)
	}
	if h := bal(t, db, store.AccountHold, store.TON.Symbol); h != 1_010_000_000 {
		t.Fatalf("hold %d: only the skipped one stays held", h)
	}
	if f := bal(t, db, store.AccountFees, store.TON.Symbol); f != 20_000_000-300 {
		t.Fatalf("fees %d: two withdrawal fees less the network's", f)
	}
	if tr := bal(t, db, store.AccountTransit, store.TON.Symbol); tr != 0 {
		t.Fatalf("transit %d after the fan-out", tr)
	}
	if hot := bal(t, db, store.AccountHot, store.TON.Symbol); hot != -3*1_010_000_000+2_000_000_000+300 {
		t.Fatalf("hot %d", hot)
	}

	// A classification that does not add up to the chain's change is refused.
	bad := chainTxOf("hot", 13, store.TON.Symbol, store.Move{Kind: store.MoveNetworkFee, Amount: -100})
	bad.Change = -300
	if _, err := db.ApplyChainTxs(ctx, []store.ChainTx{bad}, 2); !errors.Is(err, store.ErrUnbalanced) {
		t.Fatalf("unbalanced classification: %v", err)
	}

	// Re-issued and skipped again: with maxSkips 2 it fails and is refunded.
	b2 := reserve(t, db, ids(ws[1:2]), 1010)
	if ev := eventTypes(t, db, ws[1].ID); fmt.Sprint(ev) != "[withdrawal.sent]" {
		t.Fatalf("a re-issue announces nothing new: %v", ev)
	}
	skip := chainTxOf("hot", 20, store.TON.Symbol, store.Move{Kind: store.MoveNetworkFee, Amount: -100})
	skip.Batch = &store.BatchOutcome{BatchID: b2.ID, TxHash: "ext2"}
	if res := apply(t, db, 2, skip); fmt.Sprint(res.Failed) != fmt.Sprint([]int64{ws[1].ID}) {
		t.Fatalf("%+v", res)
	}
	if got, _ := db.Batch(ctx, b2.ID); got.Status != store.BatchFailed {
		t.Fatalf("batch with nothing sent: %s", got.Status)
	}
	if w := statusOf(t, db, ws[1].ID); w.Status != store.WithdrawalRefunded || w.Error == "" {
		t.Fatalf("%+v", w)
	}
	if ev := eventTypes(t, db, ws[1].ID); fmt.Sprint(ev) != "[withdrawal.sent withdrawal.failed withdrawal.refunded]" {
		t.Fatalf("events %v", ev)
	}
	if b := bal(t, db, store.UserAccount(1), store.TON.Symbol); b != 1_010_000_000 {
		t.Fatalf("refunded balance %d", b)
	}
	if h := bal(t, db, store.AccountHold, store.TON.Symbol); h != 0 {
		t.Fatalf("hold %d", h)
	}
	storetest.Audit(t, db)
}

func TestExpireBatchRequeues(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	ws := queue(t, db, 2)
	b := reserve(t, db, ids(ws), 1000)
	req, err := db.ExpireBatch(ctx, b.ID, "expired unprocessed")
	if err != nil || len(req) != 2 {
		t.Fatalf("%v %v", req, err)
	}
	if _, err := db.ExpireBatch(ctx, b.ID, "again"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second expiry: %v", err)
	}
	for _, w := range ws {
		if got := statusOf(t, db, w.ID); got.Status != store.WithdrawalQueued {
			t.Fatalf("%+v", got)
		}
	}
	b2 := reserve(t, db, ids(ws), 1400)
	if b2.QueryID == b.QueryID {
		t.Fatal("a re-issue takes a new query id")
	}
	// An executed batch cannot expire.
	ext := chainTxOf("hot", 30, store.TON.Symbol)
	ext.Batch = &store.BatchOutcome{BatchID: b2.ID, TxHash: "x", Pending: true}
	apply(t, db, 3, ext)
	if _, err := db.ExpireBatch(ctx, b2.ID, "no"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("executed batch expired: %v", err)
	}
	open, _ := db.OpenBatches(ctx)
	if len(open) != 1 || open[0].ID != b2.ID {
		t.Fatalf("open %+v", open)
	}
	storetest.Audit(t, db)
}

func TestJettonPayoutDeliveredRefusedReturned(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	u, _ := db.UpsertUser(ctx, store.User{ID: 7})
	db.Post(ctx, deposit("t", store.UserAccount(u.ID), store.TON.Symbol, 1_000_000_000))
	db.Post(ctx, deposit("j", store.UserAccount(u.ID), "USDT", 70_000_000))
	var ws []store.Withdrawal
	for i := range 3 {
		w, _, err := db.RequestWithdrawal(ctx, store.NewWithdrawal{UserID: u.ID, IdemKey: fmt.Sprint("j", i), Asset: "USDT",
			Amount: 20_000_000, Fee: 100_000_000, FeeAsset: store.TON.Symbol, Destination: "UQjetton"})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	b := reserve(t, db, ids(ws), 1000)
	if f, _ := db.InFlight(ctx); f.Jettons["USDT"] != 60_000_000 {
		t.Fatalf("in flight %+v", f)
	}
	// The fan-out sends three transfers to our jetton wallet, 0.05 TON each.
	fan := chainTxOf("hot", 5, store.TON.Symbol, store.Move{Kind: store.MovePayoutTON, Amount: -50_000_000, Withdrawal: ws[0].ID},
		store.Move{Kind: store.MovePayoutTON, Amount: -50_000_000, Withdrawal: ws[1].ID},
		store.Move{Kind: store.MovePayoutTON, Amount: -50_000_000, Withdrawal: ws[2].ID})
	fan.Batch = &store.BatchOutcome{BatchID: b.ID, TxHash: "fan"}
	// Our jetton wallet: the first and third leave for the destination's
	// wallet, the second is refused there (exit 709).
	left0 := chainTxOf("jw", 6, "USDT", store.Move{Kind: store.MovePayout, Amount: -20_000_000, Withdrawal: ws[0].ID, Dest: "0:dest"})
	refused := chainTxOf("jw", 7, "USDT")
	refused.Refused, refused.Event.Note = ws[1].ID, "exit code 709"
	left2 := chainTxOf("jw", 8, "USDT", store.Move{Kind: store.MovePayout, Amount: -20_000_000, Withdrawal: ws[2].ID, Dest: "0:dest"})
	apply(t, db, 3, fan, left0, refused, left2)
	if f, _ := db.InFlight(ctx); f.Jettons["USDT"] != 0 {
		t.Fatalf("in flight after the jettons left %+v", f)
	}
	for _, w := range []int64{ws[0].ID, ws[2].ID} {
		if got := statusOf(t, db, w); got.Status != store.WithdrawalSent || got.LeftAt == 0 {
			t.Fatalf("left, not yet delivered: %+v", got)
		}
	}
	if got := statusOf(t, db, ws[1].ID); got.Status != store.WithdrawalRefunded {
		t.Fatalf("refused by our jetton wallet: %+v", got)
	}
	// Excesses from anyone but the destination's wallet prove nothing;
	// from it, the first is delivered.
	forged := chainTxOf("hot", 9, store.TON.Symbol, store.Move{Kind: store.MoveFeeIncome, Amount: 1})
	forged.Delivered = &store.Delivery{Withdrawal: ws[0].ID, From: "0:evil"}
	real := chainTxOf("hot", 10, store.TON.Symbol, store.Move{Kind: store.MoveFeeIncome, Amount: 40_000_000})
	real.Delivered = &store.Delivery{Withdrawal: ws[0].ID, From: "0:dest"}
	apply(t, db, 3, forged)
	if got := statusOf(t, db, ws[0].ID); got.Status != store.WithdrawalSent {
		t.Fatalf("forged excesses confirmed it: %+v", got)
	}
	apply(t, db, 3, real)
	if got := statusOf(t, db, ws[0].ID); got.Status != store.WithdrawalConfirmed {
		t.Fatalf("delivered: %+v", got)
	}
	// The third bounces back from the destination's wallet: returned.
	back := chainTxOf("jw", 11, "USDT", store.Move{Kind: store.MovePayoutReturned, Amount: 20_000_000, Withdrawal: ws[2].ID})
	back.Event.Kind = store.KindPayoutReturned
	apply(t, db, 3, back)
	if got := statusOf(t, db, ws[2].ID); got.Status != store.WithdrawalRefunded || got.Error == "" {
		t.Fatalf("returned: %+v", got)
	}
	if ev := eventTypes(t, db, ws[2].ID); fmt.Sprint(ev) != "[withdrawal.sent withdrawal.failed withdrawal.refunded]" {
		t.Fatalf("events %v", ev)
	}
	if got := bal(t, db, store.UserAccount(u.ID), "USDT"); got != 50_000_000 {
		t.Fatalf("user USDT %d: one payout delivered", got)
	}
	if got := bal(t, db, store.UserAccount(u.ID), store.TON.Symbol); got != 900_000_000 {
		t.Fatalf("user TON %d: one fee kept", got)
	}
	if got := bal(t, db, store.AccountHot, "USDT"); got != -50_000_000 {
		t.Fatalf("hot USDT %d", got)
	}
	if got := bal(t, db, store.AccountHold, store.TON.Symbol); got != 0 {
		t.Fatalf("hold TON %d", got)
	}
	if got := bal(t, db, store.AccountFees, store.TON.Symbol); got != 100_000_000-3*50_000_000+40_000_001 {
		t.Fatalf("fees %d", got)
	}
	// A quiet payout (no excesses, no bounce) is confirmed after DeliveryWait.
	storetest.Audit(t, db)
}

func TestFailWithdrawalRefunds(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	ws := queue(t, db, 1)
	w, err := db.FailWithdrawal(ctx, ws[0].ID, "bad destination")
	if err != nil || w.Status != store.WithdrawalRefunded || w.Error != "bad destination" {
		t.Fatalf("%+v %v", w, err)
	}
	if ev := eventTypes(t, db, w.ID); fmt.Sprint(ev) != "[withdrawal.failed withdrawal.refunded]" {
		t.Fatalf("events %v", ev)
	}
	if _, err := db.FailWithdrawal(ctx, ws[0].ID, "again"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second failure: %v", err)
	}
	if b := bal(t, db, store.UserAccount(1), store.TON.Symbol); b != 1_010_000_000 {
		t.Fatalf("balance %d", b)
	}
	storetest.Audit(t, db)
}
