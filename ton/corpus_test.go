package ton

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// The corpus: real mainnet and testnet transactions found in public sources
// (testdata/corpus/corpus.json, built by testdata/corpus/extract). Each
// carries the figures its source prints ("printed") and what a second
// decoder (tonutils-go v1.18) made of it ("expect"); tonpay's classifier
// must agree with both.

type corpusFile struct {
	Sources      map[string]corpusSource `json:"sources"`
	Transactions []corpusTx              `json:"transactions"`
}

type corpusSource struct {
	Repository string `json:"repository"`
	Path       string `json:"path"`
	Commit     string `json:"commit"`
	Network    string `json:"network"`
}

type corpusTx struct {
	Name    string        `json:"name"`
	Source  string        `json:"source"`
	Network string        `json:"network"`
	Account string        `json:"account"`
	Watch   string        `json:"watch"` // "ton": the account is our hot wallet; "jetton": one of our jetton wallets
	Hash    string        `json:"hash"`
	Printed corpusPrinted `json:"printed"`
	Expect  corpusExpect  `json:"expect"`
	BOC     string        `json:"boc"`
}

// corpusPrinted are the figures the source prints; absent ones are nil.
type corpusPrinted struct {
	LT            *uint64 `json:"lt"`
	Now           *uint32 `json:"now"`
	UTime         *uint32 `json:"utime"`
	Hash          *string `json:"hash"`        // hex
	HashBase64    *string `json:"hash_base64"` // toncenter v2
	StorageFees   *int64  `json:"storage_fees"`
	Fee           *int64  `json:"fee"` // toncenter v2: total_fees
	StorageFee    *int64  `json:"storage_fee"`
	OtherFee      *int64  `json:"other_fee"`
	BalanceBefore *int64  `json:"balance_before"`
	BalanceAfter  *int64  `json:"balance_after"`
	InMsg         *struct {
		Value  int64 `json:"value"`
		FwdFee int64 `json:"fwd_fee"`
	} `json:"in_msg"`
	OutMsgs []struct {
		Destination string `json:"destination"`
		Value       int64  `json:"value"`
		FwdFee      int64  `json:"fwd_fee"`
	} `json:"out_msgs"`
}

type corpusExpect struct {
	Kind      string `json:"kind"`
	Amount    int64  `json:"amount"`
	Comment   string `json:"comment"`
	Sender    string `json:"sender"`
	InPayload string `json:"comment_in_payload"`
}

// beginParse is the one place the corpus test opens a cell (tonutils-go
// v1.18 returns an error here too).
func beginParse(c *cell.Cell) *cell.Slice { return c.MustBeginParse() }

func loadCorpus(t *testing.T) corpusFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/corpus/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var f corpusFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCorpus(t *testing.T) {
	t.Parallel()
	f := loadCorpus(t)
	if len(f.Transactions) < 20 {
		t.Fatalf("the corpus holds %d transactions, want at least 20", len(f.Transactions))
	}
	var mu sync.Mutex
	kinds := map[string]int{}
	t.Cleanup(func() {
		var ks []string
		for k := range kinds {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		var b strings.Builder
		for _, k := range ks {
			b.WriteString(" " + k + "=" + itoa(kinds[k]))
		}
		t.Logf("corpus: %d real transactions from %d sources; kinds:%s", len(f.Transactions), len(f.Sources), b.String())
	})
	for i, c := range f.Transactions {
		src, ok := f.Sources[c.Source]
		if !ok || src.Repository == "" || src.Path == "" || len(src.Commit) != 40 || src.Network != c.Network {
			t.Fatalf("transaction %d: source %q is not named with repository, path, commit and network", i, c.Source)
		}
		t.Run(itoa(i)+"_"+c.Hash[:8], func(t *testing.T) {
			t.Parallel()
			kind := checkCorpusTx(t, c)
			t.Logf("%s %s/%s@%s: %s [%s]", c.Network, src.Repository, src.Path, src.Commit[:12], c.Name, kind)
			mu.Lock()
			kinds[kind]++
			mu.Unlock()
		})
	}
}

func itoa(n int) string {
	return store.Amount(n).Format(0)
}

// checkCorpusTx runs one real transaction through the classifier and
// returns the kind it found.
func checkCorpusTx(t *testing.T, c corpusTx) string {
	t.Helper()
	boc, err := base64.StdEncoding.DecodeString(c.BOC)
	if err != nil {
		t.Fatal(err)
	}
	root, err := cell.FromBOC(boc)
	if err != nil {
		t.Fatal(err)
	}
	tx := new(tlb.Transaction)
	if err := tlb.LoadFromCell(tx, beginParse(root)); err != nil {
		t.Fatal(err)
	}
	tx.Hash = root.Hash()
	addr, err := ParseAddress(c.Account, c.Network == "testnet")
	if err != nil {
		t.Fatal(err)
	}
	p := c.Printed

	// The transaction is the one the source names.
	if h := hex.EncodeToString(tx.Hash); h != c.Hash {
		t.Fatalf("hash %s, the corpus says %s", h, c.Hash)
	}
	if !bytesEqual(tx.AccountAddr, addr.Data()) {
		t.Fatalf("transaction of account %x, the source says %s", tx.AccountAddr, c.Account)
	}
	if p.Hash != nil && *p.Hash != c.Hash {
		t.Fatalf("source prints hash %s, the BOC's is %s", *p.Hash, c.Hash)
	}
	if p.HashBase64 != nil && base64.StdEncoding.EncodeToString(tx.Hash) != *p.HashBase64 {
		t.Fatalf("source prints hash %s, the BOC's is %s", *p.HashBase64, base64.StdEncoding.EncodeToString(tx.Hash))
	}
	if p.LT != nil && *p.LT != tx.LT {
		t.Fatalf("source prints lt %d, the BOC says %d", *p.LT, tx.LT)
	}
	for _, now := range []*uint32{p.Now, p.UTime} {
		if now != nil && *now != tx.Now {
			t.Fatalf("source prints time %d, the BOC says %d", *now, tx.Now)
		}
	}

	// Second computation of the balance change, from the phases.
	ph := phasesOf(t, tx)
	change := tonChange(tx)
	if change != ph.change {
		t.Fatalf("booked TON change %d (in.value - total_fees - Σ(out value + fwd_fee)); from the phases %d "+
			"(credit %d - storage %d - gas %d - fwd %d - fine %d - bounce %d - import %d - Σ out %d)",
			change, ph.change, ph.credit, ph.storage, ph.gas, ph.fwd, ph.fine, ph.bounce, ph.importFee, ph.outs)
	}
	if ph.fine != 0 {
		t.Logf("the action phase charged a fine of %d for %d skipped action(s) (in total_fees)", ph.fine, ph.skipped)
	}
	if ph.totalFees != coins(tx.TotalFees.Coins) {
		t.Fatalf("total_fees %d, the phases' fees add up to %d", coins(tx.TotalFees.Coins), ph.totalFees)
	}
	if p.StorageFees != nil && store.Amount(*p.StorageFees) != ph.storage {
		t.Fatalf("source prints storage fees %d, the storage phase collected %d", *p.StorageFees, ph.storage)
	}
	if p.StorageFee != nil && store.Amount(*p.StorageFee) != ph.storage {
		t.Fatalf("source prints storage_fee %d, the storage phase collected %d", *p.StorageFee, ph.storage)
	}
	if p.Fee != nil && p.StorageFee != nil && p.OtherFee != nil && *p.Fee != *p.StorageFee+*p.OtherFee {
		t.Fatalf("source prints fee %d = storage %d + other %d: does not add up", *p.Fee, *p.StorageFee, *p.OtherFee)
	}
	if p.BalanceBefore != nil && p.BalanceAfter != nil && store.Amount(*p.BalanceAfter-*p.BalanceBefore) != change {
		t.Fatalf("balance %d -> %d (change %d), booked %d", *p.BalanceBefore, *p.BalanceAfter, *p.BalanceAfter-*p.BalanceBefore, change)
	}
	outs := internalOuts(tx)
	if p.OutMsgs != nil {
		if len(p.OutMsgs) != len(outs) {
			t.Fatalf("source prints %d out messages, the BOC has %d", len(p.OutMsgs), len(outs))
		}
		for i, m := range p.OutMsgs {
			if store.Amount(m.Value) != coins(outs[i].Amount) || store.Amount(m.FwdFee) != coins(outs[i].FwdFee) {
				t.Fatalf("out %d: source prints value %d fwd_fee %d, the BOC %d and %d", i, m.Value, m.FwdFee, coins(outs[i].Amount), coins(outs[i].FwdFee))
			}
		}
	}
	if p.InMsg != nil && tx.IO.In != nil && tx.IO.In.MsgType == tlb.MsgTypeInternal {
		in := tx.IO.In.AsInternal()
		if store.Amount(p.InMsg.Value) != coins(in.Amount) || store.Amount(p.InMsg.FwdFee) != coins(in.FwdFee) {
			t.Fatalf("in: source prints value %d fwd_fee %d, the BOC %d and %d", p.InMsg.Value, p.InMsg.FwdFee, coins(in.Amount), coins(in.FwdFee))
		}
	}

	// The classifier, watching the account as ours.
	const jettonAsset = "JETTON"
	cl := &classifier{hot: addr, testnet: c.Network == "testnet", jettons: map[string]string{},
		min: map[string]store.Amount{store.TON.Symbol: 0, jettonAsset: 0}}
	w := watch{addr: addr, raw: addr.StringRaw(), asset: store.TON.Symbol}
	if c.Watch == "jetton" {
		w.asset = jettonAsset
		// The owner is someone else: the hot wallet is any other address.
		cl.hot = address.NewAddress(0, 0, make([]byte, 32))
	}
	ct := cl.classify(w, tx)
	var sum store.Amount
	for _, m := range ct.Moves {
		sum += m.Amount
	}
	if sum != ct.Change {
		t.Fatalf("moves sum to %d, the change is %d: the store would refuse it (%+v)", sum, ct.Change, ct.Moves)
	}
	deposits := movesOf(ct, store.MoveDeposit)
	if len(deposits) > 0 && (ph.bouncePhase || ph.inBounced || ph.vmFailed) {
		t.Fatalf("credited %+v from a transaction whose value did not stay (bounce phase %v, bounced %v, compute failed %v)",
			deposits[0].Incoming, ph.bouncePhase, ph.inBounced, ph.vmFailed)
	}
	if c.Watch == "ton" {
		if ct.Change != change {
			t.Fatalf("classified change %d, booked formula %d", ct.Change, change)
		}
		fee := store.Amount(0)
		for _, m := range movesOf(ct, store.MoveNetworkFee) {
			fee -= m.Amount
		}
		wantFee := coins(tx.TotalFees.Coins)
		for _, m := range outs {
			wantFee += coins(m.FwdFee)
		}
		if fee != wantFee {
			t.Fatalf("network fee booked %d, total_fees + Σ out fwd_fee is %d", fee, wantFee)
		}
		// toncenter v2's "fee" is total_fees plus the out messages'
		// fwd_fee: the network fee as tonpay books it.
		if p.Fee != nil && fee != store.Amount(*p.Fee) {
			t.Fatalf("network fee booked %d, the source prints fee %d", fee, *p.Fee)
		}
		if len(deposits) > 0 && deposits[0].Amount != ph.credit {
			t.Fatalf("credited %d, the credit phase credited %d", deposits[0].Amount, ph.credit)
		}
	}

	e := c.Expect
	switch e.Kind {
	case "deposit":
		if len(deposits) != 1 || ct.Event.Kind != store.KindOther {
			t.Fatalf("want one deposit (kind %s), got kind %s moves %+v", store.KindOther, ct.Event.Kind, ct.Moves)
		}
		in := deposits[0].Incoming
		if int64(in.Amount) != e.Amount || in.Asset != store.TON.Symbol || in.Comment != e.Comment {
			t.Fatalf("deposit %d %s %q, want %d %s %q", in.Amount, in.Asset, in.Comment, e.Amount, store.TON.Symbol, e.Comment)
		}
		if want := rawOrEmpty(tx.IO.In.AsInternal().SrcAddr); in.Sender != want {
			t.Fatalf("deposit sender %s, want %s", in.Sender, want)
		}
		return "deposit"
	case "jetton_deposit":
		if len(deposits) != 1 {
			t.Fatalf("want one jetton deposit, got kind %s moves %+v note %q", ct.Event.Kind, ct.Moves, ct.Event.Note)
		}
		in := deposits[0].Incoming
		if int64(in.Amount) != e.Amount || in.Asset != jettonAsset || in.Comment != e.Comment || in.Sender != e.Sender {
			t.Fatalf("jetton deposit %d %s from %s %q, want %d from %s %q", in.Amount, in.Asset, in.Sender, in.Comment, e.Amount, e.Sender, e.Comment)
		}
		if ct.Change != store.Amount(e.Amount) {
			t.Fatalf("jetton change %d, want %d", ct.Change, e.Amount)
		}
		return "jetton_internal_transfer"
	case "fake_jetton":
		if len(deposits) != 0 || ct.Event.Kind != store.KindFakeJetton {
			t.Fatalf("want %s and no credit, got kind %s moves %+v", store.KindFakeJetton, ct.Event.Kind, ct.Moves)
		}
		// The same notification from the jetton wallet we configured is
		// ours: its TON pays fees, the credit comes from the jetton
		// wallet's own transaction.
		in := tx.IO.In.AsInternal()
		cl.jettons[rawOrEmpty(in.SrcAddr)] = jettonAsset
		ours := cl.classify(w, tx)
		if ours.Event.Kind != store.KindJettonNotify || len(movesOf(ours, store.MoveDeposit)) != 0 {
			t.Fatalf("from our jetton wallet: kind %s moves %+v", ours.Event.Kind, ours.Moves)
		}
		if got := notificationComment(in.Body); got != e.InPayload {
			t.Fatalf("notification payload comment %q, want %q", got, e.InPayload)
		}
		return "transfer_notification"
	case "excesses":
		if len(deposits) != 0 || ct.Event.Kind != store.KindExcesses {
			t.Fatalf("want %s, got kind %s moves %+v", store.KindExcesses, ct.Event.Kind, ct.Moves)
		}
		return "excesses"
	case "foreign":
		if len(deposits) != 0 || ct.Event.Kind != store.KindForeign {
			t.Fatalf("want %s, got kind %s moves %+v", store.KindForeign, ct.Event.Kind, ct.Moves)
		}
		if ok, desc := checkHighloadBatch(t, cl, w, tx); ok {
			return "highload_v3_external (" + desc + ")"
		}
		return "external (" + walletName(tx) + ")"
	case "other":
		if len(deposits) != 0 {
			t.Fatalf("want no credit, got %+v", deposits[0].Incoming)
		}
		return "other"
	}
	t.Fatalf("unknown expectation %q", e.Kind)
	return ""
}

func bytesEqual(a, b []byte) bool { return hex.EncodeToString(a) == hex.EncodeToString(b) }

func movesOf(ct store.ChainTx, k store.MoveKind) []store.Move {
	var out []store.Move
	for _, m := range ct.Moves {
		if m.Kind == k {
			out = append(out, m)
		}
	}
	return out
}

// phases is the balance change computed from a transaction's phases:
// credit - storage - gas - total forwarding fees - bounce fees - import fee
// - Σ out values; and total_fees recomputed from the same phases.
type phases struct {
	credit, storage, gas, fwd, fine, bounce, importFee, outs, change, totalFees store.Amount
	skipped                                                                     uint16

	bouncePhase, inBounced, vmFailed bool
}

func phasesOf(t *testing.T, tx *tlb.Transaction) phases {
	t.Helper()
	d, ok := description(tx)
	if !ok {
		t.Fatalf("not an ordinary transaction: %T", tx.Description)
	}
	var p phases
	if d.CreditPhase != nil {
		p.credit = coins(d.CreditPhase.Credit.Coins)
		if d.CreditPhase.DueFeesCollected != nil {
			p.totalFees += coins(*d.CreditPhase.DueFeesCollected)
		}
	}
	if d.StoragePhase != nil {
		p.storage = coins(d.StoragePhase.StorageFeesCollected)
	}
	switch c := d.ComputePhase.Phase.(type) {
	case tlb.ComputePhaseVM:
		p.gas = coins(c.GasFees)
		p.vmFailed = !c.Success
	case *tlb.ComputePhaseVM:
		p.gas = coins(c.GasFees)
		p.vmFailed = !c.Success
	}
	var actionFees store.Amount
	if d.ActionPhase != nil {
		if d.ActionPhase.TotalFwdFees != nil {
			p.fwd = coins(*d.ActionPhase.TotalFwdFees)
		}
		if d.ActionPhase.TotalActionFees != nil {
			actionFees = coins(*d.ActionPhase.TotalActionFees)
		}
	}
	var bounceFees store.Amount
	if d.BouncePhase != nil {
		p.bouncePhase = true
		switch b := d.BouncePhase.Phase.(type) {
		case tlb.BouncePhaseOk:
			p.bounce, bounceFees = coins(b.MsgFees)+coins(b.FwdFees), coins(b.MsgFees)
		case *tlb.BouncePhaseOk:
			p.bounce, bounceFees = coins(b.MsgFees)+coins(b.FwdFees), coins(b.MsgFees)
		}
	}
	if tx.IO.In != nil {
		switch tx.IO.In.MsgType {
		case tlb.MsgTypeExternalIn:
			// The fee for importing an external is charged by the
			// validator and recorded only inside total_fees (the
			// message's own import_fee field stays 0): it is what
			// total_fees holds beyond the phases' fees.
			p.importFee = coins(tx.IO.In.AsExternalIn().ImportFee)
			if p.importFee == 0 {
				p.importFee = coins(tx.TotalFees.Coins) - p.storage - p.gas - actionFees - bounceFees
				if p.importFee <= 0 {
					t.Fatalf("external: total_fees %d leaves no import fee beyond the phases' fees", coins(tx.TotalFees.Coins))
				}
			}
		case tlb.MsgTypeInternal:
			p.inBounced = tx.IO.In.AsInternal().Bounced
		}
	}
	var remainders store.Amount
	for _, m := range internalOuts(tx) {
		p.outs += coins(m.Amount)
		remainders += coins(m.FwdFee)
	}
	// The forwarding fees split into the action fees (the first fraction)
	// and what travels in the messages; action fees beyond that are a fine
	// for skipped actions (charged since global version 4), allowed only
	// when the action phase skipped or failed.
	if d.ActionPhase != nil {
		p.skipped = d.ActionPhase.SkippedActions
		p.fine = actionFees - (p.fwd - remainders)
		if p.fine != 0 && (p.fine < 0 || (d.ActionPhase.SkippedActions == 0 && d.ActionPhase.Success)) {
			t.Fatalf("action phase: forwarding fees %d = action fees %d + message fwd_fees %d does not hold", p.fwd, actionFees, remainders)
		}
	}
	p.change = p.credit - p.storage - p.gas - p.fwd - p.fine - p.bounce - p.importFee - p.outs
	p.totalFees += p.storage + p.gas + actionFees + bounceFees + p.importFee
	return p
}

// notificationComment reads the text comment of a transfer_notification's
// forward payload by hand (inline or in a ref), independently of the
// classifier's reader.
func notificationComment(body *cell.Cell) string {
	s := beginParse(body)
	if op, err := s.LoadUInt(32); err != nil || op != opTransferNotification {
		return ""
	}
	if _, err := s.LoadUInt(64); err != nil {
		return ""
	}
	if _, err := s.LoadBigCoins(); err != nil {
		return ""
	}
	if _, err := s.LoadAddr(); err != nil {
		return ""
	}
	isRef, err := s.LoadBoolBit()
	if err != nil {
		return ""
	}
	if isRef {
		ref, err := s.LoadRefCell()
		if err != nil {
			return ""
		}
		return payloadComment(ref)
	}
	return payloadComment(s.MustToCell())
}

// walletName names the wallet contract that ran an external by the layout
// of its body (for the log).
func walletName(tx *tlb.Transaction) string {
	body := tx.IO.In.AsExternalIn().Body
	if body == nil {
		return "no body"
	}
	if opcode(body) == 0x7369676e { // "sign"
		return "W5 v5r1"
	}
	if _, ok := highloadLayout(body); ok {
		return "Highload v3"
	}
	return "wallet v3/v4 or other"
}

// hlExternal is a Highload v3 external's signed part, read by hand.
type hlExternal struct {
	subwallet uint64
	qid       uint64
	createdAt uint64
	timeout   uint64
	msg       *cell.Cell
	mode      uint64
}

// highloadLayout reads a Highload v3 external body: signature (512 bits),
// ^[subwallet_id:32 message:^Cell send_mode:8 query_id:23 created_at:64
// timeout:22], and nothing else.
func highloadLayout(body *cell.Cell) (hlExternal, bool) {
	s := beginParse(body)
	if s.BitsLeft() != 512 || s.RefsNum() != 1 {
		return hlExternal{}, false
	}
	s.MustLoadSlice(512)
	in, err := s.LoadRef()
	if err != nil || in.BitsLeft() != 32+8+23+64+22 || in.RefsNum() != 1 {
		return hlExternal{}, false
	}
	var h hlExternal
	h.subwallet = in.MustLoadUInt(32)
	h.msg = in.MustLoadRef().MustToCell()
	h.mode = in.MustLoadUInt(8)
	h.qid = in.MustLoadUInt(23)
	h.createdAt = in.MustLoadUInt(64)
	h.timeout = in.MustLoadUInt(22)
	return h, true
}

// checkHighloadBatch takes a real Highload v3 external (someone else's
// wallet: its subwallet id is not ours) and asks: had it been our batch,
// would we have read it right? The signed part is rebuilt with our
// subwallet id (the classifier does not check signatures), the batch is
// registered under the query id and created_at read by hand, and the
// classifier must match its one message to the withdrawal.
func checkHighloadBatch(t *testing.T, cl *classifier, w watch, tx *tlb.Transaction) (bool, string) {
	t.Helper()
	ext := tx.IO.In.AsExternalIn()
	h, ok := highloadLayout(ext.Body)
	if !ok {
		return false, ""
	}
	if _, _, ours := highloadExternal(ext.Body); ours != (h.subwallet == HotSubwallet) {
		t.Fatalf("subwallet %#x: highloadExternal says ours=%v", h.subwallet, ours)
	}
	outs := internalOuts(tx)
	if len(outs) != 1 {
		t.Fatalf("a Highload v3 external sending %d messages: the corpus expects one", len(outs))
	}
	inner := cell.BeginCell().MustStoreUInt(HotSubwallet, 32).MustStoreRef(h.msg).MustStoreUInt(h.mode, 8).
		MustStoreUInt(h.qid, 23).MustStoreUInt(h.createdAt, 64).MustStoreUInt(h.timeout, 22).EndCell()
	sig := beginParse(ext.Body).MustLoadSlice(512)
	body := cell.BeginCell().MustStoreSlice(sig, 512).MustStoreRef(inner).EndCell()
	qid, createdAt, ok := highloadExternal(body)
	if !ok || uint64(qid) != h.qid || uint64(createdAt) != h.createdAt {
		t.Fatalf("highloadExternal read (%d, %d, %v), by hand (%d, %d)", qid, createdAt, ok, h.qid, h.createdAt)
	}

	// Our batch of one withdrawal, as its one message says.
	m := outs[0]
	ob := &openBatch{b: store.Batch{ID: 7, QueryID: qid, CreatedAt: createdAt, Withdrawals: []int64{1}}, ws: map[int64]store.Withdrawal{}}
	want := store.MovePayout
	jettons := map[string]string{}
	for k, v := range cl.jettons {
		jettons[k] = v
	}
	desc := "a TON payout"
	if qidT, isJetton := queryID(m.Body); isJetton && opcode(m.Body) == opTransfer {
		jettons[rawOrEmpty(m.DstAddr)] = "JETTON"
		ob.b.Withdrawals = []int64{int64(qidT)}
		ob.ws[int64(qidT)] = store.Withdrawal{ID: int64(qidT), Asset: "JETTON"}
		want, desc = store.MovePayoutTON, "a jetton payout"
	} else {
		ob.ws[1] = store.Withdrawal{ID: 1, Asset: store.TON.Symbol, Destination: m.DstAddr.StringRaw(), Amount: coins(m.Amount), Comment: m.Comment()}
	}
	ours := &classifier{hot: cl.hot, jettons: jettons, min: cl.min,
		byExt: map[[2]int64]*openBatch{{int64(qid), createdAt}: ob}, byQID: map[uint32]*openBatch{}}
	saved := ext.Body
	ext.Body = body
	ct := ours.classify(w, tx)
	ext.Body = saved
	if ct.Event.Kind != store.KindBatch || ct.Batch == nil || ct.Batch.BatchID != 7 || ct.Batch.Pending {
		t.Fatalf("as our batch: kind %s batch %+v", ct.Event.Kind, ct.Batch)
	}
	if got := movesOf(ct, want); len(got) != 1 || got[0].Amount != -coins(m.Amount) || len(movesOf(ct, store.MoveUnknown)) != 0 {
		t.Fatalf("as our batch: moves %+v, want one %s of %d", ct.Moves, want, -coins(m.Amount))
	}
	return true, desc
}
