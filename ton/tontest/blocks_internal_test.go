package tontest

import (
	"context"
	"testing"

	"github.com/xssnick/tonutils-go/address"
)

// A block's transaction list is dropped once the block falls behind the
// horizon, so memory stays bounded however long the chain runs.
func TestBlockListsBounded(t *testing.T) {
	t.Parallel()
	c, err := Start(context.Background(), Options{KeepBlocks: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var funded []uint32
	for i := 0; i < 6; i++ {
		id := make([]byte, 32)
		id[0], id[31] = byte(i), 1
		first, _ := c.FundMany([]Payment{{To: address.NewAddress(0, 0, id), Nano: 1_000_000_000}})
		funded = append(funded, first)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.horizon()
	for _, seqno := range funded {
		n := len(c.blocks[seqno].txs)
		switch {
		case seqno < h && n != 0:
			t.Errorf("block %d behind the horizon %d keeps %d transactions", seqno, h, n)
		case seqno >= h && n != 1:
			t.Errorf("block %d within the horizon %d lists %d transactions, want 1", seqno, h, n)
		}
	}
	if len(c.making) != 0 {
		t.Errorf("%d transactions left for no block", len(c.making))
	}
}

// Only the last cellWindow blocks keep their cells; an older block within
// the horizon is made again, identical (blockCell checks its hashes).
func TestBlockCellsWindow(t *testing.T) {
	t.Parallel()
	c, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := make([]byte, 32)
	id[0] = 7
	funded, _ := c.FundMany([]Payment{{To: address.NewAddress(0, 0, id), Nano: 1_000_000_000}})
	for i := 0; i < cellWindow+5; i++ {
		c.Mine()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for seqno := uint32(1); seqno <= c.seqno; seqno++ {
		kept := c.blocks[seqno].masterCell != nil
		if want := seqno+cellWindow > c.seqno; kept != want {
			t.Errorf("block %d keeps its cells: %v, want %v", seqno, kept, want)
		}
	}
	if got := c.blockCell(0, funded); got == nil || string(got.Hash()) != string(c.shardBlock(funded).RootHash) {
		t.Errorf("block %d made again is not the block", funded)
	}
}
