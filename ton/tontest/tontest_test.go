package tontest_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tl"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/jetton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/ton/tontest"
)

const ton1 = 1_000_000_000

// firstFrac is the share of a forwarding price the sender books in its
// total_fees, in 1/65536, in mainnet's configuration (param 25,
// first_frac); the rest travels in the message's fwd_fee.
const firstFrac = 21845

func firstPart(price int64) int64 { return price * firstFrac >> 16 }

// storageFee, gasFee and fwdFees read a transaction's phases: what its
// storage phase collected, what its compute phase charged, and its action
// phase's forwarding prices (total, and the part booked in total_fees).
func storageFee(t *testing.T, tx *tlb.Transaction) int64 {
	t.Helper()
	if sp := ordinary(t, tx).StoragePhase; sp != nil {
		return nano(sp.StorageFeesCollected)
	}
	return 0
}

func gasFee(t *testing.T, tx *tlb.Transaction) int64 {
	t.Helper()
	if vm, ok := ordinary(t, tx).ComputePhase.Phase.(tlb.ComputePhaseVM); ok {
		return nano(vm.GasFees)
	}
	return 0
}

func fwdFees(t *testing.T, tx *tlb.Transaction) (price, booked int64) {
	t.Helper()
	ap := ordinary(t, tx).ActionPhase
	require.NotNil(t, ap, "action phase")
	if ap.TotalFwdFees != nil {
		price = nano(*ap.TotalFwdFees)
	}
	if ap.TotalActionFees != nil {
		booked = nano(*ap.TotalActionFees)
	}
	return price, booked
}

// assertCredited checks that addr, an address without code, got value in
// one transaction that took only its storage fee.
func assertCredited(t *testing.T, chain *tontest.Chain, addr *address.Address, value int64, msgAndArgs ...any) {
	t.Helper()
	txs := chain.Transactions(addr)
	require.Len(t, txs, 1, msgAndArgs...)
	assert.IsType(t, tlb.ComputePhaseSkipped{}, ordinary(t, txs[0]).ComputePhase.Phase)
	assert.Equal(t, storageFee(t, txs[0]), nano(txs[0].TotalFees.Coins), msgAndArgs...)
	assert.Equal(t, value-storageFee(t, txs[0]), int64(chain.Balance(addr)), msgAndArgs...)
}

// spent is what tx took from its account beyond the value it brought:
// total_fees and every message sent with its fwd_fee.
func spent(t *testing.T, tx *tlb.Transaction) int64 {
	t.Helper()
	n := nano(tx.TotalFees.Coins)
	for _, m := range outs(t, tx) {
		n += nano(m.Amount) + nano(m.FwdFee)
	}
	return n
}

func start(t *testing.T) (context.Context, *tontest.Chain, ton.APIClientWrapped) {
	t.Helper()
	return startWith(t, tontest.Options{})
}

func startWith(t *testing.T, opts tontest.Options) (context.Context, *tontest.Chain, ton.APIClientWrapped) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	chain, err := tontest.Start(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(chain.Close)
	api, err := chain.Client(ctx)
	require.NoError(t, err)
	return ctx, chain, api
}

func newWallet(t *testing.T, chain *tontest.Chain, v wallet.Version, nano uint64) *tontest.Wallet {
	t.Helper()
	w, err := chain.NewWallet(v, nano)
	require.NoError(t, err)
	return w
}

// randomAddr is an address nobody deployed.
func randomAddr(t *testing.T) *address.Address {
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	return address.NewAddress(0, 0, pub)
}

func account(t *testing.T, ctx context.Context, api ton.APIClientWrapped, addr *address.Address) *tlb.Account {
	t.Helper()
	m, err := api.GetMasterchainInfo(ctx)
	require.NoError(t, err)
	acc, err := api.WaitForBlock(m.SeqNo).GetAccount(ctx, m, addr)
	require.NoError(t, err)
	return acc
}

func ordinary(t *testing.T, tx *tlb.Transaction) tlb.TransactionDescriptionOrdinary {
	t.Helper()
	d, ok := tx.Description.(tlb.TransactionDescriptionOrdinary)
	require.True(t, ok, "description %T", tx.Description)
	return d
}

func outs(t *testing.T, tx *tlb.Transaction) []*tlb.InternalMessage {
	t.Helper()
	if tx.IO.Out == nil {
		return nil
	}
	list, err := tx.IO.Out.ToSlice()
	require.NoError(t, err)
	var res []*tlb.InternalMessage
	for _, m := range list {
		res = append(res, m.AsInternal())
	}
	return res
}

func nano(c tlb.Coins) int64 { return c.Nano().Int64() }

// assertLedger checks the booking identity on every transaction of addr:
//
//	balance_after - balance_before == in.value - total_fees - Σ out (value + fwd_fee)
//
// with total_fees the sum of what the phases collected (storage, gas, the
// booked part of forwarding fees, the bounce's), each transaction starting
// from the balance the previous one left (the first from genesis) and the
// last leaving the balance the chain holds.
func assertLedger(t *testing.T, chain *tontest.Chain, addr *address.Address, genesis uint64) {
	t.Helper()
	txs := chain.Transactions(addr)
	changes := chain.BalanceChanges(addr)
	require.Len(t, changes, len(txs))
	bal := int64(genesis)
	for i, tx := range txs {
		ch := changes[i]
		require.Equal(t, tx.LT, ch.LT)
		assert.Equal(t, bal, int64(ch.Before), "tx %d of %s starts from the balance the last one left", i, addr)
		want := -nano(tx.TotalFees.Coins)
		if tx.IO.In != nil && tx.IO.In.MsgType == tlb.MsgTypeInternal {
			want += nano(tx.IO.In.AsInternal().Amount)
		}
		for _, m := range outs(t, tx) {
			want -= nano(m.Amount) + nano(m.FwdFee)
		}
		assert.Equal(t, want, int64(ch.After)-int64(ch.Before), "balance change of tx %d (lt %d) of %s", i, tx.LT, addr)
		if tx.IO.In != nil && tx.IO.In.MsgType == tlb.MsgTypeExternalIn {
			// The import fee of an external message is in total_fees and in no phase.
			assert.GreaterOrEqual(t, nano(tx.TotalFees.Coins), phaseFees(t, tx), "total_fees of tx %d of %s", i, addr)
		} else {
			assert.Equal(t, phaseFees(t, tx), nano(tx.TotalFees.Coins), "total_fees of tx %d of %s", i, addr)
		}
		bal = int64(ch.After)
	}
	assert.Equal(t, bal, int64(chain.Balance(addr)), "balance of %s", addr)
}

// phaseFees is what the phases of tx say they collected.
func phaseFees(t *testing.T, tx *tlb.Transaction) int64 {
	t.Helper()
	d := ordinary(t, tx)
	var fees int64
	if d.StoragePhase != nil {
		fees += nano(d.StoragePhase.StorageFeesCollected)
	}
	if vm, ok := d.ComputePhase.Phase.(tlb.ComputePhaseVM); ok {
		fees += nano(vm.GasFees)
	}
	if d.ActionPhase != nil && d.ActionPhase.TotalActionFees != nil {
		fees += nano(*d.ActionPhase.TotalActionFees)
	}
	if d.BouncePhase != nil {
		if ok, is := d.BouncePhase.Phase.(tlb.BouncePhaseOk); is {
			fees += nano(ok.MsgFees)
		}
	}
	return fees
}

func TestTransferWithComment(t *testing.T) {
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	bob := newWallet(t, chain, wallet.V5R1Final, ton1)

	require.NoError(t, alice.Send(bob.Address(), ton1, "hello bob", false))
	seqno := chain.Mine()

	acc := account(t, ctx, api, bob.Address())
	require.True(t, acc.IsActive)
	assert.Equal(t, tlb.AccountStatus(tlb.AccountStatusActive), acc.State.Status)
	txs := chain.Transactions(bob.Address())
	require.Len(t, txs, 1)
	tx := txs[0]
	// Credited first (not bounceable), then storage and compute.
	assert.True(t, ordinary(t, tx).CreditFirst)
	assert.Positive(t, gasFee(t, tx))
	assert.Equal(t, 2*ton1-phaseFees(t, tx), nano(acc.State.Balance))
	assert.Equal(t, tx.LT, acc.LastTxLT)
	assert.Equal(t, tx.Hash, acc.LastTxHash)
	assert.Equal(t, uint64(0), tx.PrevTxLT)
	assert.InDelta(t, chain.Now().Unix(), int64(tx.Now), 2)
	in := tx.IO.In.AsInternal()
	assert.Equal(t, "hello bob", in.Comment())
	assert.True(t, in.SrcAddr.Equals(alice.Address()))
	assert.Equal(t, uint64(ton1), in.Amount.Nano().Uint64())
	d := ordinary(t, tx)
	vm, ok := d.ComputePhase.Phase.(tlb.ComputePhaseVM)
	require.True(t, ok)
	assert.True(t, vm.Success)
	assert.False(t, d.Aborted)

	// Alice's external transaction sent exactly one message, fees apart
	// (mode 3): she pays the full forwarding price, books only its first
	// part in total_fees, and the rest is in the message's fwd_fee.
	atxs := chain.Transactions(alice.Address())
	require.Len(t, atxs, 1)
	assert.Equal(t, tlb.MsgTypeExternalIn, atxs[0].IO.In.MsgType)
	price, booked := fwdFees(t, atxs[0])
	assert.Positive(t, price)
	assert.Equal(t, firstPart(price), booked)
	sent := outs(t, atxs[0])
	require.Len(t, sent, 1)
	assert.Equal(t, int64(ton1), nano(sent[0].Amount))
	assert.Equal(t, price-booked, nano(sent[0].FwdFee))
	assert.Greater(t, nano(atxs[0].TotalFees.Coins), storageFee(t, atxs[0])+gasFee(t, atxs[0])+booked, "and the import fee")
	assert.Equal(t, 10*ton1-ton1-nano(atxs[0].TotalFees.Coins)-(price-booked), int64(chain.Balance(alice.Address())))
	assertLedger(t, chain, alice.Address(), 10*ton1)
	assertLedger(t, chain, bob.Address(), ton1)

	res, err := api.WaitForBlock(seqno).RunGetMethod(ctx, chain.Head(), alice.Address(), "seqno")
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.MustInt(0).Int64())
}

func TestBounceAndUninit(t *testing.T) {
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	bounceTo, creditTo := randomAddr(t), randomAddr(t)

	require.NoError(t, alice.Send(bounceTo, ton1, "", true))
	require.NoError(t, alice.Send(creditTo, ton1, "gift", false))
	chain.Mine()

	// bounce=true to an account without code: the value comes back, less
	// the forwarding price of the bounce (no compute fee: compute was
	// skipped; storage was taken before the credit, from nothing).
	btx := chain.Transactions(bounceTo)
	require.Len(t, btx, 1)
	d := ordinary(t, btx[0])
	assert.True(t, d.Aborted)
	assert.False(t, d.CreditFirst)
	assert.Zero(t, nano(d.StoragePhase.StorageFeesCollected))
	assert.IsType(t, tlb.ComputePhaseSkipped{}, d.ComputePhase.Phase)
	require.NotNil(t, d.BouncePhase)
	require.IsType(t, tlb.BouncePhaseOk{}, d.BouncePhase.Phase)
	bp := d.BouncePhase.Phase.(tlb.BouncePhaseOk)
	price := nano(bp.MsgFees) + nano(bp.FwdFees)
	assert.Positive(t, price)
	assert.Equal(t, firstPart(price), nano(bp.MsgFees))
	assert.Equal(t, nano(bp.MsgFees), nano(btx[0].TotalFees.Coins))
	back := outs(t, btx[0])
	require.Len(t, back, 1)
	assert.True(t, back[0].Bounced)
	assert.Equal(t, ton1-price, nano(back[0].Amount))
	assert.Equal(t, nano(bp.FwdFees), nano(back[0].FwdFee))
	assert.False(t, account(t, ctx, api, bounceTo).IsActive, "nothing stays on a bounced account")
	assert.Zero(t, chain.Balance(bounceTo))

	atx := chain.Transactions(alice.Address())
	require.Len(t, atx, 3)
	last := atx[2].IO.In.AsInternal()
	assert.True(t, last.Bounced)
	assert.True(t, last.SrcAddr.Equals(bounceTo))
	// Two externals sending with mode 3, then the bounce credited and her
	// code run.
	assert.Equal(t, 10*ton1-spent(t, atx[0])-spent(t, atx[1])+(ton1-price)-phaseFees(t, atx[2]), int64(chain.Balance(alice.Address())))
	assertLedger(t, chain, alice.Address(), 10*ton1)
	assertLedger(t, chain, bounceTo, 0)
	assertLedger(t, chain, creditTo, 0)

	// bounce=false: the account stays uninit, holding the value.
	acc := account(t, ctx, api, creditTo)
	require.True(t, acc.IsActive)
	assert.Equal(t, tlb.AccountStatus(tlb.AccountStatusUninit), acc.State.Status)
	ctx2 := chain.Transactions(creditTo)
	require.Len(t, ctx2, 1)
	assert.Nil(t, ordinary(t, ctx2[0]).BouncePhase)
	assert.True(t, ordinary(t, ctx2[0]).CreditFirst)
	assert.Equal(t, ton1-storageFee(t, ctx2[0]), nano(acc.State.Balance))
	assert.Equal(t, storageFee(t, ctx2[0]), nano(ctx2[0].TotalFees.Coins))
	assert.Equal(t, "gift", ctx2[0].IO.In.AsInternal().Comment())

	// Get-methods on an account without code answer exit code -256.
	_, err := api.RunGetMethod(ctx, chain.Head(), creditTo, "seqno")
	var ce ton.ContractExecError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, int32(ton.ErrCodeContractNotInitialized), ce.Code)
}

func TestListTransactionsPaging(t *testing.T) {
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 100*ton1)
	bob := newWallet(t, chain, wallet.V4R2, 0)
	const n = 50
	for i := range n {
		require.NoError(t, alice.Send(bob.Address(), ton1/100, fmt.Sprint(i), false))
	}
	chain.Mine()

	acc := account(t, ctx, api, bob.Address())
	var all []*tlb.Transaction
	lt, hash := acc.LastTxLT, acc.LastTxHash
	pages := 0
	for lt != 0 {
		page, err := api.ListTransactions(ctx, bob.Address(), 16, lt, hash)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 16)
		pages++
		all = append(page, all...)
		lt, hash = page[0].PrevTxLT, page[0].PrevTxHash
	}
	require.Len(t, all, n)
	assert.Equal(t, 4, pages)
	for i, tx := range all {
		assert.Equal(t, fmt.Sprint(i), tx.IO.In.AsInternal().Comment())
		if i > 0 {
			assert.Greater(t, tx.LT, all[i-1].LT)
			assert.Equal(t, all[i-1].Hash, tx.PrevTxHash)
		}
	}
	assertLedger(t, chain, alice.Address(), 100*ton1)
	assertLedger(t, chain, bob.Address(), 0)

	// Pruned history: the node answers -400 once the pager reaches it.
	chain.PruneBefore(bob.Address(), all[20].LT)
	page, err := api.ListTransactions(ctx, bob.Address(), 16, all[n-1].LT, all[n-1].Hash)
	require.NoError(t, err)
	require.Len(t, page, 16)
	page, err = api.ListTransactions(ctx, bob.Address(), 16, page[0].PrevTxLT, page[0].PrevTxHash)
	require.NoError(t, err)
	require.Len(t, page, 14, "a short page ends at the pruned boundary")
	_, err = api.ListTransactions(ctx, bob.Address(), 16, page[0].PrevTxLT, page[0].PrevTxHash)
	var lsErr ton.LSError
	require.ErrorAs(t, err, &lsErr)
	assert.Equal(t, int32(-400), lsErr.Code)
}

func TestGetMethods(t *testing.T) {
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V5R1Final, ton1)
	block := chain.Head()

	res, err := api.RunGetMethod(ctx, block, alice.Address(), "get_public_key")
	require.NoError(t, err)
	pub := alice.PrivateKey().Public().(ed25519.PublicKey)
	assert.Equal(t, new(big.Int).SetBytes(pub), res.MustInt(0))

	key, err := wallet.GetPublicKey(ctx, api, alice.Address())
	require.NoError(t, err)
	assert.Equal(t, pub, key)

	_, err = api.RunGetMethod(ctx, block, alice.Address(), "no_such_method")
	var ce ton.ContractExecError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, int32(11), ce.Code)
}

// A real tonutils-go wallet on the client signs its own messages; the chain
// checks signature and seqno and runs them.
func TestRealWalletOverClient(t *testing.T) {
	ctx, chain, api := start(t)
	for _, v := range []wallet.Version{wallet.V4R2, wallet.V5R1Final} {
		t.Run(v.String(), func(t *testing.T) {
			own := newWallet(t, chain, v, 5*ton1)
			var cfg wallet.VersionConfig = v
			if v == wallet.V5R1Final {
				cfg = wallet.ConfigV5R1Final{NetworkGlobalID: wallet.TestnetGlobalID}
			}
			w, err := wallet.FromPrivateKey(api, own.PrivateKey(), cfg)
			require.NoError(t, err)
			require.True(t, w.WalletAddress().Equals(own.Address()))
			freshSeqno(t, api, w)
			to := randomAddr(t)

			chain.AutoMine(50 * time.Millisecond)
			defer chain.AutoMine(0)
			tx, _, err := w.TransferWaitTransaction(ctx, to.Bounce(false), tlb.FromNanoTONU(ton1), "paid")
			require.NoError(t, err)
			assert.Equal(t, tlb.MsgTypeExternalIn, tx.IO.In.MsgType)
			require.Eventually(t, func() bool { return chain.Balance(to) > 0 }, 5*time.Second, 10*time.Millisecond)
			assertCredited(t, chain, to, ton1)
			assertLedger(t, chain, own.Address(), 5*ton1)

			// A forged signature is refused by sendMessage.
			msg, err := w.BuildTransfer(to, tlb.FromNanoTONU(1), false, "")
			require.NoError(t, err)
			ext, err := w.PrepareExternalMessageForMany(ctx, false, []*wallet.Message{msg})
			require.NoError(t, err)
			_, other, _ := ed25519.GenerateKey(nil)
			forged, err := wallet.FromPrivateKey(api, other, cfg)
			require.NoError(t, err)
			fext, err := forged.PrepareExternalMessageForMany(ctx, false, []*wallet.Message{msg})
			require.NoError(t, err)
			fext.DstAddr = ext.DstAddr
			require.Error(t, api.SendExternalMessage(ctx, fext))
			require.NoError(t, api.SendExternalMessage(ctx, ext))
		})
	}
}

func TestJettonTransfer(t *testing.T) {
	ctx, chain, api := start(t)
	usdt := chain.NewJetton("USDT", 6)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	bob := newWallet(t, chain, wallet.V4R2, ton1)
	usdt.Mint(alice.Address(), big.NewInt(1_000_000))

	master := jetton.NewJettonMasterClient(api, usdt.Master())
	data, err := master.GetJettonData(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1_000_000), data.TotalSupply.Int64())
	aliceJW, err := master.GetJettonWallet(ctx, alice.Address())
	require.NoError(t, err)
	assert.True(t, aliceJW.Address().Equals(usdt.WalletAddress(alice.Address())))
	bal, err := aliceJW.GetBalance(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1_000_000), bal.Int64())
	bobJW, err := master.GetJettonWallet(ctx, bob.Address())
	require.NoError(t, err)
	bal, err = bobJW.GetBalance(ctx)
	require.NoError(t, err)
	assert.Zero(t, bal.Int64(), "undeployed jetton wallet")

	t.Run("with notification", func(t *testing.T) {
		require.NoError(t, alice.SendJetton(usdt, bob.Address(), big.NewInt(250_000), 1, "order-42"))
		chain.Mine()
		bal, err := bobJW.GetBalanceAtBlock(ctx, chain.Head())
		require.NoError(t, err)
		assert.Equal(t, int64(250_000), bal.Int64())

		txs := chain.Transactions(bob.Address())
		require.Len(t, txs, 1)
		in := txs[0].IO.In.AsInternal()
		assert.True(t, in.SrcAddr.Equals(bobJW.Address()), "notification comes from bob's jetton wallet")
		assert.Equal(t, uint64(1), in.Amount.Nano().Uint64())
		var tn jetton.TransferNotification
		require.NoError(t, tlb.Parse(&tn, in.Body))
		assert.Equal(t, int64(250_000), tn.Amount.Nano().Int64())
		assert.True(t, tn.Sender.Equals(alice.Address()))
		fp := tn.ForwardPayload.MustBeginParse()
		assert.Zero(t, fp.MustLoadUInt(32))
		assert.Equal(t, "order-42", fp.MustLoadStringSnake())

		// Excesses come back to alice.
		atx := chain.Transactions(alice.Address())
		last := atx[len(atx)-1].IO.In.AsInternal()
		assert.Equal(t, uint64(0xd53276db), last.Body.MustBeginParse().MustLoadUInt(32))
		assertLedger(t, chain, alice.Address(), 10*ton1)
		assertLedger(t, chain, usdt.WalletAddress(alice.Address()), 0)
		assertLedger(t, chain, usdt.WalletAddress(bob.Address()), 0)
	})

	t.Run("forward 0 sends no notification", func(t *testing.T) {
		before := len(chain.Transactions(bob.Address()))
		require.NoError(t, alice.SendJetton(usdt, bob.Address(), big.NewInt(50_000), 0, ""))
		chain.Mine()
		assert.Len(t, chain.Transactions(bob.Address()), before)
		assert.Equal(t, int64(300_000), usdt.BalanceOf(bob.Address()).Int64())
		jtx := chain.Transactions(usdt.WalletAddress(bob.Address()))
		in := jtx[len(jtx)-1].IO.In.AsInternal()
		assert.Equal(t, uint64(0x178d4519), in.Body.MustBeginParse().MustLoadUInt(32))
	})

	t.Run("insufficient balance bounces", func(t *testing.T) {
		require.NoError(t, alice.SendJetton(usdt, bob.Address(), big.NewInt(5_000_000), 1, ""))
		chain.Mine()
		jtx := chain.Transactions(usdt.WalletAddress(alice.Address()))
		d := ordinary(t, jtx[len(jtx)-1])
		assert.True(t, d.Aborted)
		vm := d.ComputePhase.Phase.(tlb.ComputePhaseVM)
		assert.Equal(t, int32(47), vm.Details.ExitCode, "the stablecoin's balance_error")
		require.IsType(t, tlb.BouncePhaseOk{}, d.BouncePhase.Phase)
		bp := d.BouncePhase.Phase.(tlb.BouncePhaseOk)
		atx := chain.Transactions(alice.Address())
		back := atx[len(atx)-1].IO.In.AsInternal()
		assert.True(t, back.Bounced)
		// What came in, less the jetton wallet's compute and the bounce's
		// forwarding price (its storage was taken before the credit).
		assert.Equal(t, tontest.JettonTransferTON+1-gasFee(t, jtx[len(jtx)-1])-nano(bp.MsgFees)-nano(bp.FwdFees), nano(back.Amount))
		assert.Equal(t, nano(bp.FwdFees), nano(back.FwdFee))
		assert.Equal(t, int64(700_000), usdt.BalanceOf(alice.Address()).Int64())
		assertLedger(t, chain, alice.Address(), 10*ton1)
		assertLedger(t, chain, usdt.WalletAddress(alice.Address()), 0)
	})
}

// highloadWallet is the service's hot wallet as tonpay builds it.
func highloadWallet(t *testing.T, api ton.APIClientWrapped, qid *atomic.Uint32, createdAt func() int64) *wallet.Wallet {
	t.Helper()
	w, err := wallet.FromSeedWithOptions(api, wallet.NewSeed(), wallet.ConfigHighloadV3{
		MessageTTL: 300,
		MessageBuilder: func(context.Context, uint32) (uint32, int64, error) {
			return qid.Load(), createdAt(), nil
		},
	})
	require.NoError(t, err)
	w, err = w.GetSubwallet(0x10ad)
	require.NoError(t, err)
	return w
}

func TestHighloadV3(t *testing.T) {
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
	boc, err := tlb.ToCell(ext)
	require.NoError(t, err)

	require.NoError(t, api.SendExternalMessage(ctx, ext))
	chain.Mine()

	txs := chain.Transactions(hw.WalletAddress())
	require.Len(t, txs, 3, "funding, external, then the internal_transfer fan-out")
	// The external deploys the funded (uninit) wallet from its state init.
	assert.Equal(t, tlb.AccountStatus(tlb.AccountStatusUninit), txs[1].OrigStatus)
	assert.Equal(t, tlb.AccountStatus(tlb.AccountStatusActive), txs[1].EndStatus)
	assert.True(t, ordinary(t, txs[1]).ComputePhase.Phase.(tlb.ComputePhaseVM).Success)
	self := outs(t, txs[1])
	require.Len(t, self, 1)
	assert.True(t, self[0].DstAddr.Equals(hw.WalletAddress()))
	assert.Equal(t, uint64(0xae42e5a4), self[0].Body.MustBeginParse().MustLoadUInt(32))
	fan := ordinary(t, txs[2])
	require.NotNil(t, fan.ActionPhase)
	assert.True(t, fan.ActionPhase.Success)
	assert.Zero(t, fan.ActionPhase.SkippedActions)
	assert.Equal(t, uint16(3), fan.ActionPhase.MessagesCreated)
	price, booked := fwdFees(t, txs[2])
	assert.Equal(t, phaseFees(t, txs[2]), nano(txs[2].TotalFees.Coins))
	var travelling int64
	for i, a := range to {
		assertCredited(t, chain, a, int64(i+1)*ton1/10)
		rtx := chain.Transactions(a)
		in := rtx[0].IO.In.AsInternal()
		assert.Equal(t, fmt.Sprint("withdrawal ", i), in.Comment())
		assert.Equal(t, price/3-firstPart(price/3), nano(in.FwdFee), "three messages of the same size")
		travelling += nano(in.FwdFee)
		assertLedger(t, chain, a, 0)
	}
	assert.Equal(t, price-booked, travelling)
	assertLedger(t, chain, hw.WalletAddress(), 0)

	res, err := api.RunGetMethod(ctx, chain.Head(), hw.WalletAddress(), "processed?", big.NewInt(1<<10), big.NewInt(0))
	require.NoError(t, err)
	assert.Equal(t, int64(-1), res.MustInt(0).Int64())
	res, err = api.RunGetMethod(ctx, chain.Head(), hw.WalletAddress(), "processed?", big.NewInt(1<<10+1), big.NewInt(0))
	require.NoError(t, err)
	assert.Zero(t, res.MustInt(0).Int64())
	res, err = api.RunGetMethod(ctx, chain.Head(), hw.WalletAddress(), "get_subwallet_id")
	require.NoError(t, err)
	assert.Equal(t, int64(0x10ad), res.MustInt(0).Int64())

	// Replaying the same BOC is refused and pays nobody twice.
	require.Error(t, api.SendExternalMessage(ctx, ext))
	require.Error(t, chain.SendExternal(boc.ToBOC()))
	chain.Mine()
	assert.Len(t, chain.Transactions(hw.WalletAddress()), 3)
	assertCredited(t, chain, to[0], ton1/10)

	rejected := func(name string, id uint32, at int64) {
		t.Run(name, func(t *testing.T) {
			qid.Store(id)
			createdAt.Store(at)
			m, err := hw.BuildTransfer(to[0], tlb.FromNanoTONU(1), false, "")
			require.NoError(t, err)
			ext, err := hw.PrepareExternalMessageForMany(ctx, false, []*wallet.Message{m})
			require.NoError(t, err)
			err = api.SendExternalMessage(ctx, ext)
			require.Error(t, err)
			chain.Mine()
			assert.Len(t, chain.Transactions(hw.WalletAddress()), 3, "no transaction")
		})
	}
	now := chain.Now().Unix()
	rejected("created_at in the future", 2<<10, now+60)
	rejected("created_at too old", 3<<10, now-300)
	rejected("query id bit 1023", 4<<10|1023, now-30)

	// One message without state init goes out of the external transaction,
	// through the tonutils-go send-and-wait flow.
	qid.Store(5 << 10)
	createdAt.Store(now - 30)
	chain.AutoMine(50 * time.Millisecond)
	defer chain.AutoMine(0)
	m, err := hw.BuildTransfer(to[1], tlb.FromNanoTONU(ton1), false, "single")
	require.NoError(t, err)
	tx, _, err := hw.SendManyWaitTransaction(ctx, []*wallet.Message{m})
	require.NoError(t, err)
	single := outs(t, tx)
	require.Len(t, single, 1)
	assert.True(t, single[0].DstAddr.Equals(to[1]))
	assertLedger(t, chain, hw.WalletAddress(), 0)
}

func TestFaults(t *testing.T) {
	ctx, chain, api := start(t)

	t.Run("lite-server error", func(t *testing.T) {
		chain.FailNext(1, 500)
		_, err := api.GetMasterchainInfo(ctx)
		var lsErr ton.LSError
		require.ErrorAs(t, err, &lsErr)
		assert.Equal(t, int32(500), lsErr.Code)
		_, err = api.GetMasterchainInfo(ctx)
		require.NoError(t, err)
	})

	t.Run("retried codes surface after four attempts", func(t *testing.T) {
		chain.FailNext(3, 651)
		_, err := api.GetMasterchainInfo(ctx)
		require.NoError(t, err, "WithRetry hides three failures")
		chain.FailNext(4, 651)
		_, err = api.GetMasterchainInfo(ctx)
		var lsErr ton.LSError
		require.ErrorAs(t, err, &lsErr)
		assert.Equal(t, int32(651), lsErr.Code)
	})

	t.Run("timeout", func(t *testing.T) {
		chain.Delay(2 * time.Second)
		short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		_, err := api.GetMasterchainInfo(short)
		require.Error(t, err)
		chain.Delay(0)
		_, err = api.GetMasterchainInfo(ctx)
		require.NoError(t, err)
	})

	t.Run("dropped external never lands", func(t *testing.T) {
		own := newWallet(t, chain, wallet.V4R2, ton1)
		w, err := wallet.FromPrivateKey(api, own.PrivateKey(), wallet.V4R2)
		require.NoError(t, err)
		msg, err := w.BuildTransfer(randomAddr(t), tlb.FromNanoTONU(1000), false, "")
		require.NoError(t, err)
		ext, err := w.BuildExternalMessageForMany(ctx, []*wallet.Message{msg})
		require.NoError(t, err)

		chain.DropExternals(true)
		require.NoError(t, api.SendExternalMessage(ctx, ext))
		chain.Mine()
		assert.Empty(t, chain.Transactions(own.Address()))

		chain.DropExternals(false)
		require.NoError(t, api.SendExternalMessage(ctx, ext))
		chain.Mine()
		assert.Len(t, chain.Transactions(own.Address()), 1)
	})
}

func TestWaitForBlockLongPoll(t *testing.T) {
	ctx, chain, api := start(t)
	m, err := api.GetMasterchainInfo(ctx)
	require.NoError(t, err)

	go func() {
		time.Sleep(300 * time.Millisecond)
		chain.Mine()
	}()
	began := time.Now()
	next, err := api.WaitForBlock(m.SeqNo + 1).GetMasterchainInfo(ctx)
	require.NoError(t, err)
	took := time.Since(began)
	assert.Equal(t, m.SeqNo+1, next.SeqNo)
	assert.GreaterOrEqual(t, took, 250*time.Millisecond, "held until the block exists")
	assert.Less(t, took, 2*time.Second, "answered soon after Mine")
}

func TestClock(t *testing.T) {
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, ton1)
	chain.Advance(time.Hour)
	require.NoError(t, alice.Send(randomAddr(t), 1000, "", false))
	chain.Mine()
	tx := chain.Transactions(alice.Address())[0]
	assert.InDelta(t, time.Now().Add(time.Hour).Unix(), int64(tx.Now), 2)
	now, err := api.GetTime(ctx)
	require.NoError(t, err)
	assert.InDelta(t, time.Now().Add(time.Hour).Unix(), int64(now), 2)
	assert.Contains(t, chain.LiteServers(), "127.0.0.1:")
}

// freshSeqno makes a client wallet read its seqno at the newest block: by
// default tonutils-go reads it at api.CurrentMasterchainInfo, cached for
// 5 s, which now answers with the state of that older block.
func freshSeqno(t *testing.T, api ton.APIClientWrapped, w *wallet.Wallet) {
	t.Helper()
	fetch := func(ctx context.Context, _ uint32) (uint32, error) {
		m, err := api.GetMasterchainInfo(ctx)
		if err != nil {
			return 0, err
		}
		res, err := api.WaitForBlock(m.SeqNo).RunGetMethod(ctx, m, w.WalletAddress(), "seqno")
		if err != nil {
			return 0, err
		}
		return uint32(res.MustInt(0).Uint64()), nil
	}
	switch spec := w.GetSpec().(type) {
	case *wallet.SpecV4R2:
		spec.SetSeqnoFetcher(fetch)
	case *wallet.SpecV5R1Final:
		spec.SetSeqnoFetcher(fetch)
	default:
		t.Fatalf("no seqno fetcher for %T", spec)
	}
}

// Forwarding fees are split as on mainnet: the sender pays the full price
// P, books P*first_frac/65536 in total_fees and the rest travels in the
// message's fwd_fee; what arrives is the message's value. Without send mode
// +1 the price comes out of the value.
func TestForwardFeeSplit(t *testing.T) {
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	w, err := wallet.FromPrivateKey(api, alice.PrivateKey(), wallet.V4R2)
	require.NoError(t, err)
	freshSeqno(t, api, w)
	apart, inside := randomAddr(t), randomAddr(t)
	m1, err := w.BuildTransfer(apart, tlb.FromNanoTONU(ton1), false, "")
	require.NoError(t, err)
	require.Equal(t, uint8(wallet.PayGasSeparately+wallet.IgnoreErrors), m1.Mode)
	m2, err := w.BuildTransfer(inside, tlb.FromNanoTONU(ton1), false, "")
	require.NoError(t, err)
	m2.Mode = wallet.IgnoreErrors
	ext, err := w.BuildExternalMessageForMany(ctx, []*wallet.Message{m1, m2})
	require.NoError(t, err)
	require.NoError(t, api.SendExternalMessage(ctx, ext))
	chain.Mine()

	txs := chain.Transactions(alice.Address())
	require.Len(t, txs, 1)
	tx := txs[0]
	total, booked := fwdFees(t, tx)
	p := total / 2 // two messages of the same size
	f := firstPart(p)
	require.Positive(t, f)
	assert.Equal(t, 2*f, booked)
	sent := outs(t, tx)
	require.Len(t, sent, 2)
	assert.Equal(t, int64(ton1), nano(sent[0].Amount), "mode 3: price paid apart")
	assert.Equal(t, ton1-p, nano(sent[1].Amount), "mode 2: price out of the value")
	for _, m := range sent {
		assert.Equal(t, p-f, nano(m.FwdFee))
	}
	// total_fees holds the booked 2f; the first price's rest leaves in
	// its fwd_fee, the second price came out of the value.
	assert.Equal(t, 10*ton1-nano(tx.TotalFees.Coins)-2*ton1-p+2*f, int64(chain.Balance(alice.Address())))

	// Each destination gets the message's value, then pays its storage.
	for addr, value := range map[*address.Address]int64{apart: ton1, inside: ton1 - p} {
		rtx := chain.Transactions(addr)
		require.Len(t, rtx, 1)
		assert.Equal(t, value, nano(rtx[0].IO.In.AsInternal().Amount))
		assertCredited(t, chain, addr, value)
		assertLedger(t, chain, addr, 0)
	}
	assertLedger(t, chain, alice.Address(), 10*ton1)
}

// Storage is paid by time and size on every transaction: externals,
// messages to accounts without code (compute skipped), bounces; before the
// credit for a bounceable message, after it otherwise.
func TestStorageFee(t *testing.T) {
	_, chain, _ := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)

	// An uninit account holding TON: a month later a bounceable message
	// pays storage out of the old balance, then bounces whole less the
	// forwarding price.
	held := randomAddr(t)
	chain.Fund(held, ton1)
	assertCredited(t, chain, held, ton1)
	start := int64(chain.Balance(held))
	chain.Advance(30 * 24 * time.Hour)
	require.NoError(t, alice.Send(held, ton1, "", true))
	chain.Mine()
	htx := chain.Transactions(held)
	require.Len(t, htx, 2)
	d := ordinary(t, htx[1])
	assert.False(t, d.CreditFirst)
	s := storageFee(t, htx[1])
	assert.Positive(t, s, "a month of storage")
	require.IsType(t, tlb.BouncePhaseOk{}, d.BouncePhase.Phase)
	bp := d.BouncePhase.Phase.(tlb.BouncePhaseOk)
	assert.Equal(t, s+nano(bp.MsgFees), nano(htx[1].TotalFees.Coins))
	back := outs(t, htx[1])
	require.Len(t, back, 1)
	assert.Equal(t, ton1-nano(bp.MsgFees)-nano(bp.FwdFees), nano(back[0].Amount))
	assert.Equal(t, start-s, int64(chain.Balance(held)))
	assertLedger(t, chain, held, 0)

	// Alice: her external a month after her genesis pays a month of
	// storage; the bounce, credited first, pays none (no time passed).
	atx := chain.Transactions(alice.Address())
	require.Len(t, atx, 2)
	assert.Greater(t, storageFee(t, atx[0]), s, "a wallet's state is bigger than an uninit account's")
	assert.True(t, ordinary(t, atx[1]).CreditFirst)
	assert.Zero(t, storageFee(t, atx[1]))
	assert.Equal(t, phaseFees(t, atx[1]), nano(atx[1].TotalFees.Coins))
	assertLedger(t, chain, alice.Address(), 10*ton1)

	// Storage never takes more than the balance holds: dust left for
	// years pays all it has, the rest stays due.
	dust := randomAddr(t)
	chain.Fund(dust, 3_000)
	chain.Advance(20 * 365 * 24 * time.Hour)
	require.NoError(t, alice.Send(dust, 1_000, "", true))
	chain.Mine()
	dtx := chain.Transactions(dust)
	require.Len(t, dtx, 2)
	d = ordinary(t, dtx[1])
	assert.False(t, d.CreditFirst)
	assert.Equal(t, int64(3_000), storageFee(t, dtx[1]), "all there was")
	assert.Positive(t, nano(*d.StoragePhase.StorageFeesDue), "the rest is due")
	assertLedger(t, chain, dust, 0)
}

// A locked jetton wallet refuses internal_transfer with exit 45; the
// transfer bounces to the sending jetton wallet, which takes the jettons
// back and keeps the TON.
func TestJettonLockedWalletBounces(t *testing.T) {
	ctx, chain, api := start(t)
	usdt := chain.NewJetton("USDT", 6)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	bob := newWallet(t, chain, wallet.V4R2, ton1)
	usdt.Mint(alice.Address(), big.NewInt(1_000_000))
	aliceJW, bobJW := usdt.WalletAddress(alice.Address()), usdt.WalletAddress(bob.Address())

	usdt.Lock(bob.Address(), true)
	acc := account(t, ctx, api, bobJW)
	require.True(t, acc.IsActive, "Lock deploys the wallet (a mint of 0), then sets its status")
	assert.Equal(t, tlb.AccountStatus(tlb.AccountStatusActive), acc.State.Status)
	assert.Zero(t, usdt.BalanceOf(bob.Address()).Int64())
	res, err := api.WaitForBlock(chain.Head().SeqNo).RunGetMethod(ctx, chain.Head(), bobJW, "get_status")
	require.NoError(t, err)
	assert.Equal(t, int64(tontest.JettonStatusNoReceive), res.MustInt(0).Int64())
	locked := chain.Balance(bobJW)

	require.NoError(t, alice.SendJetton(usdt, bob.Address(), big.NewInt(400_000), 1, "to a locked wallet"))
	chain.Mine()

	// The transfer alice's jetton wallet sent, and its query id.
	jtx := chain.Transactions(aliceJW)
	require.Len(t, jtx, 3, "mint, transfer, bounce")
	var tp jetton.TransferPayload
	require.NoError(t, tlb.LoadFromCell(&tp, jtx[1].IO.In.AsInternal().Body.MustBeginParse()))

	btx := chain.Transactions(bobJW)
	require.Len(t, btx, 3, "mint of 0, set_status, the refused transfer")
	refused := btx[2]
	d := ordinary(t, refused)
	assert.Equal(t, int32(45), d.ComputePhase.Phase.(tlb.ComputePhaseVM).Details.ExitCode)
	require.IsType(t, tlb.BouncePhaseOk{}, d.BouncePhase.Phase)
	bp := d.BouncePhase.Phase.(tlb.BouncePhaseOk)
	assert.Equal(t, int64(locked)-storageFee(t, refused), int64(chain.Balance(bobJW)), "the locked wallet keeps nothing of it")
	assert.Zero(t, usdt.BalanceOf(bob.Address()).Int64())

	in := jtx[2].IO.In.AsInternal()
	assert.True(t, in.Bounced)
	assert.True(t, in.SrcAddr.Equals(bobJW))
	body := in.Body.MustBeginParse()
	assert.Equal(t, uint64(0xffffffff), body.MustLoadUInt(32))
	assert.Equal(t, uint64(0x178d4519), body.MustLoadUInt(32))
	assert.Equal(t, tp.QueryID, body.MustLoadUInt(64))
	assert.Equal(t, int64(400_000), body.MustLoadBigCoins().Int64())

	// Jettons back, exactly; read through the real client at the head.
	head := chain.Head()
	jw, err := jetton.NewJettonMasterClient(api, usdt.Master()).GetJettonWallet(ctx, alice.Address())
	require.NoError(t, err)
	bal, err := jw.GetBalanceAtBlock(ctx, head)
	require.NoError(t, err)
	assert.Equal(t, int64(1_000_000), bal.Int64())

	// No excesses: alice has only her external. The bounce's TON stays on
	// her jetton wallet: the transfer forwarded all that came in but its
	// storage, bob's wallet returned what it got less its compute and the
	// bounce's price, and alice's wallet keeps that less its fees.
	assert.Len(t, chain.Transactions(alice.Address()), 1)
	changes := chain.BalanceChanges(aliceJW)
	require.Len(t, changes, 3)
	assert.Equal(t, int64(changes[1].Before)-storageFee(t, jtx[1]), int64(changes[1].After), "transfer: the rest forwarded")
	returned := nano(refused.IO.In.AsInternal().Amount) - gasFee(t, refused) - nano(bp.MsgFees) - nano(bp.FwdFees)
	assert.Equal(t, returned, nano(in.Amount))
	assert.Equal(t, int64(changes[2].Before)+returned-phaseFees(t, jtx[2]), int64(chain.Balance(aliceJW)))
	for _, a := range []*address.Address{aliceJW, bobJW} {
		assertLedger(t, chain, a, 0)
	}
	assertLedger(t, chain, alice.Address(), 10*ton1)

	// Unlocked, the next transfer goes through.
	usdt.Lock(bob.Address(), false)
	require.NoError(t, alice.SendJetton(usdt, bob.Address(), big.NewInt(100_000), 0, ""))
	chain.Mine()
	assert.Equal(t, int64(100_000), usdt.BalanceOf(bob.Address()).Int64())
	assertLedger(t, chain, bobJW, 0)

	// A mint to a locked wallet bounces to the master, which takes the
	// supply back.
	carol := randomAddr(t)
	usdt.Lock(carol, true)
	usdt.Mint(carol, big.NewInt(5))
	assert.Zero(t, usdt.BalanceOf(carol).Int64())
	mtx := chain.Transactions(usdt.Master())
	assert.True(t, mtx[len(mtx)-1].IO.In.AsInternal().Bounced)
	m, err := api.GetMasterchainInfo(ctx)
	require.NoError(t, err)
	res, err = api.WaitForBlock(m.SeqNo).RunGetMethod(ctx, m, usdt.Master(), "get_jetton_data")
	require.NoError(t, err)
	assert.Equal(t, int64(1_000_000), res.MustInt(0).Int64())
}

// Blocks dated behind the chain clock: contracts judge time by the block's,
// getTime keeps the chain clock.
func TestLag(t *testing.T) {
	ctx, chain, api := start(t)
	var qid atomic.Uint32
	var createdAt atomic.Int64
	hw := highloadWallet(t, api, &qid, createdAt.Load)
	chain.Fund(hw.WalletAddress(), 10*ton1)
	to := randomAddr(t)
	external := func(id uint32, at int64) *tlb.ExternalMessage {
		qid.Store(id)
		createdAt.Store(at)
		m, err := hw.BuildTransfer(to, tlb.FromNanoTONU(ton1), false, "")
		require.NoError(t, err)
		ext, err := hw.PrepareExternalMessageForMany(ctx, true, []*wallet.Message{m})
		require.NoError(t, err)
		return ext
	}

	// Blocks are never dated before the last one: move the clock ahead
	// first, so that blocks dated 20 s behind it are still later.
	chain.Advance(30 * time.Second)
	chain.SetLag(20 * time.Second)
	now, err := api.GetTime(ctx)
	require.NoError(t, err)
	assert.InDelta(t, chain.Now().Unix(), int64(now), 1, "getTime answers the chain clock")
	err = api.SendExternalMessage(ctx, external(2<<10, int64(now)-5))
	require.Error(t, err, "created_at ahead of the next block's time")
	assert.Contains(t, err.Error(), "exitcode=35")

	require.NoError(t, api.SendExternalMessage(ctx, external(3<<10, int64(now)-30)))
	chain.Mine()
	txs := chain.Transactions(hw.WalletAddress())
	require.Len(t, txs, 2)
	assert.Equal(t, tlb.MsgTypeExternalIn, txs[1].IO.In.MsgType)
	assert.InDelta(t, int64(now)-20, int64(txs[1].Now), 2, "the block's time")
	assertCredited(t, chain, to, ton1)
	assertLedger(t, chain, hw.WalletAddress(), 0)

	var resp tl.Serializable
	require.NoError(t, api.Client().QueryLiteserver(ctx, ton.GetMasterchainInfoExt{}, &resp))
	info, ok := resp.(ton.MasterchainInfoExt)
	require.True(t, ok, "%T", resp)
	assert.Equal(t, txs[1].Now, info.LastUTime)
	assert.InDelta(t, chain.Now().Unix(), int64(info.Now), 1)

	// A block checks an external again at its own time: accepted when
	// sent, expired (created_at older than the 300 s timeout) by the time
	// the block that runs it is made, it leaves no trace.
	block := int64(txs[1].Now)
	require.NoError(t, api.SendExternalMessage(ctx, external(1<<10, block-280)))
	chain.Advance(40 * time.Second)
	chain.Mine()
	assert.Len(t, chain.Transactions(hw.WalletAddress()), 2, "expired in the block")
}

// Queries at an older block answer that block's state.
func TestHistoricalState(t *testing.T) {
	ctx, chain, api := start(t)
	usdt := chain.NewJetton("USDT", 6)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	bob := newWallet(t, chain, wallet.V4R2, ton1)
	usdt.Mint(alice.Address(), big.NewInt(1_000_000))

	old, err := api.GetMasterchainInfo(ctx)
	require.NoError(t, err)
	master := jetton.NewJettonMasterClient(api, usdt.Master())
	aliceJW, err := master.GetJettonWallet(ctx, alice.Address())
	require.NoError(t, err)
	bobJW, err := master.GetJettonWallet(ctx, bob.Address())
	require.NoError(t, err)
	type view struct {
		ton, jettons, bobJettons int64
		seqno                    int64
		lastLT                   uint64
		bobJWActive              bool
	}
	at := func(block *ton.BlockIDExt) view {
		var v view
		acc, err := api.WaitForBlock(block.SeqNo).GetAccount(ctx, block, alice.Address())
		require.NoError(t, err)
		v.ton, v.lastLT = nano(acc.State.Balance), acc.LastTxLT
		bal, err := aliceJW.GetBalanceAtBlock(ctx, block)
		require.NoError(t, err)
		v.jettons = bal.Int64()
		bal, err = bobJW.GetBalanceAtBlock(ctx, block)
		require.NoError(t, err)
		v.bobJettons = bal.Int64()
		res, err := api.RunGetMethod(ctx, block, alice.Address(), "seqno")
		require.NoError(t, err)
		v.seqno = res.MustInt(0).Int64()
		bacc, err := api.GetAccount(ctx, block, bobJW.Address())
		require.NoError(t, err)
		v.bobJWActive = bacc.IsActive
		return v
	}
	before := at(old)
	assert.Equal(t, view{ton: 10 * ton1, jettons: 1_000_000}, before)

	require.NoError(t, alice.SendJetton(usdt, bob.Address(), big.NewInt(300_000), 1, ""))
	chain.Mine()
	require.NoError(t, alice.Send(bob.Address(), ton1, "", false))
	chain.Mine()
	head, err := api.GetMasterchainInfo(ctx)
	require.NoError(t, err)
	require.Greater(t, head.SeqNo, old.SeqNo+1)

	assert.Equal(t, before, at(old), "the old block answers as before")
	now := at(head)
	assert.Equal(t, int64(700_000), now.jettons)
	assert.Equal(t, int64(300_000), now.bobJettons)
	assert.Equal(t, int64(2), now.seqno)
	assert.True(t, now.bobJWActive)
	assert.Equal(t, int64(chain.Balance(alice.Address())), now.ton)
	assert.NotEqual(t, before.ton, now.ton)
	assert.NotEqual(t, before.lastLT, now.lastLT)
	assertLedger(t, chain, alice.Address(), 10*ton1)
}

// Fund and Mint are real transactions a follower of the account sees.
func TestFundAndMintAreTransactions(t *testing.T) {
	ctx, chain, api := start(t)
	faucet, err := address.ParseRawAddr(tontest.FaucetAddress)
	require.NoError(t, err)

	addr := randomAddr(t)
	chain.Fund(addr, 2*ton1)
	txs := chain.Transactions(addr)
	require.Len(t, txs, 1)
	in := txs[0].IO.In.AsInternal()
	assert.True(t, in.SrcAddr.Equals(faucet))
	assert.False(t, in.Bounce)
	assert.Equal(t, int64(2*ton1), nano(in.Amount))
	assert.Zero(t, in.Body.BitsSize()+uint(in.Body.RefsNum()))
	acc := account(t, ctx, api, addr)
	assert.Equal(t, txs[0].LT, acc.LastTxLT, "on chain when Fund returns")
	assertCredited(t, chain, addr, 2*ton1)
	assert.Equal(t, int64(chain.Balance(addr)), nano(acc.State.Balance))
	assertLedger(t, chain, addr, 0)

	// A wallet with code also pays its compute.
	w := newWallet(t, chain, wallet.V4R2, ton1)
	chain.Fund(w.Address(), ton1)
	wtx := chain.Transactions(w.Address())
	require.Len(t, wtx, 1)
	assert.Positive(t, gasFee(t, wtx[0]))
	assert.Equal(t, 2*ton1-phaseFees(t, wtx[0]), int64(chain.Balance(w.Address())))
	assertLedger(t, chain, w.Address(), ton1)

	usdt := chain.NewJetton("USDT", 6)
	usdt.Mint(w.Address(), big.NewInt(500))
	jw := usdt.WalletAddress(w.Address())
	jtx := chain.Transactions(jw)
	require.Len(t, jtx, 1)
	// The admin's mint message ran the master, which sent the
	// internal_transfer.
	admin, err := address.ParseRawAddr(tontest.JettonAdminAddress)
	require.NoError(t, err)
	mtx := chain.Transactions(usdt.Master())
	require.Len(t, mtx, 1)
	assert.True(t, mtx[0].IO.In.AsInternal().SrcAddr.Equals(admin))
	require.Len(t, outs(t, mtx[0]), 1)
	in = jtx[0].IO.In.AsInternal()
	assert.True(t, in.SrcAddr.Equals(usdt.Master()))
	assert.True(t, in.Bounce)
	assert.NotNil(t, in.StateInit)
	assert.Equal(t, int64(tontest.JettonTransferTON), nano(in.Amount))
	body := in.Body.MustBeginParse()
	assert.Equal(t, uint64(0x178d4519), body.MustLoadUInt(32))
	assert.Zero(t, body.MustLoadUInt(64), "query id")
	assert.Equal(t, int64(500), body.MustLoadBigCoins().Int64())
	assert.True(t, body.MustLoadAddr().Equals(usdt.Master()), "from")
	assert.True(t, body.MustLoadAddr().IsAddrNone(), "response destination")
	assert.Zero(t, body.MustLoadBigCoins().Int64(), "forward_ton_amount")
	assert.Equal(t, tlb.AccountStatus(tlb.AccountStatusNonExist), jtx[0].OrigStatus)
	assert.Equal(t, tlb.AccountStatus(tlb.AccountStatusActive), jtx[0].EndStatus, "deployed by its state init")
	assert.Empty(t, outs(t, jtx[0]), "no notification, no excesses")
	assert.Equal(t, tontest.JettonTransferTON-phaseFees(t, jtx[0]), int64(chain.Balance(jw)))
	assert.Equal(t, int64(500), usdt.BalanceOf(w.Address()).Int64())
	assertLedger(t, chain, jw, 0)

	m, err := api.GetMasterchainInfo(ctx)
	require.NoError(t, err)
	jacc, err := api.WaitForBlock(m.SeqNo).GetAccount(ctx, m, jw)
	require.NoError(t, err)
	assert.Equal(t, jtx[0].LT, jacc.LastTxLT)
	data, err := jetton.NewJettonMasterClient(api, usdt.Master()).GetJettonDataAtBlock(ctx, m)
	require.NoError(t, err)
	assert.Equal(t, int64(500), data.TotalSupply.Int64())
}

// The field that was ihr_fee is extra_flags (global version 12): the
// sender's wallet sets it, the chain carries it unchanged, it moves no value
// and is no fee. Bit 0 asks for the new bounce format (TEP-503), bit 1 for
// the whole original body in it; another bit makes the send fail (45).
func TestExtraFlags(t *testing.T) {
	_, chain, _ := start(t)
	alice := newWallet(t, chain, wallet.V5R1Final, 10*ton1) // five messages in one external
	credited, newFormat, fullBody, oldFormat := randomAddr(t), randomAddr(t), randomAddr(t), randomAddr(t)
	body := cell.BeginCell().MustStoreUInt(0x12345678, 32).MustStoreUInt(7, 64).
		MustStoreRef(cell.BeginCell().MustStoreUInt(0xabcd, 16).EndCell()).EndCell()
	msg := func(to *address.Address, flags uint64, bounce bool) *wallet.Message {
		return &wallet.Message{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: bounce, DstAddr: to, Amount: tlb.FromNanoTONU(ton1), IHRFee: tlb.FromNanoTONU(flags), Body: body}}
	}
	_, err := alice.SendMessages(
		msg(credited, 3, false),      // credited whole, flags and all
		msg(newFormat, 1, true),      // bounces in the new format, the root's bits of the body
		msg(fullBody, 3, true),       // bounces in the new format, the whole body
		msg(oldFormat, 2, true),      // bit 1 alone: the old format
		msg(randomAddr(t), 4, false), // an unknown bit: the action is skipped (mode +2), nothing sent
	)
	require.NoError(t, err)
	chain.Mine()

	atx := chain.Transactions(alice.Address())
	require.Len(t, atx, 4) // the external, three bounces
	d := ordinary(t, atx[0])
	require.NotNil(t, d.ActionPhase)
	assert.True(t, d.ActionPhase.Success)
	assert.Equal(t, uint16(1), d.ActionPhase.SkippedActions)
	sent := outs(t, atx[0])
	require.Len(t, sent, 4)
	for i, want := range []uint64{3, 1, 3, 2} {
		assert.Equal(t, int64(want), nano(sent[i].IHRFee), "extra flags of message %d as sent", i)
		assert.Equal(t, int64(ton1), nano(sent[i].Amount), "message %d carries its value whole", i)
	}

	ctx := chain.Transactions(credited)
	require.Len(t, ctx, 1)
	assert.Equal(t, int64(3), nano(ctx[0].IO.In.AsInternal().IHRFee))
	assertCredited(t, chain, credited, ton1, "the flags took nothing")

	bounceOf := func(addr *address.Address) *tlb.InternalMessage {
		t.Helper()
		txs := chain.Transactions(addr)
		require.Len(t, txs, 1)
		back := outs(t, txs[0])
		require.Len(t, back, 1)
		require.True(t, back[0].Bounced)
		bp := ordinary(t, txs[0]).BouncePhase.Phase.(tlb.BouncePhaseOk)
		assert.Equal(t, ton1-nano(bp.MsgFees)-nano(bp.FwdFees), nano(back[0].Amount))
		return back[0]
	}
	for _, tc := range []struct {
		addr  *address.Address
		flags uint64
		full  bool
	}{{newFormat, 1, false}, {fullBody, 3, true}} {
		b := bounceOf(tc.addr)
		assert.Equal(t, int64(tc.flags), nano(b.IHRFee), "a bounce carries the bounced message's flags")
		s := b.Body.MustBeginParse()
		assert.Equal(t, uint64(0xfffffffe), s.MustLoadUInt(32))
		orig := s.MustLoadRef()
		if tc.full {
			assert.Equal(t, body.Hash(), orig.MustToCell().Hash(), "the whole body")
		} else {
			assert.Equal(t, uint(96), orig.BitsLeft())
			assert.Zero(t, orig.RefsNum(), "the root's bits only")
		}
		info := s.MustLoadRef()
		assert.Equal(t, int64(ton1), info.MustLoadBigCoins().Int64(), "the value the message brought")
		assert.False(t, info.MustLoadBoolBit(), "no extra currencies")
		info.MustLoadUInt(64) // created_lt
		info.MustLoadUInt(32) // created_at
		assert.Zero(t, info.BitsLeft())
		assert.Equal(t, uint64(0), s.MustLoadUInt(8), "phase: compute skipped")
		assert.Equal(t, int64(-1), s.MustLoadInt(32), "no state")
		assert.False(t, s.MustLoadBoolBit())
		assert.Zero(t, s.BitsLeft())
	}
	b := bounceOf(oldFormat)
	assert.Equal(t, int64(2), nano(b.IHRFee))
	assert.Equal(t, uint64(0xffffffff), b.Body.MustBeginParse().MustLoadUInt(32))

	assertLedger(t, chain, alice.Address(), 10*ton1)
	for _, a := range []*address.Address{credited, newFormat, fullBody, oldFormat} {
		assertLedger(t, chain, a, 0)
	}
}
