package tontest

import (
	"sort"

	"github.com/xssnick/tonutils-go/address"

	"github.com/xssnick/tonutils-go/tvm/cell"
)

// snapshot is an account as it stood at the end of a block: what
// getAccountState and runSmcMethod answer for that block and the ones after
// it, until the account changes again.
type snapshot struct {
	seqno      uint32
	state      *cell.Cell // the Account cell; nil for account_none
	balance    uint64
	lastLT     uint64
	lastHash   []byte
	code, data *cell.Cell // nil without code
}

// snapshot records acc as part of the head block (c.seqno). Mine calls it
// for the accounts its transactions touched; the setup helpers that change
// an account outside a transaction (NewWallet, NewJetton, Lock) call it so
// that the head block shows the change at once.
func (c *Chain) snapshot(acc *account) {
	s := snapshot{seqno: c.seqno, balance: acc.balance, lastLT: acc.lastLT, lastHash: acc.lastHash, state: acc.vmState()}
	s.code, s.data = acc.vmCodeData()
	if n := len(acc.history); n > 0 && acc.history[n-1].seqno == c.seqno {
		acc.history[n-1] = s
		return
	}
	acc.history = append(acc.history, s)
	// Keep what queries at the last KeepBlocks blocks need: the snapshots
	// inside that window and the one before it (the state at its start).
	if horizon := c.horizon(); len(acc.history) > 1 && acc.history[1].seqno <= horizon {
		i := sort.Search(len(acc.history), func(i int) bool { return acc.history[i].seqno > horizon })
		acc.history = append(acc.history[:0:0], acc.history[i-1:]...)
	}
}

// horizon is the oldest block whose state queries are answered: older
// ones get ton.LSError code -400, as from a node that pruned its states.
func (c *Chain) horizon() uint32 {
	if c.seqno <= c.opts.KeepBlocks {
		return 0
	}
	return c.seqno - c.opts.KeepBlocks
}

// at returns the account as of block seqno: its latest snapshot at or
// before it; nil when it did not exist yet.
func (a *account) at(seqno uint32) *snapshot {
	i := sort.Search(len(a.history), func(i int) bool { return a.history[i].seqno > seqno })
	if i == 0 {
		return nil
	}
	return &a.history[i-1]
}

// Snapshots returns how many per-block states of addr the chain keeps.
func (c *Chain) Snapshots(addr *address.Address) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if acc := c.accounts[key(addr)]; acc != nil {
		return len(acc.history)
	}
	return 0
}
