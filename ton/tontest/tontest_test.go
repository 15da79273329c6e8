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
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/jetton"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/ton/tontest"
)

const ton1 = 1_000_000_000

func start(t *testing.T) (context.Context, *tontest.Chain, ton.APIClientWrapped) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	chain, err := tontest.Start(ctx, tontest.Options{})
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

// assertLedger checks that the account's balance is its genesis balance plus
// everything its transactions took in, minus what they sent and paid.
func assertLedger(t *testing.T, chain *tontest.Chain, addr *address.Address, genesis uint64) {
	t.Helper()
	bal := new(big.Int).SetUint64(genesis)
	for _, tx := range chain.Transactions(addr) {
		if tx.IO.In != nil && tx.IO.In.MsgType == tlb.MsgTypeInternal {
			bal.Add(bal, tx.IO.In.AsInternal().Amount.Nano())
		}
		for _, m := range outs(t, tx) {
			bal.Sub(bal, m.Amount.Nano())
		}
		bal.Sub(bal, tx.TotalFees.Coins.Nano())
	}
	assert.Equal(t, bal.Uint64(), chain.Balance(addr), "ledger of %s", addr)
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
	assert.Equal(t, uint64(2*ton1-tontest.DefaultTxFee), acc.State.Balance.Nano().Uint64())

	txs := chain.Transactions(bob.Address())
	require.Len(t, txs, 1)
	tx := txs[0]
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

	// Alice's external transaction sent exactly one message, fees apart.
	atxs := chain.Transactions(alice.Address())
	require.Len(t, atxs, 1)
	assert.Equal(t, tlb.MsgTypeExternalIn, atxs[0].IO.In.MsgType)
	assert.Equal(t, uint64(tontest.DefaultTxFee+tontest.DefaultMsgFee), atxs[0].TotalFees.Coins.Nano().Uint64())
	assert.Equal(t, uint64(10*ton1-ton1-tontest.DefaultTxFee-tontest.DefaultMsgFee), chain.Balance(alice.Address()))
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

	// bounce=true to an account without code: the value comes back.
	btx := chain.Transactions(bounceTo)
	require.Len(t, btx, 1)
	d := ordinary(t, btx[0])
	assert.True(t, d.Aborted)
	assert.IsType(t, tlb.ComputePhaseSkipped{}, d.ComputePhase.Phase)
	require.NotNil(t, d.BouncePhase)
	assert.IsType(t, tlb.BouncePhaseOk{}, d.BouncePhase.Phase)
	back := outs(t, btx[0])
	require.Len(t, back, 1)
	assert.True(t, back[0].Bounced)
	assert.Equal(t, uint64(ton1-tontest.DefaultTxFee-tontest.DefaultMsgFee), back[0].Amount.Nano().Uint64())
	assert.False(t, account(t, ctx, api, bounceTo).IsActive, "nothing stays on a bounced account")
	assert.Zero(t, chain.Balance(bounceTo))

	atx := chain.Transactions(alice.Address())
	require.Len(t, atx, 3)
	last := atx[2].IO.In.AsInternal()
	assert.True(t, last.Bounced)
	assert.True(t, last.SrcAddr.Equals(bounceTo))
	assertLedger(t, chain, alice.Address(), 10*ton1)

	// bounce=false: the account stays uninit, holding the value.
	acc := account(t, ctx, api, creditTo)
	require.True(t, acc.IsActive)
	assert.Equal(t, tlb.AccountStatus(tlb.AccountStatusUninit), acc.State.Status)
	assert.Equal(t, uint64(ton1-tontest.DefaultTxFee), acc.State.Balance.Nano().Uint64())
	ctx2 := chain.Transactions(creditTo)
	require.Len(t, ctx2, 1)
	assert.Nil(t, ordinary(t, ctx2[0]).BouncePhase)
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
			to := randomAddr(t)

			chain.AutoMine(50 * time.Millisecond)
			defer chain.AutoMine(0)
			tx, _, err := w.TransferWaitTransaction(ctx, to.Bounce(false), tlb.FromNanoTONU(ton1), "paid")
			require.NoError(t, err)
			assert.Equal(t, tlb.MsgTypeExternalIn, tx.IO.In.MsgType)
			require.Eventually(t, func() bool { return chain.Balance(to) > 0 }, 5*time.Second, 10*time.Millisecond)
			assert.Equal(t, uint64(ton1-tontest.DefaultTxFee), chain.Balance(to))

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
		require.NoError(t, tlb.LoadFromCell(&tn, in.Body.BeginParse()))
		assert.Equal(t, int64(250_000), tn.Amount.Nano().Int64())
		assert.True(t, tn.Sender.Equals(alice.Address()))
		fp := tn.ForwardPayload.BeginParse()
		assert.Zero(t, fp.MustLoadUInt(32))
		assert.Equal(t, "order-42", fp.MustLoadStringSnake())

		// Excesses come back to alice.
		atx := chain.Transactions(alice.Address())
		last := atx[len(atx)-1].IO.In.AsInternal()
		assert.Equal(t, uint64(0xd53276db), last.Body.BeginParse().MustLoadUInt(32))
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
		assert.Equal(t, uint64(0x178d4519), in.Body.BeginParse().MustLoadUInt(32))
	})

	t.Run("insufficient balance bounces", func(t *testing.T) {
		require.NoError(t, alice.SendJetton(usdt, bob.Address(), big.NewInt(5_000_000), 1, ""))
		chain.Mine()
		jtx := chain.Transactions(usdt.WalletAddress(alice.Address()))
		d := ordinary(t, jtx[len(jtx)-1])
		assert.True(t, d.Aborted)
		vm := d.ComputePhase.Phase.(tlb.ComputePhaseVM)
		assert.Equal(t, int32(706), vm.Details.ExitCode)
		atx := chain.Transactions(alice.Address())
		assert.True(t, atx[len(atx)-1].IO.In.AsInternal().Bounced)
		assert.Equal(t, int64(700_000), usdt.BalanceOf(alice.Address()).Int64())
		assertLedger(t, chain, alice.Address(), 10*ton1)
	})
}

// highloadWallet is the service's hot wallet as tonpay builds it.
func highloadWallet(t *testing.T, api ton.APIClientWrapped, qid *atomic.Uint32, createdAt func() int64) *wallet.Wallet {
	t.Helper()
	w, err := wallet.FromSeed(api, wallet.NewSeed(), wallet.ConfigHighloadV3{
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
	require.Len(t, txs, 2, "external, then the internal_transfer fan-out")
	first := ordinary(t, txs[0])
	assert.True(t, first.ComputePhase.Phase.(tlb.ComputePhaseVM).AccountActivated)
	self := outs(t, txs[0])
	require.Len(t, self, 1)
	assert.True(t, self[0].DstAddr.Equals(hw.WalletAddress()))
	assert.Equal(t, uint64(0xae42e5a4), self[0].Body.BeginParse().MustLoadUInt(32))
	fan := ordinary(t, txs[1])
	require.NotNil(t, fan.ActionPhase)
	assert.True(t, fan.ActionPhase.Success)
	assert.Zero(t, fan.ActionPhase.SkippedActions)
	assert.Equal(t, uint16(3), fan.ActionPhase.MessagesCreated)
	for i, a := range to {
		assert.Equal(t, uint64(i+1)*ton1/10-tontest.DefaultTxFee, chain.Balance(a))
		rtx := chain.Transactions(a)
		require.Len(t, rtx, 1)
		assert.Equal(t, fmt.Sprint("withdrawal ", i), rtx[0].IO.In.AsInternal().Comment())
	}
	assertLedger(t, chain, hw.WalletAddress(), 10*ton1)

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
	assert.Len(t, chain.Transactions(hw.WalletAddress()), 2)
	assert.Equal(t, uint64(ton1/10-tontest.DefaultTxFee), chain.Balance(to[0]))

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
			assert.Len(t, chain.Transactions(hw.WalletAddress()), 2, "no transaction")
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
