package ton

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm"
	"github.com/xssnick/tonutils-go/tvm/cell"
	"github.com/xssnick/tonutils-go/tvm/tuple"

	"github.com/tonpay/tonpay/store"
)

// The replay: a real mainnet block (shard block 0:8000000000000000:71398501
// under masterchain block 66519406, 269 transactions of 234 accounts) that
// tonutils-go ships with the previous state of every account it touches and
// the network's configuration at that block
// (tvm/testdata/tvm_replay_fat_block_66519406.json in the module). Every
// transaction is executed again by tonutils-go's TVM from the account's
// previous state and the real inbound message: the emulated transaction
// must be the real one (same hash: fees, phases, out messages), and the
// balance change tonpay books for it (tonChange) must equal the change of
// the account's balance the TVM computes, and what the classifier makes of
// it must add up to that change.

const replayBlockFile = "tvm/testdata/tvm_replay_fat_block_66519406.json"

type replayFixture struct {
	BlockBOC         string `json:"block_boc_base64"`
	Transactions     int    `json:"transactions"`
	PreviousAccounts []struct {
		Account string `json:"account"`
		BOC     string `json:"shard_account_boc_base64"`
	} `json:"previous_accounts"`
	Config struct {
		ConfigRoot string   `json:"config_root_boc_base64"`
		PrevBlocks string   `json:"prev_blocks_stack_boc_base64"`
		Libraries  []string `json:"libraries_boc_base64"`
	} `json:"config"`
	TransactionConfigs []struct {
		Account     string `json:"account"`
		LT          uint64 `json:"lt"`
		Now         uint32 `json:"now"`
		BlockLT     int64  `json:"block_lt"`
		LogicalTime int64  `json:"logical_time"`
		RandSeed    string `json:"rand_seed_base64"`
	} `json:"transaction_configs"`
}

// tonutilsDir is where the module cache holds the tonutils-go this module
// builds with.
func tonutilsDir(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/xssnick/tonutils-go").Output()
	if err != nil {
		t.Fatalf("locate tonutils-go: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func replayCell(t testing.TB, b64 string) *cell.Cell {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cell.FromBOC(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// replayTx is one transaction of the block: its cell, parsed form and
// inbound message cell.
type replayTx struct {
	cell *cell.Cell
	tx   *tlb.Transaction
	in   *cell.Cell
}

// blockTransactions lists the block's transactions per account, each
// account's in logical-time order.
func blockTransactions(t testing.TB, block *tlb.Block) map[string][]replayTx {
	t.Helper()
	s, err := block.Extra.ShardAccountBlocks.BeginParse()
	if err != nil {
		t.Fatal(err)
	}
	if has, err := s.LoadBoolBit(); err != nil || !has {
		t.Fatalf("block without account blocks (%v)", err)
	}
	root, err := s.LoadRefCell()
	if err != nil {
		t.Fatal(err)
	}
	items, err := root.AsDict(256).LoadAll()
	if err != nil {
		t.Fatal(err)
	}
	res := map[string][]replayTx{}
	for _, item := range items {
		skipCurrencyCollection(t, item.Value)
		var ab tlb.AccountBlock
		if err := tlb.LoadFromCell(&ab, item.Value); err != nil {
			t.Fatal(err)
		}
		txItems, err := ab.Transactions.AsCell().AsDict(64).LoadAll()
		if err != nil {
			t.Fatal(err)
		}
		var txs []replayTx
		for _, ti := range txItems {
			skipCurrencyCollection(t, ti.Value)
			tc, err := ti.Value.LoadRefCell()
			if err != nil {
				t.Fatal(err)
			}
			var tx tlb.Transaction
			if err := tlb.Parse(&tx, tc); err != nil {
				t.Fatal(err)
			}
			tx.Hash = tc.Hash()
			io := tc.MustPeekRef(0).MustBeginParse()
			var in *cell.Cell
			if has := io.MustLoadBoolBit(); has {
				in = io.MustLoadRef().MustToCell()
			}
			txs = append(txs, replayTx{cell: tc, tx: &tx, in: in})
		}
		sort.Slice(txs, func(i, j int) bool { return txs[i].tx.LT < txs[j].tx.LT })
		res[fmt.Sprintf("0:%x", ab.Addr)] = txs
	}
	return res
}

// skipCurrencyCollection skips the augmentation (a CurrencyCollection) of
// an augmented dictionary's leaf.
func skipCurrencyCollection(t testing.TB, s *cell.Slice) {
	t.Helper()
	if _, err := s.LoadBigCoins(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadMaybeRef(); err != nil {
		t.Fatal(err)
	}
}

func preparedBalance(a *tvm.PreparedAccount) store.Amount {
	st := a.State()
	if st == nil || !st.IsValid {
		return 0
	}
	return coins(st.Balance)
}

func TestReplayMainnetBlock(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(tonutilsDir(t), replayBlockFile))
	if err != nil {
		t.Fatal(err)
	}
	var f replayFixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	var block tlb.Block
	if err := tlb.Parse(&block, replayCell(t, f.BlockBOC)); err != nil {
		t.Fatal(err)
	}
	byAccount := blockTransactions(t, &block)

	cfg, err := tvm.PrepareBlockchainConfig(replayCell(t, f.Config.ConfigRoot))
	if err != nil {
		t.Fatal(err)
	}
	var libs []*cell.Cell
	for _, l := range f.Config.Libraries {
		libs = append(libs, replayCell(t, l))
	}
	tc0 := f.TransactionConfigs[0]
	blockCtx, err := cfg.NewBlockContext(tvm.BlockOptions{Now: tc0.Now, BlockLT: tc0.BlockLT, Libraries: libs, PrevBlocks: prevBlocks(t, f.Config.PrevBlocks)})
	if err != nil {
		t.Fatal(err)
	}
	type txOpts struct {
		lt   int64
		seed []byte
	}
	opts := map[string]txOpts{}
	for _, c := range f.TransactionConfigs {
		seed, err := base64.StdEncoding.DecodeString(c.RandSeed)
		if err != nil {
			t.Fatal(err)
		}
		opts[fmt.Sprintf("%s/%d", c.Account, c.LT)] = txOpts{lt: c.LogicalTime, seed: seed}
	}

	machine := tvm.NewTVM()
	kinds := map[string]int{}
	total, ordinary := 0, 0
	for _, pa := range f.PreviousAccounts {
		txs := byAccount[pa.Account]
		var shard tlb.ShardAccount
		if err := tlb.Parse(&shard, replayCell(t, pa.BOC)); err != nil {
			t.Fatal(err)
		}
		addr, err := address.ParseRawAddr(pa.Account)
		if err != nil {
			t.Fatal(err)
		}
		acc, err := tvm.PrepareAccount(&shard, addr)
		if err != nil {
			t.Fatal(err)
		}
		var stat *cell.Cell
		for _, rt := range txs {
			total++
			o, ok := opts[fmt.Sprintf("%s/%d", pa.Account, rt.tx.LT)]
			if !ok {
				t.Fatalf("%s lt %d: no execution options in the fixture", pa.Account, rt.tx.LT)
			}
			topts := tvm.TransactionOptions{LogicalTime: o.lt, RandSeed: o.seed, AccountStorageStat: stat}
			var res *tvm.TransactionExecutionResult
			if desc, tick := rt.tx.Description.(tlb.TransactionDescriptionTickTock); tick {
				res, err = machine.EmulateTickTockTransaction(blockCtx, acc, desc.IsTock, topts)
			} else {
				msg, perr := tvm.PrepareMessage(rt.in)
				if perr != nil {
					t.Fatal(perr)
				}
				res, err = machine.EmulateTransaction(blockCtx, acc, msg, topts)
			}
			if err != nil {
				t.Fatalf("%s lt %d: emulate: %v", pa.Account, rt.tx.LT, err)
			}
			emu, err := res.ParseTransaction()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := rt.tx.Description.(tlb.TransactionDescriptionOrdinary); ok {
				ordinary++
				kinds[checkReplayed(t, addr, rt.tx, emu, preparedBalance(acc), preparedBalance(res.NextAccount))]++
			}
			if !bytes.Equal(emu.Hash, rt.tx.Hash) {
				t.Fatalf("%s lt %d: the TVM's transaction %x is not the real one %x", pa.Account, rt.tx.LT, emu.Hash, rt.tx.Hash)
			}
			acc, stat = res.NextAccount, res.AccountStorageStat
		}
	}
	if total != f.Transactions || ordinary == 0 {
		t.Fatalf("replayed %d transactions (%d ordinary), the block holds %d", total, ordinary, f.Transactions)
	}
	var ks []string
	for k, n := range kinds {
		ks = append(ks, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(ks)
	t.Logf("mainnet block 0:8000000000000000:71398501 (master 66519406): %d transactions replayed by the TVM, %d ordinary "+
		"ones booked exactly; kinds (each account watched as our hot wallet): %s", total, ordinary, strings.Join(ks, " "))
}

// prevBlocks reads the c7 previous-blocks tuple the fixture captured.
func prevBlocks(t testing.TB, b64 string) tuple.Tuple {
	t.Helper()
	v, err := tlb.ParseStackValue(replayCell(t, b64).MustBeginParse())
	if err != nil {
		t.Fatal(err)
	}
	tup, ok := tupleOf(v).(tuple.Tuple)
	if !ok {
		t.Fatalf("previous blocks are a %T, not a tuple", v)
	}
	return tup
}

func tupleOf(v any) any {
	items, ok := v.([]any)
	if !ok {
		return v
	}
	for i := range items {
		items[i] = tupleOf(items[i])
	}
	return tuple.NewTupleValue(items...)
}

// checkReplayed compares one real ordinary transaction with its emulation
// and books it; it returns the kind the classifier gives it.
func checkReplayed(t *testing.T, addr *address.Address, real, emu *tlb.Transaction, before, after store.Amount) string {
	t.Helper()
	name := fmt.Sprintf("%s lt %d", addr.StringRaw(), real.LT)
	if coins(emu.TotalFees.Coins) != coins(real.TotalFees.Coins) {
		t.Fatalf("%s: total_fees %d emulated, %d real", name, coins(emu.TotalFees.Coins), coins(real.TotalFees.Coins))
	}
	ro, eo := internalOuts(real), internalOuts(emu)
	if len(ro) != len(eo) || emu.OutMsgCount != real.OutMsgCount {
		t.Fatalf("%s: %d out messages emulated, %d real", name, emu.OutMsgCount, real.OutMsgCount)
	}
	for i := range ro {
		if coins(ro[i].Amount) != coins(eo[i].Amount) || coins(ro[i].FwdFee) != coins(eo[i].FwdFee) || !ro[i].DstAddr.Equals(eo[i].DstAddr) {
			t.Fatalf("%s: out %d emulated %d (fwd %d) to %s, real %d (fwd %d) to %s", name, i,
				coins(eo[i].Amount), coins(eo[i].FwdFee), eo[i].DstAddr, coins(ro[i].Amount), coins(ro[i].FwdFee), ro[i].DstAddr)
		}
	}
	change := after - before
	if got := tonChange(real); got != change {
		t.Fatalf("%s: booked change %d (in.value - total_fees - Σ out (value + fwd_fee)), the TVM moved the balance %d -> %d (%d)",
			name, got, before, after, change)
	}
	if got := tonChange(emu); got != change {
		t.Fatalf("%s: booked change of the emulated transaction %d, the balance moved %d", name, got, change)
	}
	cl := &classifier{hot: addr, jettons: map[string]string{}, min: map[string]store.Amount{store.TON.Symbol: 0}}
	ct := cl.classify(watch{addr: addr, raw: addr.StringRaw(), asset: store.TON.Symbol}, real)
	var sum store.Amount
	for _, m := range ct.Moves {
		sum += m.Amount
	}
	if ct.Change != change || sum != change {
		t.Fatalf("%s: classified change %d, moves sum %d, the balance moved %d (%+v)", name, ct.Change, sum, change, ct.Moves)
	}
	kind := string(ct.Event.Kind)
	seen := map[store.MoveKind]bool{}
	var mk []string
	for _, m := range ct.Moves {
		if !seen[m.Kind] {
			seen[m.Kind] = true
			mk = append(mk, string(m.Kind))
		}
	}
	sort.Strings(mk)
	if len(mk) > 0 {
		kind += "(" + strings.Join(mk, ",") + ")"
	}
	return kind
}
