package tontest

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// contract is an emulated smart contract: Go code standing in for TVM code.
// Its methods run with the chain lock held. receive must change nothing when
// it returns a non-zero exit code (the transaction is rolled back).
type contract interface {
	code() *cell.Cell
	data() *cell.Cell
	// receive executes an inbound internal message; 0 is success.
	receive(x *exec, msg *tlb.InternalMessage) int32
	// get runs a get-method at a block of time now; args[0] is the first
	// argument.
	get(now uint32, method string, args []any) ([]any, int32)
}

// externalReceiver is a contract that takes external messages (a wallet).
type externalReceiver interface {
	contract
	// external makes the checks the contract makes before accept_message;
	// a non-zero exit code rejects the message (no transaction). Otherwise
	// accept applies it and returns the exit code of what follows accept.
	external(now uint32, body *cell.Cell) (accept func(x *exec) int32, exit int32)
}

// account is the chain's record of one address.
type account struct {
	addr        *address.Address
	balance     uint64
	code        contract // nil: no code (uninit or nonexistent)
	lastLT      uint64
	lastHash    []byte
	lastPaid    uint32     // time of the last transaction
	txs         []txRecord // oldest first
	prunedBelow uint64
	history     []snapshot // by block, oldest first

	// With Options.TVM: the account as the TVM keeps it and its storage
	// statistics (nil: account_none).
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

// exists tells whether the account is in the shard state (account_none if not).
func (a *account) exists() bool { return a.code != nil || a.balance > 0 }

func (a *account) status() tlb.AccountStatus {
	switch {
	case a.code != nil:
		return tlb.AccountStatusActive
	case a.balance > 0:
		return tlb.AccountStatusUninit
	}
	return tlb.AccountStatusNonExist
}

func (a *account) txIndex(lt uint64) int {
	i := sort.Search(len(a.txs), func(i int) bool { return a.txs[i].lt >= lt })
	if i < len(a.txs) && a.txs[i].lt == lt {
		return i
	}
	return -1
}

// accountCell builds the Account cell (account$1) of an existing account.
func (c *Chain) accountCell(a *account) *cell.Cell {
	if !a.exists() {
		return cell.BeginCell().MustStoreBoolBit(false).EndCell()
	}
	b := cell.BeginCell().MustStoreBoolBit(true).MustStoreAddr(a.addr).
		MustStoreVarUInt(1, 7).MustStoreVarUInt(0, 7).MustStoreUInt(0, 3). // storage used: cells, bits, storage_extra_none$000
		MustStoreUInt(uint64(a.lastPaid), 32).MustStoreBoolBit(false).     // last paid, no due
		MustStoreUInt(a.lastLT, 64).MustStoreCoins(a.balance).MustStoreDict(nil)
	if a.code == nil {
		return b.MustStoreUInt(0, 2).EndCell() // account_uninit$00
	}
	// account_active$1 with StateInit: no split depth, not special, code, data, no libraries.
	b.MustStoreBoolBit(true).MustStoreBoolBit(false).MustStoreBoolBit(false)
	return b.MustStoreMaybeRef(a.code.code()).MustStoreMaybeRef(a.code.data()).MustStoreDict(nil).EndCell()
}

// exec is one transaction being executed.
type exec struct {
	c         *Chain
	acc       *account
	lt        uint64
	prevLT    uint64
	prevHash  []byte
	orig      tlb.AccountStatus
	oldHash   []byte
	before    uint64     // balance before the transaction
	inValue   uint64     // value of the inbound internal message
	msgLeft   uint64     // what of inValue mode 64 and a bounce can still carry
	fees      uint64     // total_fees
	actions   []action   // requested by the compute phase
	badAction bool       // the compute phase produced an action the fake does not know
	list      *cell.Cell // the action list when the contract gave a raw one
	sent      []*tlb.InternalMessage
}

type action struct {
	mode uint8
	msg  *tlb.InternalMessage
}

// send requests an outbound message, as send_raw_message does.
func (x *exec) send(mode uint8, msg *tlb.InternalMessage) {
	x.actions = append(x.actions, action{mode: mode, msg: msg})
}

func (c *Chain) begin(acc *account) *exec {
	c.lt++
	c.touched[acc] = true
	return &exec{
		c: c, acc: acc, lt: c.lt, prevLT: acc.lastLT, prevHash: acc.lastHash,
		orig: acc.status(), oldHash: c.accountCell(acc).Hash(), before: acc.balance,
	}
}

// chargeStorage takes the storage fee from the balance (what there is).
func (x *exec) chargeStorage() uint64 {
	fee := min(x.c.opts.StorageFee, x.acc.balance)
	x.acc.balance -= fee
	x.fees += fee
	return fee
}

// chargeCompute takes the compute fee from the balance (what there is).
func (x *exec) chargeCompute() uint64 {
	fee := min(x.c.opts.TxFee, x.acc.balance)
	x.acc.balance -= fee
	x.fees += fee
	return fee
}

// Errors of external messages that are not accepted.
var (
	errNoCode       = errors.New("account has no code and the message has no state init")
	errBadStateInit = errors.New("state init does not match the address or its code is not emulated")
	errNoExternal   = errors.New("contract takes no external messages")
	errNoFunds      = errors.New("not enough balance to pay for the transaction")
)

// checkExternal checks an external message as a node does before including
// it: the contract (deployed, or built from the message's state init) must
// accept it. deploy tells whether the state init is to be installed.
func (c *Chain) checkExternal(msg *tlb.ExternalMessage, now uint32) (accept func(x *exec) int32, deploy contract, err error) {
	if msg.DstAddr == nil || msg.DstAddr.IsAddrNone() {
		return nil, nil, errors.New("external message without destination")
	}
	var ctr contract
	bal := uint64(0)
	if acc := c.accounts[key(msg.DstAddr)]; acc != nil {
		ctr, bal = acc.code, acc.balance
	}
	if ctr == nil {
		if msg.StateInit == nil {
			return nil, nil, errNoCode
		}
		if ctr = c.fromStateInit(msg.StateInit, msg.DstAddr); ctr == nil {
			return nil, nil, errBadStateInit
		}
		deploy = ctr
	}
	r, ok := ctr.(externalReceiver)
	if !ok {
		return nil, nil, errNoExternal
	}
	if bal < c.opts.StorageFee+c.opts.TxFee {
		return nil, nil, errNoFunds
	}
	accept, exit := r.external(now, msg.Body)
	if exit != 0 {
		return nil, nil, fmt.Errorf("External message was not accepted\nCannot run message on account: inbound external message rejected by transaction %X: exitcode=%d", msg.DstAddr.Data(), exit)
	}
	return accept, deploy, nil
}

// runExternal executes an external message in a transaction, unless the
// contract no longer accepts it (then it leaves no trace, as on a real chain).
func (c *Chain) runExternal(msg *tlb.ExternalMessage, root *cell.Cell) {
	if c.vm != nil {
		c.vmRun(msg.DstAddr, root, true)
		return
	}
	accept, deploy, err := c.checkExternal(msg, c.blockNow)
	if err != nil {
		return
	}
	acc := c.account(msg.DstAddr)
	x := c.begin(acc)
	storage := x.chargeStorage()
	if deploy != nil {
		acc.code = deploy
	}
	fee := x.chargeCompute()
	exit := accept(x)
	desc := tlb.TransactionDescriptionOrdinary{
		StoragePhase: storagePhase(storage),
		ComputePhase: tlb.ComputePhase{Phase: computeVM(exit, fee, deploy != nil)},
	}
	if exit == 0 {
		desc.ActionPhase = x.actionPhase()
	}
	desc.Aborted = exit != 0 || !desc.ActionPhase.Success
	c.finish(x, &tlb.Message{MsgType: tlb.MsgTypeExternalIn, Msg: msg}, desc)
}

// runInternal delivers an internal message in a transaction on its
// destination: storage and credit (storage first for a bounceable message,
// so that a bounce can return the value whole), compute (skipped without
// code, and then free), actions, and a bounce when a bounceable message
// failed.
func (c *Chain) runInternal(msg *tlb.InternalMessage) {
	if c.vm != nil {
		c.vmInternal(msg)
		return
	}
	acc := c.account(msg.DstAddr)
	x := c.begin(acc)
	x.inValue = msg.Amount.Nano().Uint64()
	x.msgLeft = x.inValue

	var storage uint64
	if msg.Bounce {
		storage = x.chargeStorage()
	}
	acc.balance += x.inValue
	if !msg.Bounce {
		storage = x.chargeStorage()
		x.msgLeft = min(x.msgLeft, acc.balance) // storage may have eaten into the value
	}

	var deployed bool
	if acc.code == nil && msg.StateInit != nil {
		if ctr := c.fromStateInit(msg.StateInit, acc.addr); ctr != nil {
			acc.code, deployed = ctr, true
		}
	}
	desc := tlb.TransactionDescriptionOrdinary{
		CreditFirst:  !msg.Bounce,
		StoragePhase: storagePhase(storage),
		CreditPhase:  &tlb.CreditPhase{Credit: tlb.CurrencyCollection{Coins: msg.Amount}},
	}
	exit := int32(0)
	if acc.code == nil {
		exit = -1
		desc.ComputePhase.Phase = tlb.ComputePhaseSkipped{Reason: tlb.ComputeSkipReason{Type: tlb.ComputeSkipReasonNoState}}
	} else {
		fee := x.chargeCompute()
		x.msgLeft -= min(x.msgLeft, fee) // gas is paid out of the inbound value first
		exit = acc.code.receive(x, msg)
		desc.ComputePhase.Phase = computeVM(exit, fee, deployed)
	}
	if exit == 0 {
		desc.ActionPhase = x.actionPhase()
	} else if deployed {
		acc.code = nil // the deployment is rolled back with the compute phase
	}
	desc.Aborted = exit != 0 || !desc.ActionPhase.Success
	if exit != 0 && msg.Bounce && !msg.Bounced {
		desc.BouncePhase = x.bounce(msg, desc.ComputePhase.Phase)
	}
	c.finish(x, &tlb.Message{MsgType: tlb.MsgTypeInternal, Msg: msg}, desc)
}

// bounce returns what is left of a failed bounceable message to its sender,
// as mainnet does: the whole remaining value leaves the balance; the
// forwarding price P comes out of it, its first part is booked in
// total_fees (MsgFees) and the rest travels in the bounce's fwd_fee
// (FwdFees). The bounce carries the message's extra flags. The body is
// 0xffffffff and the first 256 bits of the original, or, when the message
// asked for it (extra flags bit 0, TEP-503), the new format: see
// newBounceBody.
func (x *exec) bounce(msg *tlb.InternalMessage, compute any) *tlb.BouncePhase {
	price := x.c.opts.MsgFee
	first := x.c.firstPart(price)
	zero := tlb.StorageUsedShort{Cells: big.NewInt(0), Bits: big.NewInt(0)}
	if x.msgLeft < price {
		return &tlb.BouncePhase{Phase: tlb.BouncePhaseNoFunds{MsgSize: zero, ReqFwdFees: tlb.FromNanoTONU(price)}}
	}
	flags, _ := extraFlags(msg) // valid: every message was sent through an action phase or injected without
	var body *cell.Cell
	if flags&1 != 0 {
		body = newBounceBody(msg, flags&2 != 0, compute)
	} else {
		b := cell.BeginCell().MustStoreUInt(0xffffffff, 32)
		if msg.Body != nil {
			s := msg.Body.MustBeginParse()
			n := min(s.BitsLeft(), 256)
			b.MustStoreSlice(s.MustLoadSlice(n), n)
		}
		body = b.EndCell()
	}
	x.acc.balance -= x.msgLeft
	x.fees += first
	x.sent = append(x.sent, x.outMessage(&tlb.InternalMessage{
		Bounced: true, DstAddr: msg.SrcAddr, Amount: tlb.FromNanoTONU(x.msgLeft - price),
		IHRFee: tlb.FromNanoTONU(flags), Body: body,
	}))
	return &tlb.BouncePhase{Phase: tlb.BouncePhaseOk{MsgSize: zero, MsgFees: tlb.FromNanoTONU(first), FwdFees: tlb.FromNanoTONU(price - first)}}
}

// extraFlags reads a message's extra_flags: the field that was ihr_fee,
// which tonutils-go still names IHRFee. IHR is disabled; since global
// version 12 the sender sets the field and the chain carries it unchanged
// (a bounce carries the bounced message's): it moves no value and is no
// fee. Bit 0 asks for the new bounce format (TEP-503), bit 1 for the whole
// original body in it. false when another bit is set: the send action
// fails with result code 45.
func extraFlags(m *tlb.InternalMessage) (uint64, bool) {
	v := m.IHRFee.Nano()
	if !v.IsUint64() || v.Uint64()&^3 != 0 {
		return 0, false
	}
	return v.Uint64(), true
}

// newBounceBody is the body of a bounce in the new format (TEP-503, as the
// node builds it from global version 12):
//
//	0xfffffffe ^original_body ^[value:CurrencyCollection created_lt:uint64 created_at:uint32]
//	phase:uint8 exit_code:int32 (compute:Maybe [gas_used:uint32 vm_steps:uint32])
//
// original_body is the whole body with full, else the bits of its root
// cell; phase is 0 when compute was skipped (exit_code minus the skip
// reason: -1 for no state), 1 when it failed. The fake counts no VM steps.
func newBounceBody(msg *tlb.InternalMessage, full bool, compute any) *cell.Cell {
	orig := cell.BeginCell().EndCell()
	if msg.Body != nil {
		orig = msg.Body
		if !full {
			s := msg.Body.MustBeginParse()
			n := s.BitsLeft()
			orig = cell.BeginCell().MustStoreSlice(s.MustLoadSlice(n), n).EndCell()
		}
	}
	value, err := tlb.ToCell(&tlb.CurrencyCollection{Coins: msg.Amount, ExtraCurrencies: msg.ExtraCurrencies})
	if err != nil {
		panic("tontest: bounce value: " + err.Error())
	}
	info := cell.BeginCell().MustStoreBuilder(value.ToBuilder()).
		MustStoreUInt(msg.CreatedLT, 64).MustStoreUInt(uint64(msg.CreatedAt), 32).EndCell()
	b := cell.BeginCell().MustStoreUInt(0xfffffffe, 32).MustStoreRef(orig).MustStoreRef(info)
	if vm, ok := compute.(tlb.ComputePhaseVM); ok {
		b.MustStoreUInt(1, 8).MustStoreInt(int64(vm.Details.ExitCode), 32).
			MustStoreBoolBit(true).MustStoreUInt(vm.Details.GasUsed.Uint64(), 32).MustStoreUInt(0, 32)
	} else {
		b.MustStoreUInt(0, 8).MustStoreInt(-1, 32).MustStoreBoolBit(false) // skipped: no state, the only reason the fake has
	}
	return b.EndCell()
}

// actionPhase sends the requested messages. Send modes: +1 pay the
// forwarding price apart from the value, +2 skip an action that fails, +64
// add what is left of the inbound value, +128 carry the whole balance.
// Without +2 a failing action fails the phase (result code 37) and nothing
// is sent. Each message costs the full price P (TotalFwdFees); only its
// first part is booked in total_fees (TotalActionFees), the rest travels in
// the message's fwd_fee.
func (x *exec) actionPhase() *tlb.ActionPhase {
	fwd := x.c.opts.MsgFee
	ap := &tlb.ActionPhase{
		Success: true, Valid: true,
		StatusChange: tlb.AccStatusChange{Type: tlb.AccStatusChangeUnchanged},
		TotalActions: uint16(len(x.actions)),
		TotalMsgSize: tlb.StorageUsedShort{Cells: big.NewInt(0), Bits: big.NewInt(0)},
	}
	list := x.list
	if list == nil {
		list = actionList(x.actions)
	}
	ap.ActionListHash = list.Hash()
	if x.badAction {
		ap.Success, ap.Valid, ap.ResultCode = false, false, 34
		return ap
	}

	balance := x.acc.balance
	var sent []*tlb.InternalMessage
	for _, a := range x.actions {
		if _, ok := extraFlags(a.msg); !ok {
			if a.mode&2 != 0 {
				ap.SkippedActions++
				continue
			}
			ap.Success, ap.ResultCode = false, 45
			return ap
		}
		value := a.msg.Amount.Nano().Uint64()
		switch {
		case a.mode&128 != 0:
			value = balance
		case a.mode&64 != 0:
			value += x.msgLeft
		}
		cost, ok := value, true
		if a.mode&1 != 0 && a.mode&128 == 0 {
			cost += fwd
		} else if value < fwd {
			ok = false
		} else {
			value -= fwd
		}
		if !ok || cost > balance || a.msg.DstAddr == nil || a.msg.DstAddr.IsAddrNone() {
			if a.mode&2 != 0 {
				ap.SkippedActions++
				continue
			}
			ap.Success, ap.NoFunds, ap.ResultCode = false, true, 37
			return ap
		}
		balance -= cost
		m := *a.msg
		m.Amount = tlb.FromNanoTONU(value)
		sent = append(sent, &m)
	}

	x.acc.balance = balance
	for _, m := range sent {
		x.sent = append(x.sent, x.outMessage(m))
	}
	n := uint64(len(sent))
	total, booked := tlb.FromNanoTONU(fwd*n), tlb.FromNanoTONU(x.c.firstPart(fwd)*n)
	x.fees += x.c.firstPart(fwd) * n
	ap.MessagesCreated = uint16(len(sent))
	ap.TotalFwdFees, ap.TotalActionFees = &total, &booked
	return ap
}

// outMessage stamps an outbound message as the action phase does.
func (x *exec) outMessage(m *tlb.InternalMessage) *tlb.InternalMessage {
	x.c.lt++
	m.IHRDisabled = true
	m.SrcAddr = x.acc.addr
	flags, _ := extraFlags(m) // checked by the action phase; a bounce's are the bounced message's
	m.IHRFee = tlb.FromNanoTONU(flags)
	m.FwdFee = tlb.FromNanoTONU(x.c.opts.MsgFee - x.c.firstPart(x.c.opts.MsgFee)) // what the sender paid beyond its booked part
	m.CreatedLT = x.c.lt
	m.CreatedAt = x.c.blockNow
	return m
}

// finish records the transaction and queues its outbound messages.
func (c *Chain) finish(x *exec, in *tlb.Message, desc tlb.TransactionDescriptionOrdinary) {
	acc := x.acc
	acc.lastLT, acc.lastPaid = x.lt, c.blockNow
	prevHash := x.prevHash
	if prevHash == nil {
		prevHash = make([]byte, 32)
	}
	tx := tlb.Transaction{
		AccountAddr: acc.addr.Data(),
		LT:          x.lt,
		PrevTxHash:  prevHash,
		PrevTxLT:    x.prevLT,
		Now:         c.blockNow,
		OutMsgCount: uint16(len(x.sent)),
		OrigStatus:  x.orig,
		EndStatus:   acc.status(),
		TotalFees:   tlb.CurrencyCollection{Coins: tlb.FromNanoTONU(x.fees)},
		StateUpdate: tlb.HashUpdate{OldHash: x.oldHash, NewHash: c.accountCell(acc).Hash()},
		Description: desc,
	}
	tx.IO.In = in
	if len(x.sent) > 0 {
		out := cell.NewDict(15)
		for i, m := range x.sent {
			mc, err := tlb.ToCell(m)
			if err != nil {
				panic("tontest: serialize message: " + err.Error())
			}
			if err := out.SetIntKey(big.NewInt(int64(i)), cell.BeginCell().MustStoreRef(mc).EndCell()); err != nil {
				panic("tontest: out list: " + err.Error())
			}
		}
		tx.IO.Out = &tlb.MessagesList{List: out}
	}
	root, err := tlb.ToCell(&tx)
	if err != nil {
		panic("tontest: serialize transaction: " + err.Error())
	}
	acc.lastHash = root.Hash()
	acc.txs = append(acc.txs, txRecord{lt: x.lt, hash: acc.lastHash, cell: root, seqno: c.seqno, before: x.before, after: acc.balance})
	c.inflight = append(c.inflight, x.sent...)
}

func storagePhase(fee uint64) *tlb.StoragePhase {
	return &tlb.StoragePhase{StorageFeesCollected: tlb.FromNanoTONU(fee), StatusChange: tlb.AccStatusChange{Type: tlb.AccStatusChangeUnchanged}}
}

func computeVM(exit int32, fee uint64, activated bool) tlb.ComputePhaseVM {
	vm := tlb.ComputePhaseVM{Success: exit == 0, MsgStateUsed: activated, AccountActivated: activated, GasFees: tlb.FromNanoTONU(fee)}
	vm.Details.GasUsed = big.NewInt(int64(fee / 1000))
	vm.Details.GasLimit = big.NewInt(1_000_000)
	vm.Details.ExitCode = exit
	vm.Details.VMInitStateHash = make([]byte, 32)
	vm.Details.VMFinalStateHash = make([]byte, 32)
	return vm
}

// Out action lists (c5): out_list$_ prev:^OutList action:OutAction, where
// action_send_msg#0ec3c86d mode:uint8 out_msg:^MessageRelaxed.
const opSendMsg = 0x0ec3c86d

func actionList(actions []action) *cell.Cell {
	list := cell.BeginCell().EndCell()
	for _, a := range actions {
		mc, err := tlb.ToCell(a.msg)
		if err != nil {
			panic("tontest: serialize message: " + err.Error())
		}
		list = cell.BeginCell().MustStoreRef(list).MustStoreUInt(opSendMsg, 32).MustStoreUInt(uint64(a.mode), 8).MustStoreRef(mc).EndCell()
	}
	return list
}

// parseActions reads an out action list, first action first. ok is false
// when it holds an action other than send_msg or does not parse.
func parseActions(list *cell.Cell) (actions []action, ok bool) {
	for list != nil && (list.BitsSize() > 0 || list.RefsNum() > 0) {
		if len(actions) == 255 {
			return nil, false
		}
		s := list.MustBeginParse()
		prev, err := s.LoadRefCell()
		if err != nil {
			return nil, false
		}
		if op, err := s.LoadUInt(32); err != nil || op != opSendMsg {
			return nil, false
		}
		mode, err := s.LoadUInt(8)
		if err != nil {
			return nil, false
		}
		msg, err := loadRelaxed(s)
		if err != nil {
			return nil, false
		}
		actions = append(actions, action{mode: uint8(mode), msg: msg})
		list = prev
	}
	for i, j := 0, len(actions)-1; i < j; i, j = i+1, j-1 {
		actions[i], actions[j] = actions[j], actions[i]
	}
	return actions, true
}

// loadRelaxed loads the next reference of s as an internal MessageRelaxed.
func loadRelaxed(s *cell.Slice) (*tlb.InternalMessage, error) {
	ref, err := s.LoadRef()
	if err != nil {
		return nil, err
	}
	var msg tlb.InternalMessage
	if err := tlb.LoadFromCell(&msg, ref); err != nil {
		return nil, err
	}
	return &msg, nil
}

// fromStateInit returns the emulated contract a state init deploys at addr:
// nil when its hash is not the address or its code is not one the fake
// deploys by message (V4R2, V5R1Final, Highload v3, this chain's jetton
// wallets).
func (c *Chain) fromStateInit(si *tlb.StateInit, addr *address.Address) contract {
	if si.Code == nil || si.Data == nil || string(si.Code.Hash()) == string(codeJettonMaster.Hash()) {
		return nil
	}
	sc, err := tlb.ToCell(si)
	if err != nil || string(sc.Hash()) != string(addr.Data()) {
		return nil
	}
	return c.loadContract(si.Code, si.Data, addr)
}

// loadContract returns the emulated contract with code and data at addr, or
// nil when the code is not emulated. A jetton master is its live object.
func (c *Chain) loadContract(code, data *cell.Cell, addr *address.Address) contract {
	d := data.MustBeginParse()
	switch string(code.Hash()) {
	case string(codeV4R2.Hash()):
		return loadUserWallet(codeV4R2, d, false)
	case string(codeV5R1.Hash()):
		return loadUserWallet(codeV5R1, d, true)
	case string(codeHighloadV3.Hash()):
		return loadHighload(d)
	case string(codeJettonWallet.Hash()):
		return c.loadJettonWallet(d)
	case string(codeJettonMaster.Hash()):
		if j := c.jettons[key(addr)]; j != nil {
			return &jettonMaster{j: j}
		}
	}
	return nil
}

// verify checks an ed25519 signature, refusing keys of the wrong size.
func verify(pub ed25519.PublicKey, hash, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, hash, sig)
}
