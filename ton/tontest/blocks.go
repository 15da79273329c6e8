package tontest

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tl"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// What a block contains: the lite-server queries a block-reading follower
// makes (getAllShardsInfo, listBlockTransactions(Ext), lookupBlock,
// getOneTransaction), answered from the transactions each block executed.
// The algorithms and error codes are those of the real lite-server
// (validator/impl/liteserver.cpp, validator/db/rootdb.cpp):
//   - a block that does not exist, is not produced yet or lies beyond the
//     kept horizon: code 651 (ErrorCode::notready) "not in db";
//   - the masterchain state of such a block (getAllShardsInfo): code 602
//     (ErrorCode::error) "state already gc'd" beyond the horizon;
//   - a malformed query: code -400 (the lite-server's fatal_error).
//
// The blocks themselves are real Block cells (blockcell.go), served by
// getBlock and getBlockHeader, and these queries carry real Merkle proofs
// of them (a header proof, the block's ShardAccountBlocks, its
// ShardHashes), which tonutils-go's ProofCheckPolicyFast checks. Other
// queries (getAccountState, runSmcMethod) still answer without proofs, so
// clients of the whole chain use ton.ProofCheckPolicyUnsafe.

// codeNotReady is ErrorCode::notready: a block or state the node does not
// have (never had, not yet, or no longer).
const codeNotReady = 651

// codeError is ErrorCode::error, which the node's database answers for a
// state it deleted ("state already gc'd").
const codeError = 602

// maxBlockTxPerPage is how many transaction ids listBlockTransactions
// answers at most, whatever count asks (max_answer_transactions).
const maxBlockTxPerPage = 256

// Modes of listBlockTransactions.
const (
	modeWantProof = 1 << 5
	modeReverse   = 1 << 6
	modeAfter     = 1 << 7
	modeMetadata  = 1 << 8
)

// blockTx is a transaction as its block lists it.
type blockTx struct {
	wc   int32
	acc  [32]byte
	lt   uint64
	hash []byte
}

// compareBlockTx orders a block's transactions by workchain (the
// masterchain's block, then the basechain's), then as their block's
// ShardAccountBlocks dictionary does: by account id, then by logical time.
func compareBlockTx(a, b blockTx) int {
	if a.wc != b.wc {
		if a.wc < b.wc {
			return -1
		}
		return 1
	}
	if c := bytes.Compare(a.acc[:], b.acc[:]); c != 0 {
		return c
	}
	switch {
	case a.lt < b.lt:
		return -1
	case a.lt > b.lt:
		return 1
	}
	return 0
}

// recordBlockTx notes a transaction of the block being made; c.mu held.
func (c *Chain) recordBlockTx(addr *address.Address, lt uint64, hash []byte) {
	t := blockTx{wc: addr.Workchain(), lt: lt, hash: hash}
	copy(t.acc[:], addr.Data())
	c.making = append(c.making, t)
}

// sealBlockTxs files the transactions of the block just made under it,
// sorted, and forgets the lists of the blocks that fell behind the
// horizon; c.mu held, c.blocks[c.seqno] appended.
func (c *Chain) sealBlockTxs() {
	txs := c.making
	c.making = nil
	slices.SortFunc(txs, compareBlockTx)
	c.blocks[c.seqno].txs = txs
	for h := c.horizon(); c.listsFrom < h; c.listsFrom++ {
		c.blocks[c.listsFrom].txs = nil
	}
}

// blockIDString is a block id as the node prints it in its errors.
func blockIDString(id *ton.BlockIDExt) string {
	return fmt.Sprintf("(%d,%016x,%d):%X:%X", id.Workchain, uint64(id.Shard), id.SeqNo, id.RootHash, id.FileHash)
}

// loadBlock resolves id to a block the node holds: its seqno, or the error
// the node answers for it. c.mu held.
func (c *Chain) loadBlock(id *ton.BlockIDExt) (uint32, tl.Serializable) {
	if id == nil || (id.Workchain != -1 && id.Workchain != 0) || id.Shard == 0 ||
		len(id.RootHash) != 32 || len(id.FileHash) != 32 {
		return 0, ton.LSError{Code: codeNotInDB, Text: "invalid block id requested"}
	}
	if id.SeqNo > c.served(id.Workchain) || id.SeqNo < c.horizon() || !id.Equals(c.blockID(id.Workchain, id.SeqNo)) {
		return 0, ton.LSError{Code: codeNotReady, Text: "cannot load block " + blockIDString(id) + " : not in db"}
	}
	return id.SeqNo, nil
}

// served is the last block of workchain wc the node serves: the head for
// the masterchain, the head's shard tip for the basechain. c.mu held.
func (c *Chain) served(wc int32) uint32 {
	if wc == -1 {
		return c.seqno
	}
	return c.blocks[c.seqno].tip
}

// blockTxs returns the transactions of the block with id's workchain at
// seqno: the masterchain's or the basechain's. c.mu held.
func (c *Chain) blockTxs(wc int32, seqno uint32) []blockTx {
	txs := c.blocks[seqno].txs
	from, _ := slices.BinarySearchFunc(txs, wc, func(t blockTx, wc int32) int { return int(t.wc) - int(wc) })
	to, _ := slices.BinarySearchFunc(txs, wc+1, func(t blockTx, wc int32) int { return int(t.wc) - int(wc) })
	return txs[from:to]
}

// allShardsInfo answers getAllShardsInfo for a masterchain block: its
// ShardHashes, the basechain's one shard with the shard block of the same
// seqno as its top block.
func (c *Chain) allShardsInfo(r ton.GetAllShardsInfo) tl.Serializable {
	if r.ID == nil || r.ID.Workchain != -1 {
		return ton.LSError{Code: codeNotInDB, Text: "reference block must belong to the masterchain"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.ID.SeqNo < c.horizon() && r.ID.SeqNo <= c.seqno && r.ID.Equals(c.masterBlock(r.ID.SeqNo)) {
		return ton.LSError{Code: codeError, Text: "cannot load state for " + blockIDString(r.ID) + " : state already gc'd"}
	}
	seqno, bad := c.loadBlock(r.ID)
	if bad != nil {
		return bad
	}
	if seqno == 0 { // the zero state is not a block: no shards to prove
		return ton.LSError{Code: codeNotReady, Text: "cannot load block " + blockIDString(r.ID) + " : not in db"}
	}
	data, err := c.shardHashes(c.blocks[seqno].tip)
	if err != nil {
		return ton.LSError{Code: codeNotInDB, Text: "tontest: shard hashes: " + err.Error()}
	}
	// The proof of the block's ShardHashes, in the one-root form newer
	// lite-servers send.
	proof, err := blockProof(c.blockCell(-1, seqno), nil)
	if err != nil {
		return ton.LSError{Code: codeNotInDB, Text: "cannot construct Merkle proof: " + err.Error()}
	}
	return ton.AllShardsInfo{ID: r.ID, Proof: []*cell.Cell{proof}, Data: data}
}

// shardHashes is the ShardHashes of a masterchain block whose basechain
// tip is block seqno (HashmapE 32 ^(BinTree ShardDescr)), as a cell holding
// the dictionary (Maybe ^), as the lite-server sends it. c.mu held.
func (c *Chain) shardHashes(seqno uint32) (*cell.Cell, error) {
	blk := c.shardBlock(seqno)
	info := c.blocks[seqno]
	reg := seqno // the masterchain block that named it first
	for reg < c.seqno && c.blocks[reg].tip != seqno {
		reg++
	}
	// fees_collected and funds_created: CurrencyCollection 0 each.
	zero := cell.BeginCell().MustStoreCoins(0).MustStoreDict(nil)
	currencies := cell.BeginCell().MustStoreBuilder(zero).MustStoreBuilder(zero).EndCell()
	// bt_leaf$0 shard_descr_new#a
	descr := cell.BeginCell().
		MustStoreUInt(0, 1).
		MustStoreUInt(0xa, 4).
		MustStoreUInt(uint64(seqno), 32).    // seq_no
		MustStoreUInt(uint64(reg), 32).      // reg_mc_seqno
		MustStoreUInt(info.startLT, 64).     // start_lt
		MustStoreUInt(info.lt, 64).          // end_lt
		MustStoreSlice(blk.RootHash, 256).   // root_hash
		MustStoreSlice(blk.FileHash, 256).   // file_hash
		MustStoreUInt(0, 5).                 // before_split before_merge want_split want_merge nx_cc_updated
		MustStoreUInt(0, 3).                 // flags
		MustStoreUInt(0, 32).                // next_catchain_seqno
		MustStoreUInt(1<<63, 64).            // next_validator_shard
		MustStoreUInt(uint64(seqno), 32).    // min_ref_mc_seqno
		MustStoreUInt(uint64(info.now), 32). // gen_utime
		MustStoreUInt(0, 1).                 // split_merge_at: fsm_none$0
		MustStoreRef(currencies).
		EndCell()
	dict := cell.NewDict(32)
	if err := dict.Set(cell.BeginCell().MustStoreInt(0, 32).EndCell(), cell.BeginCell().MustStoreRef(descr).EndCell()); err != nil {
		return nil, err
	}
	return cell.BeginCell().MustStoreDict(dict).EndCell(), nil
}

// listBlockTransactions answers listBlockTransactions as the real
// lite-server walks the block's ShardAccountBlocks: by account, then by
// logical time (both descending with mode.6), strictly after the (account,
// lt) given with mode.7, at most min(count, 256) ids. incomplete is false
// only when the walk ran out of transactions before the page filled: a
// page that ends exactly on the block's last transaction says incomplete,
// and the next page is empty.
func (c *Chain) listBlockTransactions(id *ton.BlockIDExt, mode, count uint32, after *ton.TransactionID3) ([]blockTx, bool, []byte, tl.Serializable) {
	if mode&modeAfter != 0 && (after == nil || len(after.Account) != 32) {
		return nil, false, nil, ton.LSError{Code: codeNotInDB, Text: "invalid listBlockTransactions query"}
	}
	c.mu.Lock()
	seqno, bad := c.loadBlock(id)
	if bad != nil {
		c.mu.Unlock()
		return nil, false, nil, bad
	}
	txs := c.blockTxs(id.Workchain, seqno)
	var block *cell.Cell
	if mode&modeWantProof != 0 {
		block = c.blockCell(id.Workchain, seqno)
	}
	c.mu.Unlock()

	reverse := mode&modeReverse != 0
	from := blockTx{wc: id.Workchain}
	switch {
	case mode&modeAfter != 0:
		copy(from.acc[:], after.Account)
		from.lt = after.LT
	case reverse:
		for i := range from.acc {
			from.acc[i] = 0xff
		}
		from.lt = math.MaxUint64
	}
	limit := min(int64(int32(count)), maxBlockTxPerPage)
	var page []blockTx
	// The first transaction past `from` in the walk's direction.
	i, _ := slices.BinarySearchFunc(txs, from, compareBlockTx)
	if reverse {
		i-- // the last one before from
	} else if i < len(txs) && compareBlockTx(txs[i], from) == 0 {
		i++
	}
	for int64(len(page)) < limit && i >= 0 && i < len(txs) {
		page = append(page, txs[i])
		if reverse {
			i--
		} else {
			i++
		}
	}
	eof := int64(len(page)) < limit
	var proof []byte
	if mode&modeWantProof != 0 && block != nil {
		p, err := blockProof(block, visitTransactions(page))
		if err != nil {
			return nil, false, nil, ton.LSError{Code: codeNotInDB, Text: "cannot construct Merkle proof: " + err.Error()}
		}
		proof = p.ToBOCWithFlags(false)
	}
	return page, !eof, proof, nil
}

func (c *Chain) blockTransactions(r ton.ListBlockTransactions) tl.Serializable {
	page, incomplete, proof, bad := c.listBlockTransactions(r.ID, r.Mode, r.Count, r.After)
	if bad != nil {
		return bad
	}
	var proofCell *cell.Cell
	if proof != nil {
		proofCell, _ = cell.FromBOC(proof)
	}
	flags := r.Mode &^ modeMetadata // no message metadata is kept
	ids := make([]ton.TransactionID, len(page))
	for i, t := range page {
		ids[i] = ton.TransactionID{Flags: flags, Account: t.acc[:], LT: t.lt, Hash: t.hash}
	}
	return ton.BlockTransactions{ID: r.ID, ReqCount: int32(r.Count), Incomplete: incomplete, TransactionIds: ids, Proof: proofCell}
}

// blockTransactionsExt answers listBlockTransactionsExt: the same walk,
// the transactions themselves as one multi-root BOC.
func (c *Chain) blockTransactionsExt(r ton.ListBlockTransactionsExt) tl.Serializable {
	page, incomplete, proof, bad := c.listBlockTransactions(r.ID, r.Mode, r.Count, r.After)
	if bad != nil {
		return bad
	}
	roots := make([]*cell.Cell, 0, len(page))
	c.mu.Lock()
	for _, t := range page {
		acc := c.accounts[key(address.NewAddress(0, byte(t.wc), t.acc[:]))]
		roots = append(roots, acc.txs[acc.txIndex(t.lt)].cell)
	}
	c.mu.Unlock()
	if proof == nil {
		proof = []byte{}
	}
	return ton.BlockTransactionsExt{ID: r.ID, ReqCount: int32(r.Count), Incomplete: incomplete, Transactions: roots, Proof: proof}
}

// lookupBlock answers lookupBlock with the block's id and its header
// proof, found as the node's block index finds it: by seqno (mode.0), by
// logical time (mode.1: the first block whose end_lt reaches it) or by
// unix time (mode.2: the first block generated at or after it); code 651
// "ltdb: block not found" when none is held.
func (c *Chain) lookupBlock(r ton.LookupBlock) tl.Serializable {
	if (1<<(r.Mode&7))&0x16 == 0 {
		return ton.LSError{Code: codeNotInDB, Text: "exactly one of mode.0, mode.1 and mode.2 bits must be set"}
	}
	if r.ID == nil {
		return ton.LSError{Code: codeNotInDB, Text: "invalid lookupBlock query"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	notFound := ton.LSError{Code: codeNotReady, Text: "ltdb: block not found"}
	wc := r.ID.Workchain
	if (wc != -1 && wc != 0) || r.ID.Shard == 0 {
		return notFound
	}
	first, last := max(c.horizon(), 1), c.served(wc)
	if first > last {
		return notFound
	}
	var seqno uint32
	switch {
	case r.Mode&1 != 0:
		if r.ID.Seqno < 0 {
			return notFound
		}
		seqno = uint32(r.ID.Seqno)
	case r.Mode&2 != 0:
		seqno = first + uint32(sort.Search(int(last-first+1), func(i int) bool { return c.blocks[first+uint32(i)].lt >= r.LT }))
		if seqno == first && first > 1 && r.LT < c.blocks[first].startLT {
			return notFound // in a block no longer held
		}
	default:
		seqno = first + uint32(sort.Search(int(last-first+1), func(i int) bool { return c.blocks[first+uint32(i)].now >= r.UTime }))
		if seqno == first && first > 1 && r.UTime < c.blocks[first].now {
			return notFound
		}
	}
	if seqno < first || seqno > last {
		return notFound
	}
	proof, err := headerProof(c.blockCell(wc, seqno))
	if err != nil {
		return ton.LSError{Code: codeNotInDB, Text: "cannot construct header proof: " + err.Error()}
	}
	return ton.BlockHeader{ID: c.blockID(wc, seqno), Mode: r.Mode >> 4, HeaderProof: proof}
}

// block answers getBlock: the block's BOC.
func (c *Chain) block(r ton.GetBlockData) tl.Serializable {
	c.mu.Lock()
	defer c.mu.Unlock()
	seqno, bad := c.loadBlock(r.ID)
	if bad != nil {
		return bad
	}
	if seqno == 0 {
		return ton.LSError{Code: codeNotReady, Text: "cannot load block " + blockIDString(r.ID) + " : not in db"}
	}
	return ton.BlockData{ID: r.ID, Payload: c.blockCell(r.ID.Workchain, seqno).ToBOCWithFlags(false)}
}

// blockHeader answers getBlockHeader: a Merkle proof of the block's info.
func (c *Chain) blockHeader(r ton.GetBlockHeader) tl.Serializable {
	c.mu.Lock()
	defer c.mu.Unlock()
	seqno, bad := c.loadBlock(r.ID)
	if bad != nil {
		return bad
	}
	if seqno == 0 {
		return ton.LSError{Code: codeNotReady, Text: "cannot load block " + blockIDString(r.ID) + " : not in db"}
	}
	proof, err := headerProof(c.blockCell(r.ID.Workchain, seqno))
	if err != nil {
		return ton.LSError{Code: codeNotInDB, Text: "cannot construct header proof: " + err.Error()}
	}
	return ton.BlockHeader{ID: r.ID, Mode: r.Mode, HeaderProof: proof}
}

// oneTransaction answers getOneTransaction: the transaction of the account
// at lt in the block given, or an empty answer when the block holds none
// (the client reports ton.ErrNoTransactionsWereFound), with the block's
// proof.
func (c *Chain) oneTransaction(r ton.GetOneTransaction) tl.Serializable {
	if r.AccID == nil || len(r.AccID.ID) != 32 {
		return ton.LSError{Code: codeNotInDB, Text: "invalid getOneTransaction query"}
	}
	if r.ID == nil || r.ID.Workchain != r.AccID.Workchain {
		return ton.LSError{Code: codeNotInDB, Text: "requested account id is not contained in the shard of the specified block"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	seqno, bad := c.loadBlock(r.ID)
	if bad != nil {
		return bad
	}
	res := ton.TransactionInfo{ID: r.ID, Proof: []byte{}, Transaction: []byte{}}
	var found []blockTx
	if acc := c.accounts[key(addrOf(*r.AccID))]; acc != nil {
		if i := acc.txIndex(uint64(r.LT)); i >= 0 && acc.txs[i].seqno == seqno {
			res.Transaction = acc.txs[i].cell.ToBOCWithFlags(false)
			t := blockTx{wc: r.AccID.Workchain, lt: acc.txs[i].lt, hash: acc.txs[i].hash}
			copy(t.acc[:], r.AccID.ID)
			found = append(found, t)
		}
	}
	if block := c.blockCell(r.ID.Workchain, seqno); block != nil {
		proof, err := blockProof(block, visitTransactions(found))
		if err != nil {
			return ton.LSError{Code: codeNotInDB, Text: "cannot construct Merkle proof: " + err.Error()}
		}
		res.Proof = proof.ToBOCWithFlags(false)
	}
	return res
}

// ShardBlock returns the id of the basechain block made with masterchain
// block seqno, which that block names as the shard's tip (what
// getAllShardsInfo answers) unless HoldShardTips held it back.
// It is nil for a block not made yet.
func (c *Chain) ShardBlock(seqno uint32) *ton.BlockIDExt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seqno > c.seqno {
		return nil
	}
	return c.shardBlock(seqno)
}

// BlockTransactions returns the transactions of the basechain block that
// goes with masterchain block seqno, in the order listBlockTransactions
// gives them, with Hash set; nil for a block not produced or no longer kept.
func (c *Chain) BlockTransactions(seqno uint32) []*tlb.Transaction {
	c.mu.Lock()
	if seqno > c.seqno || seqno < c.horizon() {
		c.mu.Unlock()
		return nil
	}
	var cells []*cell.Cell
	for _, t := range c.blockTxs(0, seqno) {
		acc := c.accounts[key(address.NewAddress(0, byte(t.wc), t.acc[:]))]
		cells = append(cells, acc.txs[acc.txIndex(t.lt)].cell)
	}
	c.mu.Unlock()
	txs := make([]*tlb.Transaction, 0, len(cells))
	for _, cl := range cells {
		var tx tlb.Transaction
		if err := tlb.Parse(&tx, cl); err != nil {
			panic("tontest: own transaction does not parse: " + err.Error())
		}
		tx.Hash = cl.Hash()
		txs = append(txs, &tx)
	}
	return txs
}
