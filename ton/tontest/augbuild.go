package tontest

import (
	"bytes"
	"fmt"
	"math/bits"

	"github.com/xssnick/tonutils-go/tvm/cell"
)

// augLeaf is one entry of an augmented dictionary built at once.
type augLeaf struct {
	key   []byte     // keyBits bits, big-endian
	value *cell.Cell // the value, stored inline in its leaf
}

// buildAugDict builds the root node of a HashmapAug keyBits X Y over leaves
// sorted by key (distinct), in one pass: each node made once, where
// inserting the keys one by one remakes every node on the path each time.
// Labels take the shortest form, as tonutils-go and the node write them,
// so the cells are the same as inserting one by one would give. It
// returns the root and its extra.
func buildAugDict(leaves []augLeaf, keyBits uint, aug cell.Augmentation) (*cell.Cell, *cell.Cell, error) {
	if len(leaves) == 0 {
		return nil, nil, fmt.Errorf("empty augmented dictionary has no root")
	}
	if !sortedKeys(leaves) {
		return nil, nil, fmt.Errorf("augmented dictionary: keys not sorted or not distinct")
	}
	return buildAugNode(leaves, keyBits, 0, aug)
}

func keyBit(key []byte, i uint) uint64 { return uint64(key[i/8]>>(7-i%8)) & 1 }

func buildAugNode(leaves []augLeaf, keyBits, offset uint, aug cell.Augmentation) (*cell.Cell, *cell.Cell, error) {
	remaining := keyBits - offset
	if len(leaves) == 1 {
		extra, err := aug.LeafExtra(leaves[0].value.MustBeginParse())
		if err != nil {
			return nil, nil, err
		}
		b := cell.BeginCell()
		storeLabel(b, leaves[0].key, offset, remaining, remaining)
		b.MustStoreBuilder(extra.ToBuilder()).MustStoreBuilder(leaves[0].value.ToBuilder())
		return b.EndCell(), extra, nil
	}
	first, last := leaves[0].key, leaves[len(leaves)-1].key
	common := uint(0)
	for offset+common < keyBits && keyBit(first, offset+common) == keyBit(last, offset+common) {
		common++
	}
	if offset+common == keyBits {
		return nil, nil, fmt.Errorf("augmented dictionary: duplicate key")
	}
	split := offset + common
	i := 0
	for i < len(leaves) && keyBit(leaves[i].key, split) == 0 {
		i++
	}
	left, leftExtra, err := buildAugNode(leaves[:i], keyBits, split+1, aug)
	if err != nil {
		return nil, nil, err
	}
	right, rightExtra, err := buildAugNode(leaves[i:], keyBits, split+1, aug)
	if err != nil {
		return nil, nil, err
	}
	extra, err := aug.CombineExtra(leftExtra.MustBeginParse(), rightExtra.MustBeginParse())
	if err != nil {
		return nil, nil, err
	}
	b := cell.BeginCell()
	storeLabel(b, first, offset, common, remaining)
	b.MustStoreRef(left).MustStoreRef(right).MustStoreBuilder(extra.ToBuilder())
	return b.EndCell(), extra, nil
}

// storeLabel writes the n key bits from offset as a HmLabel of a node with
// maxLen key bits left, in its shortest form (hml_same when all bits are
// equal and that is shorter, else hml_short when not longer than hml_long).
func storeLabel(b *cell.Builder, key []byte, offset, n, maxLen uint) {
	if n == 0 {
		b.MustStoreUInt(0, 2)
		return
	}
	lenBits := uint(bits.Len(maxLen))
	long, short, same := 2+lenBits+n, 2+2*n, 3+lenBits
	if same < long && same < short {
		bit := keyBit(key, offset)
		all := true
		for i := uint(1); i < n && all; i++ {
			all = keyBit(key, offset+i) == bit
		}
		if all {
			b.MustStoreUInt(0b11, 2).MustStoreUInt(bit, 1).MustStoreUInt(uint64(n), lenBits)
			return
		}
	}
	if short <= long {
		b.MustStoreUInt(0, 1)
		for i := uint(0); i < n; i++ {
			b.MustStoreUInt(1, 1)
		}
		b.MustStoreUInt(0, 1)
	} else {
		b.MustStoreUInt(0b10, 2).MustStoreUInt(uint64(n), lenBits)
	}
	for i := uint(0); i < n; i++ {
		b.MustStoreUInt(keyBit(key, offset+i), 1)
	}
}

// sortedKeys reports whether leaves are sorted by key, strictly.
func sortedKeys(leaves []augLeaf) bool {
	for i := 1; i < len(leaves); i++ {
		if bytes.Compare(leaves[i-1].key, leaves[i].key) >= 0 {
			return false
		}
	}
	return true
}
