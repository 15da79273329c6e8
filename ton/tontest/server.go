package tontest

import (
	"context"
	"fmt"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/liteclient"
	"github.com/xssnick/tonutils-go/tl"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// Lite-server error codes the fake answers with.
const (
	codeTimeout     = 652  // waitMasterchainSeqno expired
	codeNotInDB     = -400 // pruned history
	codeUnsupported = 621
)

// maxTxPerPage is how many transactions a real lite-server returns at most.
const maxTxPerPage = 16

// handle is the lite-server query handler. The server calls it from the
// connection's read loop (and itself answers the TCP handshake's
// authentication and pings), so every query is answered from its own
// goroutine: a long poll must not hold up the queries behind it. Like a
// real lite-server, an answer the connection cannot take (its send queue
// full, or closed) is dropped, and the client times out.
func (c *Chain) handle(ctx context.Context, sc *liteclient.ServerClient, queryID []byte, query tl.Serializable) {
	// The answer is computed in the goroutine too: a go statement
	// evaluates its arguments before it starts.
	go func() { sc.Answer(queryID, c.answer(ctx, query)) }()
}

// answer serves one lite-server query, applying the injected faults first.
func (c *Chain) answer(ctx context.Context, data any) tl.Serializable {
	c.mu.Lock()
	delay := c.delay
	fail := c.failLeft > 0
	code := c.failCode
	if fail {
		c.failLeft--
	}
	c.mu.Unlock()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
		case <-c.done:
		}
	}
	if fail {
		return ton.LSError{Code: code, Text: "tontest: injected failure"}
	}

	// WaitForBlock sends [liteServer.waitMasterchainSeqno, request].
	req := data
	if parts, ok := data.([]tl.Serializable); ok {
		req = nil
		for _, p := range parts {
			w, ok := p.(ton.WaitMasterchainSeqno)
			if !ok {
				req = p
				continue
			}
			timeout := time.Duration(w.Timeout) * time.Millisecond
			if !c.waitSeqno(ctx, uint32(w.Seqno), timeout) {
				return ton.LSError{Code: codeTimeout, Text: "timeout"}
			}
		}
	}

	switch r := req.(type) {
	case ton.GetMasterchainInf:
		c.mu.Lock()
		defer c.mu.Unlock()
		return ton.MasterchainInfo{Last: c.masterBlock(c.seqno), StateRootHash: c.masterBlock(c.seqno).FileHash, Init: c.zeroState()}
	case ton.GetMasterchainInfoExt:
		c.mu.Lock()
		defer c.mu.Unlock()
		return ton.MasterchainInfoExt{
			Last: c.masterBlock(c.seqno), LastUTime: c.blockNow, Now: uint32(c.now().Unix()),
			StateRootHash: c.masterBlock(c.seqno).FileHash, Init: c.zeroState(),
		}
	case ton.GetTime:
		return ton.CurrentTime{Now: uint32(c.Now().Unix())}
	case ton.GetAccountState:
		return c.accountState(r.ID, r.Account)
	case ton.GetTransactions:
		return c.transactions(r)
	case ton.RunSmcMethod:
		return c.runMethod(r)
	case ton.SendMessage:
		return c.sendMessage(r.Body)
	case ton.GetAllShardsInfo:
		return c.allShardsInfo(r)
	case ton.ListBlockTransactions:
		return c.blockTransactions(r)
	case ton.ListBlockTransactionsExt:
		return c.blockTransactionsExt(r)
	case ton.LookupBlock:
		return c.lookupBlock(r)
	case ton.GetOneTransaction:
		return c.oneTransaction(r)
	case ton.GetBlockData:
		return c.block(r)
	case ton.GetBlockHeader:
		return c.blockHeader(r)
	}
	return ton.LSError{Code: codeUnsupported, Text: fmt.Sprintf("tontest: unsupported query %T", req)}
}

func (c *Chain) zeroState() *ton.ZeroStateIDExt {
	z := c.masterBlock(0)
	return &ton.ZeroStateIDExt{Workchain: -1, RootHash: z.RootHash, FileHash: z.FileHash}
}

func addrOf(id ton.AccountID) *address.Address {
	return address.NewAddress(0, byte(id.Workchain), id.ID)
}

// stateSeqno is the basechain block whose state a query at block asks
// for: a basechain block's own, a masterchain block's shard tip (see
// HoldShardTips); the head's for a block still to come. c.mu held.
func (c *Chain) stateSeqno(block *ton.BlockIDExt) uint32 {
	seqno := min(block.SeqNo, c.seqno)
	if block.Workchain == -1 {
		seqno = c.blocks[seqno].tip
	}
	return seqno
}

// accountState answers getAccountState with the state of the account at
// the end of the block asked for (the head's for a block still to come;
// a masterchain block's shard tip's).
// With ProofCheckPolicyUnsafe the client still reads the account from
// proof[1].ref0, a ShardStateUnsplit, and checks the state cell's hash and
// the balance against it; the fake builds that state with just this account
// (and a placeholder, so the dictionary is never empty).
func (c *Chain) accountState(block *ton.BlockIDExt, id ton.AccountID) tl.Serializable {
	addr := addrOf(id)
	c.mu.Lock()
	defer c.mu.Unlock()

	accounts, err := tlb.NewShardAccountsAugDict()
	if err != nil {
		return ton.LSError{Code: codeUnsupported, Text: "tontest: shard accounts: " + err.Error()}
	}
	placeholder := make([]byte, 32)
	for i, b := range id.ID {
		placeholder[i] = ^b
	}
	none := cell.BeginCell().MustStoreBoolBit(false).EndCell()
	mustSet(accounts, placeholder, shardAccount(none, make([]byte, 32), 0))

	seqno := c.stateSeqno(block)
	if seqno < c.horizon() {
		return ton.LSError{Code: codeNotInDB, Text: "state of this block is no longer kept"}
	}
	var state *cell.Cell
	if acc := c.accounts[key(addr)]; acc != nil {
		if s := acc.at(seqno); s != nil && s.state != nil {
			state = s.state
			mustSet(accounts, id.ID, shardAccount(state, s.lastHash, s.lastLT))
		}
	}

	shardState, err := tlb.ToCell(tlb.ShardStateUnsplit{
		GlobalID:        c.opts.GlobalID,
		ShardIdent:      tlb.ShardIdent{WorkchainID: id.Workchain},
		Seqno:           block.SeqNo,
		GenUTime:        c.blocks[seqno].now,
		GenLT:           c.blocks[seqno].lt,
		OutMsgQueueInfo: cell.BeginCell().EndCell(),
		Accounts: struct {
			ShardAccounts *tlb.ShardAccountsAugDict `tlb:"."`
		}{ShardAccounts: accounts},
		Stats: cell.BeginCell().EndCell(),
	})
	if err != nil {
		return ton.LSError{Code: codeUnsupported, Text: "tontest: build shard state: " + err.Error()}
	}
	return ton.AccountState{
		ID:    block,
		Shard: c.shardBlock(seqno),
		Proof: []*cell.Cell{cell.BeginCell().EndCell(), cell.BeginCell().MustStoreRef(shardState).EndCell()},
		State: state,
	}
}

// shardAccount is a ShardAccount (the account, its last transaction). The
// augmented dictionary computes each leaf's DepthBalanceInfo (the balance
// the client checks the state against) from the account cell itself.
func shardAccount(state *cell.Cell, lastHash []byte, lastLT uint64) *cell.Cell {
	if lastHash == nil {
		lastHash = make([]byte, 32)
	}
	return cell.BeginCell().MustStoreRef(state).MustStoreSlice(lastHash, 256).MustStoreUInt(lastLT, 64).EndCell()
}

func mustSet(d *tlb.ShardAccountsAugDict, k []byte, v *cell.Cell) {
	if err := d.Set(cell.BeginCell().MustStoreSlice(k, 256).EndCell(), v); err != nil {
		panic("tontest: dict set: " + err.Error())
	}
}

// transactions answers getTransactions: up to count (at most 16)
// transactions ending at (lt, hash), newest first, as one multi-root BOC.
func (c *Chain) transactions(r ton.GetTransactions) tl.Serializable {
	if r.AccID == nil || r.Limit <= 0 {
		return ton.LSError{Code: codeUnsupported, Text: "invalid getTransactions query"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	acc := c.accounts[key(addrOf(*r.AccID))]
	lt := uint64(r.LT)
	if acc != nil && lt < acc.prunedBelow {
		return ton.LSError{Code: codeNotInDB, Text: "cannot compute block with specified transaction: lt not in db"}
	}
	i := -1
	if acc != nil {
		i = acc.txIndex(lt)
	}
	if i < 0 {
		return ton.LSError{Code: 0, Text: "cannot locate transaction in block with specified logical time"}
	}
	if string(acc.txs[i].hash) != string(r.TxHash) {
		return ton.LSError{Code: 0, Text: "transaction hash mismatch"}
	}

	limit := min(int(r.Limit), maxTxPerPage)
	var roots []*cell.Cell
	var ids []*ton.BlockIDExt
	for ; i >= 0 && len(roots) < limit && acc.txs[i].lt >= acc.prunedBelow; i-- {
		roots = append(roots, acc.txs[i].cell)
		ids = append(ids, c.shardBlock(acc.txs[i].seqno))
	}
	return ton.TransactionList{IDs: ids, Transactions: cell.ToBOCWithFlags(roots, false)}
}

// sendMessage answers sendMessage: like a real node it refuses an external
// message the contract would not accept.
func (c *Chain) sendMessage(boc []byte) tl.Serializable {
	c.mu.Lock()
	drop := c.dropExt
	c.mu.Unlock()
	if drop {
		return ton.SendMessageStatus{Status: 1}
	}
	if err := c.SendExternal(boc); err != nil {
		return ton.LSError{Code: 0, Text: "cannot apply external message to current state : " + err.Error()}
	}
	return ton.SendMessageStatus{Status: 1}
}

// Exit codes of get-methods.
const (
	exitNoState  = -256 // account has no code: what tonutils-go checks
	exitStackBad = 7
)

// runMethod answers runSmcMethod by running the contract's real code on
// the TVM (get-method by id) on the account's code and data at the block
// asked for (the head's for a block still to come), at that block's time.
// Only the result is given (mode 4): no
// proofs, so the client must use ProofCheckPolicyUnsafe.
func (c *Chain) runMethod(r ton.RunSmcMethod) tl.Serializable {
	var args []any
	if len(r.Params) > 0 {
		var st tlb.Stack
		params, err := cell.FromBOC(r.Params)
		if err != nil {
			return ton.LSError{Code: codeUnsupported, Text: "bad params boc: " + err.Error()}
		}
		if err := st.LoadFromCell(params.MustBeginParse()); err != nil {
			return ton.LSError{Code: codeUnsupported, Text: "bad params stack: " + err.Error()}
		}
		for st.Depth() > 0 {
			v, _ := st.Pop()
			args = append(args, v)
		}
	}

	c.mu.Lock()
	exit := int32(exitNoState)
	var result []any
	seqno := c.stateSeqno(r.ID)
	if seqno < c.horizon() {
		c.mu.Unlock()
		return ton.LSError{Code: codeNotInDB, Text: "state of this block is no longer kept"}
	}
	if acc := c.accounts[key(addrOf(r.Account))]; acc != nil {
		if s := acc.at(seqno); s != nil && s.code != nil {
			result, exit = c.vmGet(acc.addr, s.code, s.data, s.balance, c.blocks[seqno].now, r.MethodID, args)
		}
	}
	shard := c.shardBlock(seqno)
	c.mu.Unlock()

	var st tlb.Stack
	for i := len(result) - 1; i >= 0; i-- {
		st.Push(result[i])
	}
	stack, err := st.ToCell()
	if err != nil {
		return ton.LSError{Code: codeUnsupported, Text: "build result stack: " + err.Error()}
	}
	return ton.RunMethodResult{Mode: 1 << 2, ID: r.ID, ShardBlock: shard, ExitCode: exit, Result: stack}
}
