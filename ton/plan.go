package ton

import (
	"strconv"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/store"
)

// planInput is everything the planner decides from: no chain, no store.
type planInput struct {
	Queued    []store.Withdrawal // oldest first
	AvailTON  store.Amount       // the hot wallet's TON minus what is in flight and the reserve
	AvailJet  map[string]store.Amount
	BatchSize int
	JettonTON store.Amount // TON attached to a jetton transfer
	MsgFee    store.Amount // network fee reckoned per message
	Hot       *address.Address
	Jettons   map[string]*address.Address // asset -> our jetton wallet
	Testnet   bool
}

// payment is a withdrawal with its message.
type payment struct {
	w   store.Withdrawal
	msg *wallet.Message
	key string // two payments with one key never share a batch (they would be told apart by nothing)
}

// refusal is a withdrawal that can never be sent.
type refusal struct {
	ID     int64
	Reason string
}

// plan is what to do with the queue now.
type plan struct {
	Batches [][]payment
	Refused []refusal
	Waiting []string     // assets whose jetton wallet is not known yet
	Pause   *pauseNotice // the hot wallet cannot cover the next withdrawal
}

// makePlan puts queued withdrawals, oldest first, into batches while the
// hot wallet covers them; the first it cannot cover stops the queue there
// (later ones would overtake it) and is the pause notice.
func makePlan(in planInput) plan {
	var p plan
	availTON := in.AvailTON
	availJ := map[string]store.Amount{}
	for k, v := range in.AvailJet {
		availJ[k] = v
	}
	waiting := map[string]bool{}
	for _, w := range in.Queued {
		pay, need, needJ, reason := prepare(in, w)
		if reason != "" {
			p.Refused = append(p.Refused, refusal{ID: w.ID, Reason: reason})
			continue
		}
		if pay == nil {
			if !waiting[w.Asset] {
				waiting[w.Asset] = true
				p.Waiting = append(p.Waiting, w.Asset)
			}
			continue
		}
		if need > availTON {
			p.Pause = &pauseNotice{Reason: "the hot wallet's Gram cannot cover the queue", Asset: store.TON.Symbol,
				WithdrawalID: w.ID, Need: need.Units(), Available: max(availTON, 0).Units()}
			break
		}
		if needJ > availJ[w.Asset] {
			p.Pause = &pauseNotice{Reason: "the hot wallet's " + w.Asset + " cannot cover the queue", Asset: w.Asset,
				WithdrawalID: w.ID, Need: needJ.Units(), Available: max(availJ[w.Asset], 0).Units()}
			break
		}
		availTON -= need
		availJ[w.Asset] -= needJ
		placed := false
		for i := range p.Batches {
			if len(p.Batches[i]) < in.BatchSize && !hasKey(p.Batches[i], pay.key) {
				p.Batches[i] = append(p.Batches[i], *pay)
				placed = true
				break
			}
		}
		if !placed {
			p.Batches = append(p.Batches, []payment{*pay})
		}
	}
	return p
}

func hasKey(ps []payment, key string) bool {
	for _, p := range ps {
		if p.key == key {
			return true
		}
	}
	return false
}

// prepare builds a withdrawal's message and what it needs of the hot
// wallet (TON, and jettons). A reason means it can never be sent; a nil
// payment without one means its jetton wallet is not known yet.
func prepare(in planInput, w store.Withdrawal) (pay *payment, needTON, needJetton store.Amount, reason string) {
	dst, err := ParseAddress(w.Destination, in.Testnet)
	if err != nil {
		return nil, 0, 0, "bad destination " + w.Destination + ": " + err.Error()
	}
	if dst.Equals(in.Hot) {
		return nil, 0, 0, "bad destination " + w.Destination + ": it is the service's own wallet"
	}
	for _, jw := range in.Jettons {
		if dst.Equals(jw) {
			return nil, 0, 0, "bad destination " + w.Destination + ": it is the service's own wallet"
		}
	}
	if w.Asset == store.TON.Symbol {
		var body = CommentCell(w.Comment)
		if w.Comment == "" {
			body = nil
		}
		msg := &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: false, DstAddr: dst, Amount: tlb.FromNanoTONU(uint64(w.Amount)), Body: body}}
		return &payment{w: w, msg: msg, key: tonKey(dst, w.Amount, w.Comment)}, w.Amount + in.MsgFee, 0, ""
	}
	jw := in.Jettons[w.Asset]
	if jw == nil {
		return nil, 0, 0, ""
	}
	body := JettonTransferBody(uint64(w.ID), w.Amount, dst, in.Hot, 1, w.Comment)
	msg := &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
		IHRDisabled: true, Bounce: true, DstAddr: jw, Amount: tlb.FromNanoTONU(uint64(in.JettonTON)), Body: body}}
	return &payment{w: w, msg: msg, key: "jetton:" + strconv.FormatInt(w.ID, 10)}, in.JettonTON + in.MsgFee, w.Amount, ""
}
