package tontest_test

import (
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/xssnick/tonutils-go/address"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/ton/tontest"
)

// On the TVM the wallets run their real code under mainnet's
// configuration: the fees are the network's (gas by gas used, forwarding
// by message size), and every transaction still books exactly.
func TestTVMWalletTransfers(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	const genesis = 10_000_000_000
	a := newWallet(t, chain, wallet.V4R2, genesis)
	b := newWallet(t, chain, wallet.V5R1Final, genesis)

	require.NoError(t, a.Send(b.Address(), 1_000_000_000, "to b", true))
	chain.Mine()
	require.NoError(t, b.Send(a.Address(), 300_000_000, "back", true))
	require.NoError(t, b.Send(randomAddr(t), 100_000_000, "bounces", true))
	chain.Mine()

	for _, w := range []*tontest.Wallet{a, b} {
		assertLedger(t, chain, w.Address(), genesis)
	}
	txs := chain.Transactions(a.Address())
	require.Len(t, txs, 2, "a: its external, b's transfer")
	ext := ordinary(t, txs[0])
	vm, ok := ext.ComputePhase.Phase.(tlb.ComputePhaseVM)
	require.True(t, ok)
	assert.True(t, vm.Success)
	assert.Greater(t, vm.Details.GasUsed.Int64(), int64(1000), "the real code used gas")
	assert.Positive(t, nano(vm.GasFees))
	assert.Positive(t, nano(txs[0].TotalFees.Coins)-phaseFees(t, txs[0]), "the import fee of the external is in total_fees")

	// The bounce from the address nobody deployed came back to b.
	btx := chain.Transactions(b.Address())
	require.Len(t, btx, 4, "b: a's transfer, its external, the bounce (the transfer to a has no answer)")
	last := btx[3].IO.In.AsInternal()
	assert.True(t, last.Bounced)

	// Get-methods run the real code too.
	m, err := api.GetMasterchainInfo(ctx)
	require.NoError(t, err)
	res, err := api.WaitForBlock(m.SeqNo).RunGetMethod(ctx, m, a.Address(), "seqno")
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.MustInt(0).Int64())
	acc := account(t, ctx, api, b.Address())
	assert.Equal(t, chain.Balance(b.Address()), acc.State.Balance.Nano().Uint64())
}

// The chain keeps the account states of the last KeepBlocks blocks only:
// memory stays bounded over a long run, older states answer -400.
func TestKeepBlocks(t *testing.T) {
	t.Parallel()
	ctx, chain, api := startWith(t, tontest.Options{KeepBlocks: 5})
	a := newWallet(t, chain, wallet.V4R2, 10_000_000_000)
	old := chain.Head()
	for i := 0; i < 20; i++ {
		require.NoError(t, a.Send(randomAddr(t), 1_000, "", false))
		chain.Mine()
	}
	assert.LessOrEqual(t, chain.Snapshots(a.Address()), 6, "snapshots of the last 5 blocks and the one before")
	_, err := api.GetAccount(ctx, old, a.Address())
	var lsErr ton.LSError
	require.ErrorAs(t, err, &lsErr)
	assert.Equal(t, int32(-400), lsErr.Code)
	head := chain.Head()
	acc, err := api.WaitForBlock(head.SeqNo).GetAccount(ctx, head, a.Address())
	require.NoError(t, err)
	assert.Equal(t, chain.Balance(a.Address()), acc.State.Balance.Nano().Uint64())
}

// Highload v3's real code on the TVM: a batch deploys the wallet, comes
// back as internal_transfer and fans out; the same external is refused
// (query id processed, exit 36) and so is one dated ahead of the chain
// (exit 35), by the contract itself.
func TestTVMHighloadV3(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	var qid atomic.Uint32
	qid.Store(1 << 10)
	var createdAt atomic.Int64
	createdAt.Store(chain.Now().Unix() - 30)
	hw := highloadWallet(t, api, &qid, createdAt.Load)
	chain.Fund(hw.WalletAddress(), 10*ton1)

	to := []*address.Address{randomAddr(t), randomAddr(t), randomAddr(t)}
	var msgs []*wallet.Message
	for i, a := range to {
		m, err := hw.BuildTransfer(a, tlb.FromNanoTONU(uint64(i+1)*ton1/10), false, fmt.Sprint("withdrawal ", i))
		require.NoError(t, err)
		msgs = append(msgs, m)
	}
	ext, err := hw.PrepareExternalMessageForMany(ctx, true, msgs)
	require.NoError(t, err)
	require.NoError(t, api.SendExternalMessage(ctx, ext))
	chain.Mine()

	txs := chain.Transactions(hw.WalletAddress())
	require.Len(t, txs, 3, "funding, external, then the internal_transfer fan-out")
	fan := ordinary(t, txs[2])
	require.NotNil(t, fan.ActionPhase)
	assert.True(t, fan.ActionPhase.Success)
	assert.Equal(t, uint16(3), fan.ActionPhase.MessagesCreated)
	for i, a := range to {
		assert.Equal(t, uint64(i+1)*ton1/10, chain.Balance(a), "destination %d got the value (uninit, no fee without code)", i)
	}
	assertLedger(t, chain, hw.WalletAddress(), 0)

	err = api.SendExternalMessage(ctx, ext)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exitcode=36", "the query id is processed")

	qid.Store(2 << 10)
	createdAt.Store(chain.Now().Unix() + 60)
	ahead, err := hw.PrepareExternalMessageForMany(ctx, false, msgs[:1])
	require.NoError(t, err)
	err = api.SendExternalMessage(ctx, ahead)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exitcode=35", "created_at ahead of the chain")

	m, err := api.GetMasterchainInfo(ctx)
	require.NoError(t, err)
	res, err := api.WaitForBlock(m.SeqNo).RunGetMethod(ctx, m, hw.WalletAddress(), "processed?", big.NewInt(1<<10), big.NewInt(0))
	require.NoError(t, err)
	assert.Equal(t, int64(-1), res.MustInt(0).Int64(), "processed? by the real get-method")
}
