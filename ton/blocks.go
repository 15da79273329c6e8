package ton

// Reading blocks: which shard blocks came since the last block the follower
// finished, and which of their transactions are on our accounts. The cost of
// an idle block is the shard tips (one query) and each new shard block's
// transaction list (one query each), however many accounts we watch.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	tonapi "github.com/xssnick/tonutils-go/ton"
)

// listPage is how many transaction ids one listBlockTransactions asks for.
const listPage = 256

// maxWalk bounds the shard blocks one pass reads: a follower far behind
// catches up in several passes, each booked and reconciled.
const maxWalk = 64

// newShardBlocks returns the shard blocks after tips up to the shard tips of
// master, oldest first, and the new tips. A shard that kept its id is walked
// by seqno (lookupBlock); one that split or merged, by its blocks' parents.
func (f *Follower) newShardBlocks(ctx context.Context, master *tonapi.BlockIDExt, tips []*tonapi.BlockIDExt) (blocks, newTips []*tonapi.BlockIDExt, err error) {
	newTips, err = f.api.WaitForBlock(master.SeqNo).GetBlockShardsInfo(ctx, master)
	if err != nil {
		return nil, nil, fmt.Errorf("shards of block %d: %w", master.SeqNo, err)
	}
	seen := func(id *tonapi.BlockIDExt) bool {
		for _, t := range tips {
			if t.Workchain == id.Workchain && shardsOverlap(t.Shard, id.Shard) && id.SeqNo <= t.SeqNo {
				return true
			}
		}
		return false
	}
	for _, tip := range newTips {
		if tip.Workchain != 0 {
			continue // our accounts live in the basechain
		}
		var chain []*tonapi.BlockIDExt
		var same *tonapi.BlockIDExt
		for _, t := range tips {
			if t.Workchain == tip.Workchain && t.Shard == tip.Shard {
				same = t
			}
		}
		switch {
		case same != nil:
			if tip.SeqNo <= same.SeqNo {
				continue
			}
			if tip.SeqNo-same.SeqNo > maxWalk*4 {
				return nil, nil, fmt.Errorf("%w: shard %x is %d blocks past the follower", errFarBehind, uint64(tip.Shard), tip.SeqNo-same.SeqNo)
			}
			chain = append(chain, tip)
			for s := tip.SeqNo - 1; s > same.SeqNo; s-- {
				id, err := f.api.LookupBlock(ctx, tip.Workchain, tip.Shard, s)
				if err != nil {
					return nil, nil, fmt.Errorf("shard block %d: %w", s, err)
				}
				chain = append(chain, id)
			}
		default:
			// A split or a merge since the tips we know: walk back by the
			// blocks' own parent links.
			stack := []*tonapi.BlockIDExt{tip}
			for len(stack) > 0 && len(chain) <= maxWalk*4 {
				id := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if seen(id) || contains(chain, id) {
					continue
				}
				chain = append(chain, id)
				blk, err := f.api.GetBlockData(ctx, id)
				if err != nil {
					return nil, nil, fmt.Errorf("shard block %d: %w", id.SeqNo, err)
				}
				parents, err := tonapi.GetParentBlocks(&blk.BlockInfo)
				if err != nil {
					return nil, nil, fmt.Errorf("parents of shard block %d: %w", id.SeqNo, err)
				}
				stack = append(stack, parents...)
			}
			for _, id := range stack {
				if !seen(id) && !contains(chain, id) {
					// The walk stopped before it reached the blocks we
					// know: the blocks left out may hold transactions of
					// ours that no later block would make us read.
					return nil, nil, fmt.Errorf("%w: shard %x split or merged more than %d blocks ago", errFarBehind, uint64(tip.Shard), maxWalk*4)
				}
			}
		}
		for i := len(chain) - 1; i >= 0; i-- {
			blocks = append(blocks, chain[i])
		}
	}
	return blocks, newTips, nil
}

var errFarBehind = errors.New("the follower is too far behind to walk the blocks")

func contains(ids []*tonapi.BlockIDExt, id *tonapi.BlockIDExt) bool {
	for _, x := range ids {
		if x.Workchain == id.Workchain && x.Shard == id.Shard && x.SeqNo == id.SeqNo {
			return true
		}
	}
	return false
}

// shardsOverlap reports whether two shard prefixes (the tl-b shard id: the
// prefix bits followed by a 1 bit) cover a common account.
func shardsOverlap(a, b int64) bool {
	ua, ub := uint64(a), uint64(b)
	la, lb := ua&-ua, ub&-ub // the lowest set bit marks the prefix's end
	m := max(la, lb)
	mask := ^(m<<1 - 1)
	return ua&mask == ub&mask
}

// lastTx is the newest transaction of a watched account in the blocks read.
type lastTx struct {
	w    watch
	lt   uint64
	hash []byte
}

// ourTransactions lists the transactions of each shard block and keeps, for
// each of our accounts, the newest one.
func (f *Follower) ourTransactions(ctx context.Context, blocks []*tonapi.BlockIDExt) (map[string]lastTx, error) {
	f.mu.Lock()
	byRaw := f.byRaw
	f.mu.Unlock()
	out := map[string]lastTx{}
	for _, b := range blocks {
		var after *tonapi.TransactionID3
		for {
			ids, more, err := f.api.GetBlockTransactionsV2(ctx, b, listPage, after)
			if err != nil {
				return nil, fmt.Errorf("transactions of block %d:%x:%d: %w", b.Workchain, uint64(b.Shard), b.SeqNo, err)
			}
			for _, id := range ids {
				raw := strconv.Itoa(int(b.Workchain)) + ":" + hex.EncodeToString(id.Account)
				w, ours := byRaw[raw]
				if !ours {
					continue
				}
				if l, seen := out[raw]; !seen || id.LT > l.lt {
					out[raw] = lastTx{w: w, lt: id.LT, hash: id.Hash}
				}
			}
			if !more || len(ids) == 0 {
				break
			}
			last := ids[len(ids)-1]
			after = &tonapi.TransactionID3{Account: last.Account, LT: last.LT}
		}
		if err := f.fail("block"); err != nil {
			return nil, err
		}
	}
	return out, nil
}
