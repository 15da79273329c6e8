package tontest

import (
	"math/big"
	"strconv"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/nft"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// TEP-74 operations.
const (
	opTransfer             = 0x0f8a7ea5
	opInternalTransfer     = 0x178d4519
	opTransferNotification = 0x7362d09c
	opExcesses             = 0xd53276db
)

// Jetton exit codes of the reference jetton wallet.
const (
	exitNotOwner    = 705
	exitBalance     = 706
	exitNotWallet   = 707
	exitNotEnoughTO = 709
	exitBadPayload  = 708
	exitUnknownOp   = 0xffff
	exitLocked      = 45 // a locked stablecoin (USDT) wallet
)

// Stand-in codes of the emulated jetton contracts. They are not TVM code;
// they make the state init (and so the addresses) deterministic.
var (
	codeJettonMaster = cell.BeginCell().MustStoreStringSnake("tontest: emulated TEP-74 jetton master").EndCell()
	codeJettonWallet = cell.BeginCell().MustStoreStringSnake("tontest: emulated TEP-74 jetton wallet").EndCell()
)

// Jetton is a TEP-74 jetton: a master and one wallet per owner, whose
// address is the hash of its state init (code, data with balance 0, owner,
// master), as get_wallet_address returns it.
type Jetton struct {
	c       *Chain
	master  *address.Address
	content *cell.Cell
	supply  *big.Int        // guarded by c.mu
	locked  map[string]bool // owners whose wallet refuses incoming transfers; guarded by c.mu
}

// NewJetton deploys a jetton master with on-chain metadata (symbol, name,
// decimals) and no supply.
func (c *Chain) NewJetton(symbol string, decimals int) *Jetton {
	var content nft.ContentOnchain
	for k, v := range map[string]string{"symbol": symbol, "name": symbol, "decimals": strconv.Itoa(decimals)} {
		if err := content.SetAttribute(k, v); err != nil {
			panic("tontest: jetton content: " + err.Error())
		}
	}
	cc, err := content.ContentCell()
	if err != nil {
		panic("tontest: jetton content: " + err.Error())
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	// The initial data carries an index so that two masters never collide.
	init := cell.BeginCell().MustStoreUInt(uint64(len(c.jettons)), 32).MustStoreRef(cc).EndCell()
	j := &Jetton{c: c, content: cc, supply: new(big.Int), locked: map[string]bool{}}
	j.master = stateInitAddress(&tlb.StateInit{Code: codeJettonMaster, Data: init})
	acc := c.account(j.master)
	acc.code = &jettonMaster{j: j}
	c.jettons[key(j.master)] = j
	c.snapshot(acc)
	return j
}

func stateInitAddress(si *tlb.StateInit) *address.Address {
	sc, err := tlb.ToCell(si)
	if err != nil {
		panic("tontest: state init: " + err.Error())
	}
	return address.NewAddress(0, 0, sc.Hash())
}

// Master returns the jetton master address.
func (j *Jetton) Master() *address.Address { return j.master }

// WalletAddress returns the jetton wallet address of owner.
func (j *Jetton) WalletAddress(owner *address.Address) *address.Address {
	return stateInitAddress(j.walletStateInit(owner))
}

func (j *Jetton) walletStateInit(owner *address.Address) *tlb.StateInit {
	return &tlb.StateInit{Code: codeJettonWallet, Data: jettonWalletData(new(big.Int), owner, j.master)}
}

// jettonWalletData is the reference layout: balance owner master ^code.
func jettonWalletData(balance *big.Int, owner, master *address.Address) *cell.Cell {
	return cell.BeginCell().MustStoreBigCoins(balance).MustStoreAddr(owner).MustStoreAddr(master).
		MustStoreRef(codeJettonWallet).EndCell()
}

// Mint mints amount (raw units) to owner in a block of its own, mined
// before Mint returns: the master sends owner's jetton wallet a TEP-74
// internal_transfer (query_id 0, from the master, no response destination,
// forward_ton_amount 0) with the wallet's state init, so it deploys, and
// JettonTransferTON attached out of nothing (the master has no transaction).
// The wallet gets a real transaction that a follower sees. A locked wallet
// bounces it and the master takes the supply back.
func (j *Jetton) Mint(owner *address.Address, amount *big.Int) {
	c := j.c
	body := cell.BeginCell().MustStoreUInt(opInternalTransfer, 32).MustStoreUInt(0, 64).
		MustStoreBigCoins(amount).MustStoreAddr(j.master).MustStoreAddr(nil).
		MustStoreBigCoins(new(big.Int))
	storeEither(body, nil)
	c.mu.Lock()
	j.supply.Add(j.supply, amount)
	c.touched[c.account(j.master)] = true // its data (the supply) changed
	c.inject(&tlb.InternalMessage{
		Bounce:    true,
		SrcAddr:   j.master,
		DstAddr:   j.WalletAddress(owner),
		Amount:    tlb.FromNanoTONU(JettonTransferTON),
		StateInit: j.walletStateInit(owner),
		Body:      body.EndCell(),
	})
	c.mu.Unlock()
	c.Mine()
}

// Lock makes owner's jetton wallet refuse (locked) or accept again every
// incoming internal_transfer, as the admin of a stablecoin can: a refused
// transfer fails with exit code 45 and bounces to the sending jetton
// wallet, which takes the amount back. Lock deploys a missing wallet with a
// zero balance (outside any transaction, visible at the head block).
func (j *Jetton) Lock(owner *address.Address, locked bool) {
	c := j.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if locked {
		j.locked[key(owner)] = true
	} else {
		delete(j.locked, key(owner))
	}
	acc := c.account(j.WalletAddress(owner))
	if acc.code == nil {
		acc.code = &jettonWallet{j: j, owner: owner, balance: new(big.Int)}
		c.snapshot(acc)
	}
}

// BalanceOf returns the jetton balance of owner (raw units).
func (j *Jetton) BalanceOf(owner *address.Address) *big.Int {
	j.c.mu.Lock()
	defer j.c.mu.Unlock()
	if acc := j.c.accounts[key(j.WalletAddress(owner))]; acc != nil {
		if w, ok := acc.code.(*jettonWallet); ok {
			return new(big.Int).Set(w.balance)
		}
	}
	return new(big.Int)
}

// jettonMaster emulates the master's get-methods and takes back the supply
// of a bounced mint; minting by message is not emulated (use Jetton.Mint).
type jettonMaster struct{ j *Jetton }

func (m *jettonMaster) code() *cell.Cell { return codeJettonMaster }

func (m *jettonMaster) data() *cell.Cell {
	return cell.BeginCell().MustStoreBigCoins(m.j.supply).MustStoreAddr(nil).
		MustStoreRef(m.j.content).MustStoreRef(codeJettonWallet).EndCell()
}

func (m *jettonMaster) receive(_ *exec, msg *tlb.InternalMessage) int32 {
	if amount := bouncedTransferAmount(msg); amount != nil {
		m.j.supply.Sub(m.j.supply, amount)
	}
	return 0
}

// bouncedTransferAmount is the amount of a bounced internal_transfer, nil
// for any other message.
func bouncedTransferAmount(m *tlb.InternalMessage) *big.Int {
	if !m.Bounced || m.Body == nil {
		return nil
	}
	s := m.Body.MustBeginParse()
	if tag, err := s.LoadUInt(32); err != nil || tag != 0xffffffff {
		return nil
	}
	if op, err := s.LoadUInt(32); err != nil || op != opInternalTransfer {
		return nil
	}
	if _, err := s.LoadUInt(64); err != nil {
		return nil
	}
	amount, err := s.LoadBigCoins()
	if err != nil {
		return nil
	}
	return amount
}

func (m *jettonMaster) get(_ uint32, method string, args []any) ([]any, int32) {
	switch method {
	case "get_jetton_data":
		return []any{new(big.Int).Set(m.j.supply), big.NewInt(-1), addrSlice(address.NewAddressNone()), m.j.content, codeJettonWallet}, 0
	case "get_wallet_address":
		if len(args) == 0 {
			return nil, exitStackBad
		}
		s, ok := args[0].(*cell.Slice)
		if !ok {
			return nil, exitStackBad
		}
		owner, err := s.Copy().LoadAddr()
		if err != nil {
			return nil, 9
		}
		return []any{addrSlice(m.j.WalletAddress(owner))}, 0
	}
	return nil, exitMethodUnknown
}

// jettonWallet emulates the reference TEP-74 jetton wallet.
type jettonWallet struct {
	j       *Jetton
	owner   *address.Address
	balance *big.Int
}

func (c *Chain) loadJettonWallet(d *cell.Slice) contract {
	balance, err1 := d.LoadBigCoins()
	owner, err2 := d.LoadAddr()
	master, err3 := d.LoadAddr()
	if err1 != nil || err2 != nil || err3 != nil {
		return nil
	}
	j := c.jettons[key(master)]
	if j == nil {
		return nil
	}
	return &jettonWallet{j: j, owner: owner, balance: balance}
}

func (w *jettonWallet) code() *cell.Cell { return codeJettonWallet }

func (w *jettonWallet) data() *cell.Cell { return jettonWalletData(w.balance, w.owner, w.j.master) }

func (w *jettonWallet) get(_ uint32, method string, _ []any) ([]any, int32) {
	if method == "get_wallet_data" {
		return []any{new(big.Int).Set(w.balance), addrSlice(w.owner), addrSlice(w.j.master), codeJettonWallet}, 0
	}
	return nil, exitMethodUnknown
}

func (w *jettonWallet) receive(x *exec, m *tlb.InternalMessage) int32 {
	if m.Body == nil || m.Body.BitsSize() < 32 {
		return 0 // plain TON
	}
	s := m.Body.MustBeginParse()
	if m.Bounced {
		// A bounced internal_transfer gives the jettons back; its TON stays.
		if amount := bouncedTransferAmount(m); amount != nil {
			w.balance.Add(w.balance, amount)
		}
		return 0
	}
	switch s.MustLoadUInt(32) {
	case opTransfer:
		return w.transfer(x, m)
	case opInternalTransfer:
		return w.internalTransfer(x, m, s)
	}
	return exitUnknownOp
}

// transfer handles the owner's transfer: debit, and internal_transfer to the
// destination's jetton wallet (deploying it) with the inbound value left.
func (w *jettonWallet) transfer(x *exec, m *tlb.InternalMessage) int32 {
	// Read as the reference wallet does: the fixed fields, then whatever
	// is left is the either_forward_payload, passed on unparsed (it only
	// has to hold at least one bit).
	s := m.Body.MustBeginParse()
	s.MustLoadUInt(32)
	qid, err1 := s.LoadUInt(64)
	amount, err2 := s.LoadBigCoins()
	dest, err3 := s.LoadAddr()
	resp, err4 := s.LoadAddr()
	_, err5 := s.LoadMaybeRef() // custom_payload
	fwdTON, err6 := s.LoadBigCoins()
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || err6 != nil || dest == nil || dest.IsAddrNone() {
		return 9
	}
	if s.BitsLeft() < 1 {
		return exitBadPayload
	}
	payload, err := s.ToCell()
	if err != nil {
		return 9
	}
	if m.SrcAddr == nil || !m.SrcAddr.Equals(w.owner) {
		return exitNotOwner
	}
	if amount.Sign() < 0 || amount.Cmp(w.balance) > 0 {
		return exitBalance
	}
	fwd := fwdTON.Uint64()
	msgs := uint64(2)
	if fwd > 0 {
		msgs++
	}
	if x.inValue < fwd+2*(x.c.opts.TxFee+x.c.opts.StorageFee)+msgs*x.c.opts.MsgFee {
		return exitNotEnoughTO
	}
	w.balance.Sub(w.balance, amount)
	body := cell.BeginCell().MustStoreUInt(opInternalTransfer, 32).MustStoreUInt(qid, 64).
		MustStoreBigCoins(amount).MustStoreAddr(w.owner).MustStoreAddr(resp).
		MustStoreBigCoins(fwdTON).MustStoreBuilder(payload.ToBuilder())
	x.send(64, &tlb.InternalMessage{
		Bounce:    true,
		DstAddr:   w.j.WalletAddress(dest),
		Amount:    tlb.FromNanoTONU(0),
		StateInit: w.j.walletStateInit(dest),
		Body:      body.EndCell(),
	})
	return 0
}

// internalTransfer credits jettons from the master or a sibling wallet, then
// notifies the owner (only when forward_ton_amount > 0) and returns the rest
// of the value to the response destination as excesses.
func (w *jettonWallet) internalTransfer(x *exec, m *tlb.InternalMessage, s *cell.Slice) int32 {
	if w.j.locked[key(w.owner)] {
		return exitLocked
	}
	qid, err1 := s.LoadUInt(64)
	amount, err2 := s.LoadBigCoins()
	from, err3 := s.LoadAddr()
	resp, err4 := s.LoadAddr()
	fwd, err5 := s.LoadBigCoins()
	// The forward payload goes on to the notification unparsed, as the
	// reference wallet does.
	payload, err6 := s.ToCell()
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || err6 != nil {
		return 9
	}
	if m.SrcAddr == nil || !(m.SrcAddr.Equals(w.j.master) || m.SrcAddr.Equals(w.j.WalletAddress(from))) {
		return exitNotWallet
	}
	w.balance.Add(w.balance, amount)

	left := x.msgLeft
	if fwd.Sign() > 0 {
		body := cell.BeginCell().MustStoreUInt(opTransferNotification, 32).MustStoreUInt(qid, 64).
			MustStoreBigCoins(amount).MustStoreAddr(from).MustStoreBuilder(payload.ToBuilder())
		x.send(1, &tlb.InternalMessage{DstAddr: w.owner, Amount: tlb.FromNanoTON(fwd), Body: body.EndCell()})
		left -= min(left, fwd.Uint64()+x.c.opts.MsgFee)
	}
	if resp != nil && !resp.IsAddrNone() && left > x.c.opts.MsgFee {
		x.send(2, &tlb.InternalMessage{
			DstAddr: resp, Amount: tlb.FromNanoTONU(left),
			Body: cell.BeginCell().MustStoreUInt(opExcesses, 32).MustStoreUInt(qid, 64).EndCell(),
		})
	}
	return 0
}

// storeEither stores a forward payload as (Either Cell ^Cell): inline when
// empty, as a reference otherwise.
func storeEither(b *cell.Builder, payload *cell.Cell) {
	if payload == nil || (payload.BitsSize() == 0 && payload.RefsNum() == 0) {
		b.MustStoreBoolBit(false)
		return
	}
	b.MustStoreBoolBit(true).MustStoreRef(payload)
}
