package tontest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	mrand "math/rand/v2"
	"slices"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// Building an augmented dictionary at once gives the very cells tonutils-go
// gives inserting the keys one by one (the shortest labels, the same
// extras), for the two dictionaries of a block.
func TestBuildAugDictMatchesSet(t *testing.T) {
	t.Parallel()
	// A value whose extra is its fees: ^Transaction for AccountTransactions,
	// so borrow real transactions from a chain.
	c, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var payments []Payment
	for i := 0; i < 300; i++ {
		payments = append(payments, Payment{To: randomAddrInternal(t), Nano: uint64(1_000_000 + i)})
	}
	seqno, _ := c.FundMany(payments)
	c.mu.Lock()
	txs := c.blocks[seqno].txs
	cells := make([]*cell.Cell, len(txs))
	for i, tx := range txs {
		cells[i] = c.txCell(tx)
	}
	c.mu.Unlock()

	for _, n := range []int{1, 2, 3, 7, 64, 300} {
		// AccountTransactions: keys are lts, some adjacent, some far apart.
		var leaves []augLeaf
		set, err := tlb.NewAccountTransactionsAugDict()
		if err != nil {
			t.Fatal(err)
		}
		lt := uint64(1_000_000)
		for i := 0; i < n; i++ {
			lt += 1 + uint64(mrand.IntN(3))*uint64(mrand.IntN(1000))
			v := cell.BeginCell().MustStoreRef(cells[i]).EndCell()
			leaves = append(leaves, augLeaf{key: binary.BigEndian.AppendUint64(nil, lt), value: v})
			if err := set.Set(cell.BeginCell().MustStoreUInt(lt, 64).EndCell(), v); err != nil {
				t.Fatal(err)
			}
		}
		got, _, err := buildAugDict(leaves, 64, tlb.AugAccountTransactions{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := set.InlineCell()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Hash(), want.Hash()) {
			t.Errorf("%d transactions: built %x, inserted %x", n, got.Hash(), want.Hash())
		}

		// ShardAccountBlocks through shardAccountBlocks against Set.
		c.mu.Lock()
		sub := slices.Clone(txs[:n])
		built, err := c.shardAccountBlocks(sub)
		c.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := tlb.NewShardAccountBlocksAugDict()
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range sub {
			one := []augLeaf{{key: binary.BigEndian.AppendUint64(nil, tx.lt), value: cell.BeginCell().MustStoreRef(cells[slices.IndexFunc(txs, func(x blockTx) bool { return x.lt == tx.lt && x.acc == tx.acc })]).EndCell()}}
			inline, _, err := buildAugDict(one, 64, tlb.AugAccountTransactions{})
			if err != nil {
				t.Fatal(err)
			}
			txc := cells[slices.IndexFunc(txs, func(x blockTx) bool { return x.lt == tx.lt && x.acc == tx.acc })]
			u := txc.MustPeekRef(1)
			block := cell.BeginCell().MustStoreUInt(5, 4).MustStoreSlice(tx.acc[:], 256).
				MustStoreBuilder(inline.ToBuilder()).MustStoreRef(u).EndCell()
			if err := blocks.Set(cell.BeginCell().MustStoreSlice(tx.acc[:], 256).EndCell(), block); err != nil {
				t.Fatal(err)
			}
		}
		wantBlocks, err := blocks.ToCell()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(built.Hash(), wantBlocks.Hash()) {
			t.Errorf("%d accounts: built %x, inserted %x", n, built.Hash(), wantBlocks.Hash())
		}
	}
}

func randomAddrInternal(t *testing.T) *address.Address {
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	return address.NewAddress(0, 0, id)
}
