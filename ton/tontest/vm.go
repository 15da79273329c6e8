package tontest

import (
	"crypto/rand"
	_ "embed"
	"fmt"
	"math/big"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm"
	"github.com/xssnick/tonutils-go/tvm/cell"
	"github.com/xssnick/tonutils-go/tvm/tuple"
	"github.com/xssnick/tonutils-go/tvm/vm"
)

// mainnetConfig is the configuration of mainnet (config params: gas and
// forwarding prices, storage prices, limits, global version 13) at
// masterchain block 66519406, as tonutils-go v1.18.0 ships it with the
// block it replays (tvm/testdata/tvm_replay_fat_block_66519406.json,
// config.config_root_boc_base64).
//
//go:embed mainnet-config-66519406.boc
var mainnetConfig []byte

// machine runs contracts by TVM: tonutils-go's pure-Go TVM executes every
// transaction (storage, credit, compute, action and bounce phases) under a
// real mainnet configuration.
type machine struct {
	tvm        *tvm.TVM
	configRoot *cell.Cell
	cfg        *tvm.PreparedBlockchainConfig
	block      *tvm.BlockContext                   // of the block being made
	msgCells   map[*tlb.InternalMessage]*cell.Cell // the cell each queued message was sent as
}

func newMachine() (*machine, error) {
	root, err := cell.FromBOC(mainnetConfig)
	if err != nil {
		return nil, fmt.Errorf("tontest: mainnet config: %w", err)
	}
	cfg, err := tvm.PrepareBlockchainConfig(root)
	if err != nil {
		return nil, fmt.Errorf("tontest: mainnet config: %w", err)
	}
	return &machine{tvm: tvm.NewTVM(), configRoot: root, cfg: cfg, msgCells: map[*tlb.InternalMessage]*cell.Cell{}}, nil
}

// blockContext is the execution context of a block generated at now.
func (m *machine) blockContext(now uint32) *tvm.BlockContext {
	seed := make([]byte, 32)
	_, _ = rand.Read(seed)
	b, err := m.cfg.NewBlockContext(tvm.BlockOptions{Now: now, RandSeed: seed})
	if err != nil {
		panic("tontest: block context: " + err.Error())
	}
	return b
}

// prepared returns the account as the TVM takes it (account_none when it
// does not exist yet).
func (a *account) prepared() *tvm.PreparedAccount {
	if a.vm != nil {
		return a.vm
	}
	none := cell.BeginCell().MustStoreBoolBit(false).EndCell()
	p, err := tvm.PrepareAccount(&tlb.ShardAccount{Account: none, LastTransHash: make([]byte, 32)}, a.addr)
	if err != nil {
		panic("tontest: empty account: " + err.Error())
	}
	return p
}

// vmState is the Account cell of a, nil for account_none.
func (a *account) vmState() *cell.Cell {
	if a.vm == nil {
		return nil
	}
	st := a.vm.State()
	if st == nil || !st.IsValid {
		return nil
	}
	return a.vm.ShardAccount().Account
}

// vmCodeData returns the code and data of an active account.
func (a *account) vmCodeData() (code, data *cell.Cell) {
	if a.vm == nil {
		return nil, nil
	}
	st := a.vm.State()
	if st == nil || !st.IsValid || st.Status != tlb.AccountStatusActive || st.StateInit == nil {
		return nil, nil
	}
	return st.StateInit.Code, st.StateInit.Data
}

func preparedBalance(p *tvm.PreparedAccount) uint64 {
	st := p.State()
	if st == nil || !st.IsValid {
		return 0
	}
	return st.Balance.Nano().Uint64()
}

// deploy installs code and data at acc with balance nano outside any
// transaction (genesis): an active account whose storage was last paid at
// now.
func (m *machine) deploy(acc *account, code, data *cell.Cell, nano uint64, now uint32) {
	storage := tlb.AccountStorage{
		Status:            tlb.AccountStatusActive,
		LastTransactionLT: acc.lastLT,
		Balance:           tlb.FromNanoTONU(nano),
		StateInit:         &tlb.StateInit{Code: code, Data: data},
	}
	sc, err := storage.ToCell()
	if err != nil {
		panic("tontest: account storage: " + err.Error())
	}
	cells, bits := treeSize(sc)
	st := tlb.AccountState{
		IsValid: true,
		Address: acc.addr,
		StorageInfo: tlb.StorageInfo{
			StorageUsed:  tlb.StorageUsed{CellsUsed: new(big.Int).SetUint64(cells), BitsUsed: new(big.Int).SetUint64(bits)},
			StorageExtra: tlb.StorageExtraNone{},
			LastPaid:     now,
		},
		AccountStorage: storage,
	}
	ac, err := st.ToCell()
	if err != nil {
		panic("tontest: account: " + err.Error())
	}
	last := acc.lastHash
	if last == nil {
		last = make([]byte, 32)
	}
	p, err := tvm.PrepareAccount(&tlb.ShardAccount{Account: ac, LastTransHash: last, LastTransLT: acc.lastLT}, acc.addr)
	if err != nil {
		panic("tontest: prepare account: " + err.Error())
	}
	acc.vm, acc.stat, acc.balance = p, nil, nano
}

// treeSize counts the distinct cells of a tree and their bits, as the
// storage statistics of an account do.
func treeSize(root *cell.Cell) (cells, bits uint64) {
	seen := map[string]bool{}
	var walk func(c *cell.Cell)
	walk = func(c *cell.Cell) {
		h := string(c.Hash())
		if seen[h] {
			return
		}
		seen[h] = true
		cells++
		bits += uint64(c.BitsSize())
		for i := 0; i < int(c.RefsNum()); i++ {
			walk(c.MustPeekRef(i))
		}
	}
	walk(root)
	return cells, bits
}

// emulate runs one transaction of acc on the message cell in block b,
// changing nothing.
func (m *machine) emulate(b *tvm.BlockContext, acc *account, msg *cell.Cell, lt uint64) (*tvm.TransactionExecutionResult, error) {
	pm, err := tvm.PrepareMessage(msg)
	if err != nil {
		return nil, err
	}
	return m.tvm.EmulateTransaction(b, acc.prepared(), pm, tvm.TransactionOptions{LogicalTime: int64(lt), AccountStorageStat: acc.stat})
}

// vmCheckExternal tells whether the contract at the message's destination
// accepts it at time now (what a node checks before taking it).
func (c *Chain) vmCheckExternal(msg *tlb.ExternalMessage, root *cell.Cell, now uint32) error {
	if msg.DstAddr == nil || msg.DstAddr.IsAddrNone() {
		return fmt.Errorf("external message without destination")
	}
	acc := c.accounts[key(msg.DstAddr)]
	if acc == nil {
		acc = &account{addr: address.NewAddress(0, byte(msg.DstAddr.Workchain()), msg.DstAddr.Data())}
	}
	res, err := c.vm.emulate(c.vm.blockContext(now), acc, root, c.lt+1)
	if err != nil {
		return fmt.Errorf("tontest: %w", err)
	}
	if !res.Accepted {
		return fmt.Errorf("External message was not accepted\nCannot run message on account: inbound external message rejected by transaction %X: exitcode=%d", msg.DstAddr.Data(), res.ExitCode)
	}
	return nil
}

// vmRun executes a message on its destination in the block being made and
// records the transaction; false when an external message was not
// accepted (it leaves no trace).
func (c *Chain) vmRun(dst *address.Address, msg *cell.Cell, external bool) bool {
	acc := c.account(dst)
	res, err := c.vm.emulate(c.vm.block, acc, msg, c.lt+1)
	if err != nil {
		if external {
			return false
		}
		panic(fmt.Sprintf("tontest: the TVM cannot execute a message to %s: %v", dst.StringRaw(), err))
	}
	if external && !res.Accepted {
		return false
	}
	tx, err := res.ParseTransaction()
	if err != nil {
		panic("tontest: " + err.Error())
	}
	c.touched[acc] = true
	before := acc.balance
	acc.vm, acc.stat = res.NextAccount, res.AccountStorageStat
	acc.balance = preparedBalance(res.NextAccount)
	acc.lastLT, acc.lastHash = tx.LT, tx.Hash
	acc.txs = append(acc.txs, txRecord{lt: tx.LT, hash: tx.Hash, cell: res.TransactionCell, seqno: c.seqno, before: before, after: acc.balance})
	c.recordBlockTx(acc.addr, tx.LT, tx.Hash)
	c.lt = max(c.lt, res.EndLT)
	for _, om := range res.OutMessages {
		if om.Msg == nil || om.Msg.MsgType != tlb.MsgTypeInternal {
			continue // external out messages (logs) go nowhere
		}
		m := om.Msg.AsInternal()
		c.vm.msgCells[m] = om.Cell
		c.inflight = append(c.inflight, m)
	}
	return true
}

// vmInternal delivers a queued internal message.
func (c *Chain) vmInternal(m *tlb.InternalMessage) {
	mc := c.vm.msgCells[m]
	delete(c.vm.msgCells, m)
	if mc == nil {
		var err error
		if mc, err = tlb.ToCell(m); err != nil {
			panic("tontest: serialize message: " + err.Error())
		}
	}
	c.vmRun(m.DstAddr, mc, false)
}

// vmGet runs get-method id on code and data as of a block of time now, as
// a lite-server's runSmcMethod does.
func (c *Chain) vmGet(addr *address.Address, code, data *cell.Cell, balance uint64, now uint32, id uint64, args []any) ([]any, int32) {
	st := vm.NewStack()
	for _, a := range args {
		if err := st.PushAny(a); err != nil {
			return nil, exitStackBad
		}
	}
	if err := st.PushInt(new(big.Int).SetUint64(id)); err != nil {
		return nil, exitStackBad
	}
	seed := make([]byte, 32)
	_, _ = rand.Read(seed)
	b := c.vm.blockContext(now)
	unpacked, _ := b.UnpackedConfig()
	inner := tuple.NewTupleValue(
		big.NewInt(0x076ef1ea), big.NewInt(0), big.NewInt(0), big.NewInt(int64(now)),
		big.NewInt(int64(c.lt)), big.NewInt(int64(c.lt)), new(big.Int).SetBytes(seed),
		tuple.NewTupleValue(new(big.Int).SetUint64(balance), nil),
		cell.BeginCell().MustStoreAddr(addr).ToSlice(),
		c.vm.configRoot, code, tuple.NewTupleValue(big.NewInt(0), nil), big.NewInt(0), nil,
		unpacked, nil, nil,
	)
	res, err := c.vm.tvm.ExecuteGetMethod(code, data, tuple.NewTupleValue(inner), vm.GasWithLimit(1_000_000), st, tvm.ExecutionConfig{Config: c.vm.cfg})
	if err != nil {
		return nil, exitStackBad
	}
	if res.ExitCode != 0 && res.ExitCode != 1 {
		return nil, int32(res.ExitCode)
	}
	out := make([]any, res.Stack.Len())
	for i := range out {
		v, err := res.Stack.PopAny()
		if err != nil {
			return nil, exitStackBad
		}
		out[len(out)-1-i] = v
	}
	return out, 0
}
