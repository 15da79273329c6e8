package tontest

import (
	_ "embed"
	"fmt"
	"math/big"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// The real code of USDT on TON, the stablecoin contract of
// github.com/ton-blockchain/stablecoin-contract:
//   - usdt-jetton-minter.boc: build/JettonMinter.compiled.json at commit
//     56fd5b97 (the build since 9a53e28 "change decimals to 6", the
//     contract USDT's master runs: get_jetton_data says decimals 6);
//   - usdt-jetton-wallet.boc: build/JettonWallet.compiled.json at commit
//     f726a8c5 (unchanged since), the code USDT's jetton wallets run. On
//     mainnet it is a library cell; here the master's data holds the whole
//     code, so the wallets' state inits (and addresses) carry it.
var (
	//go:embed usdt-jetton-minter.boc
	usdtMinterBOC []byte
	//go:embed usdt-jetton-wallet.boc
	usdtWalletBOC []byte

	usdtMinterCode = mustCode(usdtMinterBOC)
	usdtWalletCode = mustCode(usdtWalletBOC)
)

func mustCode(boc []byte) *cell.Cell {
	c, err := cell.FromBOC(boc)
	if err != nil {
		panic("tontest: embedded code: " + err.Error())
	}
	return c
}

// JettonAdminAddress is the admin of every jetton master the chain deploys
// (raw form): Jetton.Mint and Jetton.SetStatus are messages from it to the
// master (mint, call_to), carrying value that comes out of nothing, as the
// faucet's do. Nothing is deployed there.
const JettonAdminAddress = "0:ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0ad0a"

var jettonAdmin = address.MustParseRawAddr(JettonAdminAddress)

// TEP-74 and stablecoin operations.
const (
	opInternalTransfer = 0x178d4519
	opMint             = 0x642b7d07
	opCallTo           = 0x235caf52
	opSetStatus        = 0xeed236d3
)

// Statuses of a stablecoin jetton wallet (Jetton.SetStatus); the master can
// still move jettons out of a wallet whatever its status.
const (
	// JettonStatusUnlocked lets a wallet send and receive.
	JettonStatusUnlocked = 0
	// JettonStatusNoSend (bit 0) makes its owner's transfers fail with
	// exit code 45.
	JettonStatusNoSend = 1
	// JettonStatusNoReceive (bit 1) makes incoming internal_transfers fail
	// with exit code 45: they bounce to the sender's jetton wallet (or the
	// master for a mint), which takes the amount back.
	JettonStatusNoReceive = 2
)

// JettonTransferTON is the TON a Wallet attaches to a jetton transfer on top
// of the forward amount, for the jetton wallets' fees; Jetton.Mint has the
// master attach it too.
const JettonTransferTON = 50_000_000

// masterGenesis is the balance a master is deployed with: the real code
// reserves 1 TON for storage before it sends.
const masterGenesis = 2_000_000_000

// jettonAdminTON is what the admin attaches to a mint or call_to beyond the
// TON forwarded to the jetton wallet, for the master's fees.
const jettonAdminTON = 100_000_000

// Jetton is a jetton on USDT's real code: a master and one wallet per
// owner, whose address is the hash of its state init (the wallet code, data
// with status 0, balance 0, owner, master), as get_wallet_address returns
// it.
type Jetton struct {
	c      *Chain
	master *address.Address
}

// NewJetton deploys a jetton master running USDT's code with no supply,
// JettonAdminAddress as its admin, the real wallet code, a metadata URI
// naming symbol and a genesis balance of 2 TON, outside any transaction
// (visible at the head block). The real code's content says decimals 6:
// another decimals panics.
func (c *Chain) NewJetton(symbol string, decimals int) *Jetton {
	if decimals != 6 {
		panic(fmt.Sprintf("tontest: the stablecoin code has 6 decimals, not %d", decimals))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// The URI carries an index so that two masters never collide.
	uri := cell.BeginCell().MustStoreStringSnake(fmt.Sprintf("tontest:jetton/%s/%d", symbol, len(c.jettons))).EndCell()
	data := cell.BeginCell().MustStoreBigCoins(new(big.Int)).MustStoreAddr(jettonAdmin).MustStoreAddr(nil).
		MustStoreRef(usdtWalletCode).MustStoreRef(uri).EndCell()
	j := &Jetton{c: c, master: stateInitAddress(&tlb.StateInit{Code: usdtMinterCode, Data: data})}
	acc := c.account(j.master)
	c.vm.deploy(acc, usdtMinterCode, data, acc.balance+masterGenesis, c.blocks[len(c.blocks)-1].now)
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
	data := cell.BeginCell().MustStoreUInt(0, 4).MustStoreBigCoins(new(big.Int)).MustStoreAddr(owner).
		MustStoreAddr(j.master).EndCell()
	return stateInitAddress(&tlb.StateInit{Code: usdtWalletCode, Data: data})
}

// Mint mints amount (raw units) to owner in a block of its own, mined
// before Mint returns: the admin's mint message runs the master, which
// sends owner's jetton wallet an internal_transfer (query_id 0, from the
// master, no response destination, forward_ton_amount 0) with
// JettonTransferTON and the wallet's state init, so it deploys. A wallet
// that refuses it (JettonStatusNoReceive) bounces it and the master takes
// the supply back.
func (j *Jetton) Mint(owner *address.Address, amount *big.Int) {
	j.c.mu.Lock()
	j.mint(owner, amount)
	j.c.mu.Unlock()
	j.c.Mine()
}

// mint queues the admin's mint for the next block; c.mu held.
func (j *Jetton) mint(owner *address.Address, amount *big.Int) {
	body := cell.BeginCell().MustStoreUInt(opInternalTransfer, 32).MustStoreUInt(0, 64).
		MustStoreBigCoins(amount).MustStoreAddr(j.master).MustStoreAddr(nil).
		MustStoreBigCoins(new(big.Int)).MustStoreBoolBit(false).EndCell() // either_forward_payload: empty, inline
	mint := cell.BeginCell().MustStoreUInt(opMint, 32).MustStoreUInt(0, 64).MustStoreAddr(owner).
		MustStoreBigCoins(new(big.Int).SetUint64(JettonTransferTON)).MustStoreRef(body).EndCell()
	j.adminSend(mint, JettonTransferTON)
}

// Lock makes owner's jetton wallet refuse (JettonStatusNoReceive) or accept
// again (JettonStatusUnlocked) every incoming internal_transfer, as the
// admin of a stablecoin can: see SetStatus.
func (j *Jetton) Lock(owner *address.Address, locked bool) {
	status := uint8(JettonStatusUnlocked)
	if locked {
		status = JettonStatusNoReceive
	}
	j.SetStatus(owner, status)
}

// SetStatus sets the status of owner's jetton wallet as the stablecoin's
// admin does (JettonStatusNoSend, JettonStatusNoReceive or both): a call_to
// from JettonAdminAddress to the master carrying set_status, in a block of
// its own mined before SetStatus returns. The real master sends it without
// a state init, so a wallet not deployed yet is first deployed by a mint of
// 0 in the same block.
func (j *Jetton) SetStatus(owner *address.Address, status uint8) {
	c := j.c
	c.mu.Lock()
	if _, data := c.account(j.WalletAddress(owner)).vmCodeData(); data == nil {
		j.mint(owner, new(big.Int))
	}
	const forward = 10_000_000
	set := cell.BeginCell().MustStoreUInt(opSetStatus, 32).MustStoreUInt(0, 64).MustStoreUInt(uint64(status), 4).EndCell()
	call := cell.BeginCell().MustStoreUInt(opCallTo, 32).MustStoreUInt(0, 64).MustStoreAddr(owner).
		MustStoreBigCoins(new(big.Int).SetUint64(forward)).MustStoreRef(set).EndCell()
	j.adminSend(call, forward)
	c.mu.Unlock()
	c.Mine()
}

// adminSend queues a message from the admin to the master carrying forward
// and the master's fees; c.mu held.
func (j *Jetton) adminSend(body *cell.Cell, forward uint64) {
	j.c.inject(&tlb.InternalMessage{
		SrcAddr: jettonAdmin,
		DstAddr: j.master,
		Amount:  tlb.FromNanoTONU(forward + jettonAdminTON),
		Body:    body,
	})
}

// BalanceOf returns the jetton balance of owner (raw units), read from its
// jetton wallet's data (status:uint4 balance:Coins owner master); 0 when
// the wallet is not deployed.
func (j *Jetton) BalanceOf(owner *address.Address) *big.Int {
	j.c.mu.Lock()
	defer j.c.mu.Unlock()
	acc := j.c.accounts[key(j.WalletAddress(owner))]
	if acc == nil {
		return new(big.Int)
	}
	_, data := acc.vmCodeData()
	if data == nil {
		return new(big.Int)
	}
	s := data.MustBeginParse()
	if _, err := s.LoadUInt(4); err != nil {
		return new(big.Int)
	}
	balance, err := s.LoadBigCoins()
	if err != nil {
		return new(big.Int)
	}
	return balance
}
