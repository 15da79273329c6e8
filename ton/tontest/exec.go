package tontest

import (
	"fmt"
	"sort"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// account is the chain's record of one address: its state as the TVM keeps
// it, its transactions and its per-block snapshots.
type account struct {
	addr        *address.Address
	balance     uint64
	lastLT      uint64
	lastHash    []byte
	txs         []txRecord // oldest first
	prunedBelow uint64
	history     []snapshot // by block, oldest first

	// The account as the TVM takes it and its storage statistics (nil:
	// account_none).
	vm   *tvm.PreparedAccount
	stat *cell.Cell
}

type txRecord struct {
	lt            uint64
	hash          []byte
	cell          *cell.Cell
	seqno         uint32 // block that holds it
	before, after uint64 // balance around it
}

func key(a *address.Address) string { return fmt.Sprintf("%d:%x", a.Workchain(), a.Data()) }

// account returns the record of addr, creating an empty one.
func (c *Chain) account(addr *address.Address) *account {
	k := key(addr)
	acc := c.accounts[k]
	if acc == nil {
		acc = &account{addr: address.NewAddress(0, byte(addr.Workchain()), addr.Data())}
		c.accounts[k] = acc
	}
	return acc
}

func (a *account) txIndex(lt uint64) int {
	i := sort.Search(len(a.txs), func(i int) bool { return a.txs[i].lt >= lt })
	if i < len(a.txs) && a.txs[i].lt == lt {
		return i
	}
	return -1
}

// runExternal executes an external message in a transaction, unless the
// contract no longer accepts it at the block's time (then it leaves no
// trace, as on a real chain).
func (c *Chain) runExternal(msg *tlb.ExternalMessage, root *cell.Cell) {
	c.vmRun(msg.DstAddr, root, true)
}

// runInternal delivers an internal message in a transaction on its
// destination.
func (c *Chain) runInternal(msg *tlb.InternalMessage) {
	c.vmInternal(msg)
}
