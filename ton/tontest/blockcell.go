package tontest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// Every block the chain makes is a real Block cell (block.tlb), and its id
// is that cell's hash (root_hash) and the hash of its BOC (file_hash), so
// getBlock, getBlockHeader and the header proofs check out on the client:
//   - info: the real BlockInfo (seqno, shard, gen_utime, start/end lt, the
//     previous block, and for a basechain block the masterchain block
//     before it as master_ref);
//   - extra.account_blocks: the real ShardAccountBlocks, every transaction
//     of the block under its account, with the account's HASH_UPDATE;
//   - extra.custom of a masterchain block: McBlockExtra with the
//     ShardHashes getAllShardsInfo answers;
//   - what is not modelled is empty or zero but well-formed, and shared by
//     every block: value_flow (zero amounts), in_msg_descr and
//     out_msg_descr (empty), state_update (a Merkle update between two
//     placeholder cells, not the states).

// zeroCurrencies is a CurrencyCollection of nothing: Grams 0, no extra.
func zeroCurrencies() *cell.Builder { return cell.BeginCell().MustStoreCoins(0).MustStoreDict(nil) }

// The parts every block shares (what is not modelled), made once.
var blockParts = sync.OnceValue(func() (p struct {
	valueFlow, update, inMsgs, outMsgs, noAccounts, shardFees, mcDetails *cell.Cell
}) {
	four := cell.BeginCell()
	for i := 0; i < 4; i++ {
		four.MustStoreBuilder(zeroCurrencies())
	}
	fourCell := four.EndCell()
	// value_flow#b8e48dfb of zero amounts
	p.valueFlow = cell.BeginCell().MustStoreUInt(0xb8e48dfb, 32).MustStoreRef(fourCell).
		MustStoreBuilder(zeroCurrencies()).MustStoreRef(fourCell).EndCell()
	var err error
	if p.update, err = cell.CreateMerkleUpdate(cell.BeginCell().MustStoreUInt(0, 1).EndCell(),
		cell.BeginCell().MustStoreUInt(1, 1).EndCell()); err != nil {
		panic("tontest: state update: " + err.Error())
	}
	must := func(c *cell.Cell, err error) *cell.Cell {
		if err != nil {
			panic("tontest: empty block part: " + err.Error())
		}
		return c
	}
	in, err := tlb.NewInMsgDescrAugDict()
	p.inMsgs = must(in.ToCell())
	out, err := tlb.NewOutMsgDescrAugDict()
	p.outMsgs = must(out.ToCell())
	accounts, err := tlb.NewShardAccountBlocksAugDict()
	p.noAccounts = must(accounts.ToCell())
	fees, err := tlb.NewShardFeesAugDict()
	p.shardFees = must(fees.ToCell())
	_ = err
	// prev_blk_signatures recover_create_msg mint_msg: none
	p.mcDetails = cell.BeginCell().MustStoreDict(nil).MustStoreMaybeRef(nil).MustStoreMaybeRef(nil).EndCell()
	return p
})

// shardAccountBlocks is the ShardAccountBlocks of a block's transactions
// (sorted by account, then lt), as a cell holding the HashmapAugE. c.mu held.
func (c *Chain) shardAccountBlocks(txs []blockTx) (*cell.Cell, error) {
	if len(txs) == 0 {
		return blockParts().noAccounts, nil
	}
	var accounts []augLeaf
	for i := 0; i < len(txs); {
		j := i
		for j < len(txs) && txs[j].acc == txs[i].acc {
			j++
		}
		trans := make([]augLeaf, 0, j-i)
		var first, last *cell.Cell
		for _, t := range txs[i:j] {
			txCell := c.txCell(t)
			if first == nil {
				first = txCell
			}
			last = txCell
			trans = append(trans, augLeaf{key: binary.BigEndian.AppendUint64(nil, t.lt), value: cell.BeginCell().MustStoreRef(txCell).EndCell()})
		}
		inline, _, err := buildAugDict(trans, 64, tlb.AugAccountTransactions{})
		if err != nil {
			return nil, fmt.Errorf("account transactions: %w", err)
		}
		// The account's HASH_UPDATE: from before its first transaction to
		// after its last, read from the transactions' own (ref 1).
		fu, lu := first.MustPeekRef(1).MustBeginParse(), last.MustPeekRef(1).MustBeginParse()
		fu.MustLoadUInt(8)
		lu.MustLoadUInt(8)
		lu.MustLoadSlice(256)
		update := cell.BeginCell().MustStoreUInt(0x72, 8).MustStoreSlice(fu.MustLoadSlice(256), 256).
			MustStoreSlice(lu.MustLoadSlice(256), 256).EndCell()
		block := cell.BeginCell().MustStoreUInt(5, 4).MustStoreSlice(txs[i].acc[:], 256).
			MustStoreBuilder(inline.ToBuilder()).MustStoreRef(update).EndCell()
		accounts = append(accounts, augLeaf{key: txs[i].acc[:], value: block})
		i = j
	}
	root, extra, err := buildAugDict(accounts, 256, tlb.AugShardAccountBlocks{})
	if err != nil {
		return nil, fmt.Errorf("shard account blocks: %w", err)
	}
	// ahme_root$1 root:^(HashmapAug 256 AccountBlock CurrencyCollection) extra:CurrencyCollection
	return cell.BeginCell().MustStoreUInt(1, 1).MustStoreRef(root).MustStoreBuilder(extra.ToBuilder()).EndCell(), nil
}

// txCell is the cell of a transaction a block lists. c.mu held.
func (c *Chain) txCell(t blockTx) *cell.Cell {
	acc := c.accounts[key(address.NewAddress(0, byte(t.wc), t.acc[:]))]
	return acc.txs[acc.txIndex(t.lt)].cell
}

// shardAll is the shard id of a whole workchain (0x8000000000000000).
const shardAll = math.MinInt64

// cellWindow is how many recent blocks keep their cells at hand.
const cellWindow = 64

// sealBlocks makes the Block cells of masterchain block c.seqno and of the
// basechain block that goes with it, records their ids and forgets the
// cells of the blocks that left the window; c.mu held, c.blocks[c.seqno]
// appended with its transactions.
func (c *Chain) sealBlocks() {
	b := &c.blocks[c.seqno]
	b.shardCell, b.masterCell = c.makeBlocks(c.seqno)
	b.master = hashesOf(blockIDOf(-1, c.seqno, b.masterCell))
	for c.cellsFrom+cellWindow <= c.seqno {
		c.blocks[c.cellsFrom].shardCell, c.blocks[c.cellsFrom].masterCell = nil, nil
		c.cellsFrom++
	}
}

// makeBlocks makes the Block cells of the basechain block and of the
// masterchain block of seqno from what the chain keeps of them (again,
// the same, for a block whose cells were forgotten). c.mu held.
func (c *Chain) makeBlocks(seqno uint32) (shard, master *cell.Cell) {
	b := &c.blocks[seqno]
	prevMaster, prevShard := c.masterBlock(seqno-1), c.shardBlock(seqno-1)
	var err error
	if shard, err = c.makeBlock(0, seqno, b, prevShard, prevMaster, nil); err != nil {
		panic("tontest: make basechain block: " + err.Error())
	}
	if b.shard == (blockHashes{}) { // a new block: its id is not recorded yet
		b.shard = hashesOf(blockIDOf(0, seqno, shard))
	}
	shards, err := c.shardHashes(b.tip)
	if err != nil {
		panic("tontest: shard hashes: " + err.Error())
	}
	custom, err := mcBlockExtra(shards)
	if err != nil {
		panic("tontest: masterchain block extra: " + err.Error())
	}
	if master, err = c.makeBlock(-1, seqno, b, prevMaster, nil, custom); err != nil {
		panic("tontest: make masterchain block: " + err.Error())
	}
	return shard, master
}

// blockIDOf is the id of Block cell root: its hash and its BOC's.
func blockIDOf(wc int32, seqno uint32, root *cell.Cell) *ton.BlockIDExt {
	file := sha256.Sum256(root.ToBOCWithFlags(false))
	return &ton.BlockIDExt{Workchain: wc, Shard: shardAll, SeqNo: seqno, RootHash: root.Hash(), FileHash: file[:]}
}

// blockCell is the Block cell of workchain wc at seqno, made again if it
// left the window (seqno within the horizon). c.mu held.
func (c *Chain) blockCell(wc int32, seqno uint32) *cell.Cell {
	if seqno == 0 {
		return nil // the zero state is not a block
	}
	b := &c.blocks[seqno]
	shard, master := b.shardCell, b.masterCell
	if master == nil && c.remade.seqno == seqno && c.remade.master != nil {
		shard, master = c.remade.shard, c.remade.master
	}
	if master == nil {
		shard, master = c.makeBlocks(seqno)
		if hashesOf(blockIDOf(0, seqno, shard)) != b.shard || hashesOf(blockIDOf(-1, seqno, master)) != b.master {
			panic(fmt.Sprintf("tontest: block %d made again differs", seqno))
		}
		c.remade.seqno, c.remade.shard, c.remade.master = seqno, shard, master
	}
	if wc == -1 {
		return master
	}
	return shard
}

// extBlkRef is an ExtBlkRef of the block id with end lt endLT.
func extBlkRef(id *ton.BlockIDExt, endLT uint64) *cell.Builder {
	return cell.BeginCell().MustStoreUInt(endLT, 64).MustStoreUInt(uint64(id.SeqNo), 32).
		MustStoreSlice(id.RootHash, 256).MustStoreSlice(id.FileHash, 256)
}

// makeBlock builds the Block of workchain wc made by masterchain block
// seqno (info, its transactions), after block prev; master is the
// masterchain block a basechain block refers to, custom a masterchain
// block's McBlockExtra. c.mu held.
func (c *Chain) makeBlock(wc int32, seqno uint32, info *blockInfo, prev, master *ton.BlockIDExt, custom *cell.Cell) (*cell.Cell, error) {
	txs := c.blockTxs(wc, seqno)
	// block_info#9bc7a987
	h := cell.BeginCell().MustStoreUInt(0x9bc7a987, 32).
		MustStoreUInt(0, 32).                             // version
		MustStoreBoolBit(wc != -1).                       // not_master
		MustStoreUInt(0, 7).                              // after_merge before_split after_split want_split want_merge key_block vert_seqno_incr
		MustStoreUInt(0, 8).                              // flags
		MustStoreUInt(uint64(seqno), 32).                 // seq_no
		MustStoreUInt(0, 32).                             // vert_seq_no
		MustStoreUInt(0, 2).MustStoreUInt(0, 6).          // shard: shard_ident$00 shard_pfx_bits
		MustStoreInt(int64(wc), 32).MustStoreUInt(0, 64). // workchain_id shard_prefix
		MustStoreUInt(uint64(info.now), 32).              // gen_utime
		MustStoreUInt(info.startLT, 64).                  // start_lt
		MustStoreUInt(info.lt, 64).                       // end_lt
		MustStoreUInt(0, 32).                             // gen_validator_list_hash_short
		MustStoreUInt(0, 32).                             // gen_catchain_seqno
		MustStoreUInt(uint64(max(seqno, 1)-1), 32).       // min_ref_mc_seqno
		MustStoreUInt(0, 32)                              // prev_key_block_seqno
	if wc != -1 {
		h.MustStoreRef(extBlkRef(master, c.blocks[master.SeqNo].lt).EndCell()) // master_ref
	}
	h.MustStoreRef(extBlkRef(prev, c.blocks[prev.SeqNo].lt).EndCell()) // prev_ref: prev_blk_info$_
	blockInfoCell := h.EndCell()

	accounts, err := c.shardAccountBlocks(txs)
	if err != nil {
		return nil, err
	}
	parts := blockParts()
	seed := sha256.Sum256(binary.BigEndian.AppendUint32(append(c.id[:], byte(wc)), seqno))
	// block_extra#4a33f6fd
	extra := cell.BeginCell().MustStoreUInt(0x4a33f6fd, 32).MustStoreRef(parts.inMsgs).MustStoreRef(parts.outMsgs).
		MustStoreRef(accounts).MustStoreSlice(seed[:], 256).MustStoreSlice(make([]byte, 32), 256).
		MustStoreMaybeRef(custom).EndCell()

	// block#11ef55aa
	root := cell.BeginCell().MustStoreUInt(0x11ef55aa, 32).MustStoreInt(int64(c.opts.GlobalID), 32).
		MustStoreRef(blockInfoCell).MustStoreRef(parts.valueFlow).MustStoreRef(parts.update).MustStoreRef(extra).EndCell()
	return root, nil
}

// mcBlockExtra is the McBlockExtra of a masterchain block whose ShardHashes
// are shards (masterchain_block_extra#cca5).
func mcBlockExtra(shards *cell.Cell) (*cell.Cell, error) {
	parts := blockParts()
	return cell.BeginCell().MustStoreUInt(0xcca5, 16).MustStoreBoolBit(false). // key_block
											MustStoreBuilder(shards.ToBuilder()).MustStoreBuilder(parts.shardFees.ToBuilder()).
											MustStoreRef(parts.mcDetails).EndCell(), nil
}

// headerProof is a Merkle proof of block's header (its info), what
// getBlockHeader and lookupBlock send.
func headerProof(block *cell.Cell) ([]byte, error) {
	sk := cell.CreateProofSkeleton()
	sk.ProofRef(0).SetRecursive()
	p, err := block.CreateProof(sk)
	if err != nil {
		return nil, err
	}
	return p.ToBOCWithFlags(false), nil
}

// blockProof is a Merkle proof of block as the real lite-server makes
// it: only the cells the query visits. visit walks the block as parsed
// from the traced root, as the client's own check does (so the client
// finds everything it reads); nil visits the header and extra only.
func blockProof(block *cell.Cell, visit func(*tlb.Block) error) (*cell.Cell, error) {
	pb := cell.NewMerkleProofBuilder(block)
	var blk tlb.Block
	if err := tlb.LoadFromCellAsProof(&blk, pb.Root().MustBeginParse(), false); err != nil {
		return nil, err
	}
	if visit != nil {
		if err := visit(&blk); err != nil {
			return nil, err
		}
	}
	return pb.CreateProof()
}

// visitTransactions visits the paths of transactions txs in a block's
// ShardAccountBlocks, as ton.CheckTransactionProof walks them.
func visitTransactions(txs []blockTx) func(*tlb.Block) error {
	return func(blk *tlb.Block) error {
		var accounts tlb.ShardAccountBlocks
		s, err := blk.Extra.ShardAccountBlocks.BeginParse()
		if err != nil {
			return err
		}
		if err := tlb.LoadFromCellAsProof(&accounts, s); err != nil {
			return err
		}
		for _, t := range txs {
			if err := ton.CheckTransactionProof(t.hash, t.lt, t.acc[:], &accounts); err != nil {
				return err
			}
		}
		return nil
	}
}
