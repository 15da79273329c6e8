package ton

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
)

// The planner decides from figures alone: these tests need no chain.

func addr(n int) *address.Address {
	h := sha256.Sum256(fmt.Append(nil, n))
	return address.NewAddress(0, 0, h[:])
}

func wd(id int64, asset string, amount store.Amount, to *address.Address) store.Withdrawal {
	return store.Withdrawal{ID: id, Asset: asset, Amount: amount, Destination: FormatAddress(to, true)}
}

func TestPlanCoversTheQueueInOrder(t *testing.T) {
	t.Parallel()
	hot, jw := addr(1), addr(2)
	in := planInput{
		Queued: []store.Withdrawal{
			wd(1, store.TON.Symbol, 1_000_000_000, addr(10)),
			wd(2, "USDT", 5_000_000, addr(11)),
			wd(3, store.TON.Symbol, 1_000_000_000, addr(10)), // same destination, amount and comment as 1
			wd(4, store.TON.Symbol, 3_000_000_000, addr(12)), // more than is left: the queue stops here
			wd(5, store.TON.Symbol, 1, addr(13)),             // would fit, but must not overtake 4
		},
		AvailTON: 2_500_000_000, AvailJet: map[string]store.Amount{"USDT": 5_000_000},
		BatchSize: 253, JettonTON: 50_000_000, MsgFee: 10_000_000, Hot: hot,
		Jettons: map[string]*address.Address{"USDT": jw}, Testnet: true,
	}
	p := makePlan(in)
	if len(p.Batches) != 2 || len(p.Batches[0]) != 2 || len(p.Batches[1]) != 1 {
		t.Fatalf("batches %v: two alike withdrawals never share one", sizes(p.Batches))
	}
	if p.Batches[1][0].w.ID != 3 {
		t.Fatalf("second batch carries %d", p.Batches[1][0].w.ID)
	}
	j := p.Batches[0][1]
	if !j.msg.InternalMessage.DstAddr.Equals(jw) || j.msg.InternalMessage.Amount.Nano().Int64() != 50_000_000 || !j.msg.InternalMessage.Bounce {
		t.Fatalf("jetton transfer goes to our jetton wallet with 0.05 TON, bounceable: %+v", j.msg.InternalMessage)
	}
	if p.Pause == nil || p.Pause.WithdrawalID != 4 || p.Pause.Asset != store.TON.Symbol || p.Pause.Need != "3010000000" {
		t.Fatalf("pause %+v", p.Pause)
	}
}

func TestPlanRefusesAndWaits(t *testing.T) {
	t.Parallel()
	hot, jw := addr(1), addr(2)
	in := planInput{
		Queued: []store.Withdrawal{
			wd(1, store.TON.Symbol, 1_000_000_000, hot),
			wd(2, store.TON.Symbol, 1_000_000_000, jw),
			{ID: 3, Asset: store.TON.Symbol, Amount: 1, Destination: "not an address"},
			wd(4, "DOGS", 7, addr(5)), // its jetton wallet is not known yet
			wd(5, "USDT", 9_000_000, addr(6)),
		},
		AvailTON: 100_000_000_000, AvailJet: map[string]store.Amount{"USDT": 8_999_999},
		BatchSize: 1, JettonTON: 50_000_000, MsgFee: 10_000_000, Hot: hot,
		Jettons: map[string]*address.Address{"USDT": jw}, Testnet: true,
	}
	p := makePlan(in)
	if len(p.Refused) != 3 || p.Refused[0].ID != 1 || p.Refused[1].ID != 2 || p.Refused[2].ID != 3 {
		t.Fatalf("refused %+v: our own wallets and a bad address", p.Refused)
	}
	if len(p.Waiting) != 1 || p.Waiting[0] != "DOGS" {
		t.Fatalf("waiting %v", p.Waiting)
	}
	if len(p.Batches) != 0 || p.Pause == nil || p.Pause.Asset != "USDT" || p.Pause.Available != "8999999" {
		t.Fatalf("batches %v pause %+v: 1 USDT unit short", sizes(p.Batches), p.Pause)
	}
}

func TestPlanBatchSize(t *testing.T) {
	t.Parallel()
	var q []store.Withdrawal
	for i := range 10 {
		q = append(q, wd(int64(i+1), store.TON.Symbol, 1_000_000, addr(100+i)))
	}
	p := makePlan(planInput{Queued: q, AvailTON: 1 << 40, BatchSize: 4, MsgFee: 1, Hot: addr(1), Testnet: true})
	if fmt.Sprint(sizes(p.Batches)) != "[4 4 2]" || p.Pause != nil {
		t.Fatalf("batches %v", sizes(p.Batches))
	}
}

func sizes(bs [][]payment) []int {
	out := make([]int, len(bs))
	for i, b := range bs {
		out[i] = len(b)
	}
	return out
}
