package ton

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// Highload Wallet v3 constants.
const (
	// MaxBatch is the most messages one external carries: one action list
	// of the internal_transfer (the contract's limit is 254 with its own).
	MaxBatch = 253
	// opHighloadInternalTransfer is the op of the message a Highload v3
	// wallet sends itself to fan a batch out.
	opHighloadInternalTransfer = 0xae42e5a4
	// fanOutTON is the value of that internal_transfer: its gas. It comes
	// straight back to the wallet (booked in transit between the two
	// transactions, never as money arriving).
	fanOutTON = 10_000_000
	// sendMode: pay forwarding fees apart from the value, and skip (not
	// fail) a message that cannot be sent: the payer sees it skipped.
	sendMode = wallet.PayGasSeparately + wallet.IgnoreErrors
)

// signer signs Highload v3 externals with query ids the store reserved.
type signer struct {
	w   *wallet.Wallet
	hot *address.Address
}

// reservation is the query id and created_at the store reserved for the
// message being signed; it travels in the context to the wallet's
// MessageBuilder, so nothing else can hand out a query id.
type reservation struct {
	queryID   uint32
	createdAt int64
}

type reservationKey struct{}

func reservedQuery(ctx context.Context, _ uint32) (uint32, int64, error) {
	r, ok := ctx.Value(reservationKey{}).(reservation)
	if !ok {
		return 0, 0, errors.New("ton: hot wallet messages are built only with a query id reserved in the store")
	}
	return r.queryID, r.createdAt, nil
}

// sign builds the external message of a batch: its BOC and normalized hash.
// One message goes straight out of the external's transaction; more go in an
// internal_transfer the wallet sends itself and executes in its next
// transaction. The internal_transfer is built here rather than by
// tonutils-go (which attaches the messages' total plus gas): the wallet pays
// the messages from its balance either way.
func (s signer) sign(ctx context.Context, qid uint32, createdAt int64, msgs []*wallet.Message, withInit bool) ([]byte, string, error) {
	msg := msgs[0]
	if len(msgs) > 1 {
		list := cell.BeginCell().EndCell()
		for _, m := range msgs {
			mc, err := tlb.ToCell(m.InternalMessage)
			if err != nil {
				return nil, "", err
			}
			list = cell.BeginCell().MustStoreRef(list).MustStoreUInt(0x0ec3c86d, 32).MustStoreUInt(uint64(m.Mode), 8).MustStoreRef(mc).EndCell()
		}
		msg = &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: false, DstAddr: s.hot, Amount: tlb.FromNanoTONU(fanOutTON),
			Body: cell.BeginCell().MustStoreUInt(opHighloadInternalTransfer, 32).MustStoreUInt(uint64(qid), 64).MustStoreRef(list).EndCell(),
		}}
	}
	ctx = context.WithValue(ctx, reservationKey{}, reservation{queryID: qid, createdAt: createdAt})
	ext, err := s.w.PrepareExternalMessageForMany(ctx, withInit, []*wallet.Message{msg})
	if err != nil {
		return nil, "", err
	}
	root, err := tlb.ToCell(ext)
	if err != nil {
		return nil, "", err
	}
	boc := root.ToBOC()
	h, err := NormalizedHash(boc)
	if err != nil {
		return nil, "", err
	}
	return boc, hex.EncodeToString(h), nil
}

// batchValue is what a batch's messages carry out of the hot wallet.
func batchValue(msgs []*wallet.Message) store.Amount {
	var v store.Amount
	for _, m := range msgs {
		v += coins(m.InternalMessage.Amount)
	}
	return v
}

// highloadExternal reads the query id and created_at of a Highload v3
// external: signature:bits512 ^[subwallet:uint32 ^msg mode:uint8
// query_id:uint23 created_at:uint64 timeout:uint22].
func highloadExternal(body *cell.Cell) (qid uint32, createdAt int64, ok bool) {
	if body == nil || body.RefsNum() != 1 {
		return 0, 0, false
	}
	s := bodySlice(body)
	if _, err := s.LoadSlice(512); err != nil {
		return 0, 0, false
	}
	in, err := s.LoadRef()
	if err != nil {
		return 0, 0, false
	}
	sub, err1 := in.LoadUInt(32)
	_, err2 := in.LoadRef()
	_, err3 := in.LoadUInt(8)
	q, err4 := in.LoadUInt(23)
	at, err5 := in.LoadUInt(64)
	if errors.Join(err1, err2, err3, err4, err5) != nil || sub != HotSubwallet || at > 1<<62 {
		return 0, 0, false
	}
	return uint32(q), int64(at), true
}
