package tontest_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/liteclient"
	"github.com/xssnick/tonutils-go/tl"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/ton/tontest"
)

// listedTx is a transaction id as a block lists it.
type listedTx struct {
	account string // raw address
	lt      uint64
	hash    string
}

// masterBlock looks masterchain block seqno up as a follower does.
func masterBlock(t *testing.T, ctx context.Context, api ton.APIClientWrapped, seqno uint32) *ton.BlockIDExt {
	t.Helper()
	id, err := api.LookupBlock(ctx, -1, math.MinInt64, seqno)
	require.NoError(t, err)
	return id
}

// shardTip is the one basechain shard block masterchain block seqno names.
func shardTip(t *testing.T, ctx context.Context, api ton.APIClientWrapped, seqno uint32) *ton.BlockIDExt {
	t.Helper()
	shards, err := api.GetBlockShardsInfo(ctx, masterBlock(t, ctx, api, seqno))
	require.NoError(t, err)
	require.Len(t, shards, 1)
	return shards[0]
}

// listAll pages through a block's transactions count at a time, as a
// follower does, checking the pages chain on.
func listAll(t *testing.T, ctx context.Context, api ton.APIClientWrapped, block *ton.BlockIDExt, count uint32) []ton.TransactionShortInfo {
	t.Helper()
	var all []ton.TransactionShortInfo
	var after *ton.TransactionID3
	for {
		page, more, err := api.GetBlockTransactionsV2(ctx, block, count, after)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), int(count))
		all = append(all, page...)
		if !more {
			return all
		}
		require.Equal(t, int(min(count, 256)), len(page), "an incomplete page is a full one")
		after = page[len(page)-1].ID3()
	}
}

func lsErr(t *testing.T, err error) ton.LSError {
	t.Helper()
	var e ton.LSError
	require.ErrorAs(t, err, &e)
	return e
}

// Every masterchain block names the basechain's one shard with the shard
// block of its seqno, a real ShardDescr whose lt range holds the block's
// transactions.
func TestShardsInfo(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	require.NoError(t, alice.Send(randomAddr(t), ton1, "", false))
	sent := chain.Mine()
	chain.Mine()

	for seqno := uint32(1); seqno <= chain.Head().SeqNo; seqno++ {
		m := masterBlock(t, ctx, api, seqno)
		assert.Equal(t, seqno, m.SeqNo)
		assert.Equal(t, int32(-1), m.Workchain)
		shards, err := api.GetBlockShardsInfo(ctx, m)
		require.NoError(t, err)
		require.Len(t, shards, 1)
		assert.Equal(t, chain.ShardBlock(seqno), shards[0], "block %d", seqno)
		s, err := api.LookupBlock(ctx, 0, math.MinInt64, seqno)
		require.NoError(t, err)
		assert.Equal(t, shards[0], s, "lookupBlock gives the same id")
	}
	assert.Equal(t, chain.Head(), masterBlock(t, ctx, api, chain.Head().SeqNo))

	// The descriptor itself, as LoadShardsFromHashes does not show it.
	var resp tl.Serializable
	require.NoError(t, api.Client().QueryLiteserver(ctx, ton.GetAllShardsInfo{ID: masterBlock(t, ctx, api, sent)}, &resp))
	info, ok := resp.(ton.AllShardsInfo)
	require.True(t, ok, "%T", resp)
	var all tlb.AllShardsInfo
	require.NoError(t, tlb.Parse(&all, info.Data))
	kvs, err := all.ShardHashes.LoadAll()
	require.NoError(t, err)
	require.Len(t, kvs, 1)
	assert.Zero(t, kvs[0].Key.MustLoadInt(32), "workchain 0")
	leaf := kvs[0].Value.MustLoadRef()
	assert.Zero(t, leaf.MustLoadUInt(1), "bt_leaf")
	assert.Equal(t, uint64(0xa), leaf.MustLoadUInt(4))
	var d tlb.ShardDesc
	require.NoError(t, tlb.LoadFromCell(&d, leaf, true))
	assert.Equal(t, sent, d.SeqNo)
	assert.Equal(t, chain.ShardBlock(sent).RootHash, d.RootHash)
	txs := chain.Transactions(alice.Address())
	require.Len(t, txs, 1)
	assert.Less(t, d.StartLT, txs[0].LT)
	assert.GreaterOrEqual(t, d.EndLT, txs[0].LT)
	assert.Equal(t, txs[0].Now, d.GenUTime)
}

// Blocks that are not there answer what a real lite-server answers: 651
// "not in db" for a block it does not hold (lookupBlock: ton.ErrBlockNotFound),
// 602 "state already gc'd" for a masterchain state pruned, -400 for a
// malformed query.
func TestBlockErrors(t *testing.T) {
	t.Parallel()
	ctx, chain, api := startWith(t, tontest.Options{KeepBlocks: 3})
	for i := 0; i < 6; i++ {
		chain.Mine()
	}
	head := chain.Head()

	future := head.Copy()
	future.SeqNo += 2
	_, _, err := api.GetBlockTransactionsV2(ctx, future, 10)
	assert.Equal(t, int32(651), lsErr(t, err).Code, "a block still to come")
	_, err = api.GetBlockShardsInfo(ctx, future)
	assert.Equal(t, int32(651), lsErr(t, err).Code)
	_, err = api.LookupBlock(ctx, -1, math.MinInt64, head.SeqNo+1)
	assert.ErrorIs(t, err, ton.ErrBlockNotFound)
	_, err = api.LookupBlock(ctx, 0, math.MinInt64, head.SeqNo+1)
	assert.ErrorIs(t, err, ton.ErrBlockNotFound)

	forged := head.Copy()
	forged.RootHash = make([]byte, 32)
	_, _, err = api.GetBlockTransactionsV2(ctx, forged, 10)
	assert.Equal(t, int32(651), lsErr(t, err).Code, "a block with another hash")
	e := lsErr(t, err)
	assert.Contains(t, e.Text, "not in db")

	_, err = api.GetBlockShardsInfo(ctx, chain.ShardBlock(head.SeqNo))
	assert.Equal(t, int32(-400), lsErr(t, err).Code, "only masterchain blocks have shards")

	// Beyond the horizon (KeepBlocks 3: blocks head-3 .. head are kept).
	oldMaster := head.Copy()
	oldMaster.SeqNo = head.SeqNo - 4
	old := *chain.ShardBlock(oldMaster.SeqNo)
	// The ids of pruned blocks are what they were (the follower kept them).
	oldMaster.RootHash, oldMaster.FileHash = nil, nil
	_, err = api.LookupBlock(ctx, -1, math.MinInt64, oldMaster.SeqNo)
	assert.ErrorIs(t, err, ton.ErrBlockNotFound, "pruned")
	_, _, err = api.GetBlockTransactionsV2(ctx, &old, 10)
	assert.Equal(t, int32(651), lsErr(t, err).Code, "pruned block data")
	kept := masterBlock(t, ctx, api, head.SeqNo-3)
	_, err = api.GetBlockShardsInfo(ctx, kept)
	require.NoError(t, err, "the horizon is kept")
	chain.Mine()
	_, err = api.GetBlockShardsInfo(ctx, kept)
	e = lsErr(t, err)
	assert.Equal(t, int32(602), e.Code, "pruned state")
	assert.Contains(t, e.Text, "state already gc'd")

	_, err = api.GetTransaction(ctx, chain.Head(), randomAddr(t), 1)
	assert.Equal(t, int32(-400), lsErr(t, err).Code, "a basechain account in a masterchain block")
}

// The blocks list every transaction the chain executed exactly once, in the
// block whose state first shows it: externals, internals, bounces, jetton
// messages, 300 funded addresses; paging with any count gives the same.
func TestBlockTransactionsCoverTheChain(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	usdt := chain.NewJetton("USDT", 6)
	alice := newWallet(t, chain, wallet.V4R2, 100*ton1)
	bob := newWallet(t, chain, wallet.V5R1Final, 10*ton1)
	usdt.Mint(alice.Address(), big.NewInt(1_000_000))

	deposits := make([]*address.Address, 300)
	payments := make([]tontest.Payment, len(deposits))
	for i := range deposits {
		deposits[i] = randomAddr(t)
		payments[i] = tontest.Payment{To: deposits[i], Nano: uint64(1_000_000 + i)}
	}
	first, last := chain.FundMany(payments)
	assert.Equal(t, first, last, "300 payments in one block")

	bounceTo := randomAddr(t)
	require.NoError(t, alice.Send(bounceTo, ton1, "", true))
	for i := 0; i < 20; i++ {
		require.NoError(t, alice.Send(deposits[i], 2*ton1, "", false))
		require.NoError(t, bob.Send(deposits[299-i], ton1/10, "", false))
	}
	require.NoError(t, alice.SendJetton(usdt, bob.Address(), big.NewInt(250_000), 1, "order"))
	chain.Mine()
	require.NoError(t, bob.Send(alice.Address(), ton1, "back", true))
	chain.Mine()
	chain.Mine() // an empty block

	accounts := append([]*address.Address{alice.Address(), bob.Address(), bounceTo, usdt.Master(),
		usdt.WalletAddress(alice.Address()), usdt.WalletAddress(bob.Address())}, deposits...)
	want := map[listedTx]bool{}
	for _, a := range accounts {
		for _, tx := range chain.Transactions(a) {
			want[listedTx{a.StringRaw(), tx.LT, fmt.Sprintf("%x", tx.Hash)}] = true
		}
	}
	assert.Greater(t, len(want), 380)

	got := map[listedTx]uint32{}
	for seqno := uint32(1); seqno <= chain.Head().SeqNo; seqno++ {
		block := shardTip(t, ctx, api, seqno)
		ids := listAll(t, ctx, api, block, 256)
		for i, id := range ids {
			if i > 0 {
				prev := ids[i-1]
				order := new(big.Int).SetBytes(prev.Account).Cmp(new(big.Int).SetBytes(id.Account))
				require.True(t, order < 0 || order == 0 && prev.LT < id.LT, "by account, then lt")
			}
			k := listedTx{address.NewAddress(0, 0, id.Account).StringRaw(), id.LT, fmt.Sprintf("%x", id.Hash)}
			_, dup := got[k]
			require.False(t, dup, "listed twice: %v", k)
			got[k] = seqno
		}
		// Every count pages to the same list.
		for _, count := range []uint32{1, 7, uint32(max(len(ids), 1))} {
			assert.Equal(t, ids, listAll(t, ctx, api, block, count), "block %d, count %d", seqno, count)
		}
		// The masterchain block has none of these.
		mids, more, err := api.GetBlockTransactionsV2(ctx, masterBlock(t, ctx, api, seqno), 100)
		require.NoError(t, err)
		assert.Empty(t, mids)
		assert.False(t, more)
	}
	assert.Len(t, got, len(want))
	for k := range want {
		_, ok := got[k]
		assert.True(t, ok, "not listed: %v", k)
	}

	// The block listing a transaction is the first whose state shows it,
	// and getOneTransaction finds it there (only there).
	for _, a := range []*address.Address{alice.Address(), bounceTo, usdt.WalletAddress(bob.Address()), deposits[0]} {
		for _, tx := range chain.Transactions(a) {
			seqno := got[listedTx{a.StringRaw(), tx.LT, fmt.Sprintf("%x", tx.Hash)}]
			require.NotZero(t, seqno)
			at, err := api.GetAccount(ctx, masterBlock(t, ctx, api, seqno), a)
			require.NoError(t, err)
			if at.State != nil { // an account a bounce left empty is not stored
				assert.GreaterOrEqual(t, at.LastTxLT, tx.LT)
			}
			before, err := api.GetAccount(ctx, masterBlock(t, ctx, api, seqno-1), a)
			require.NoError(t, err)
			assert.Less(t, before.LastTxLT, tx.LT)

			one, err := api.GetTransaction(ctx, shardTip(t, ctx, api, seqno), a, tx.LT)
			require.NoError(t, err)
			assert.Equal(t, tx.Hash, one.Hash)
			assert.Equal(t, tx.LT, one.LT)
			_, err = api.GetTransaction(ctx, shardTip(t, ctx, api, seqno+1), a, tx.LT)
			assert.ErrorIs(t, err, ton.ErrNoTransactionsWereFound)
		}
	}
	// chain.BlockTransactions agrees with the lite-server.
	for _, tx := range chain.BlockTransactions(first) {
		assert.Equal(t, first, got[listedTx{address.NewAddress(0, 0, tx.AccountAddr).StringRaw(), tx.LT, fmt.Sprintf("%x", tx.Hash)}])
	}
}

// Paging as the real lite-server pages: a page that ends on the block's
// last transaction still says incomplete and the next one is empty;
// count is capped at 256; reverse order walks back.
func TestBlockTransactionsPaging(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	payments := make([]tontest.Payment, 300)
	for i := range payments {
		payments[i] = tontest.Payment{To: randomAddr(t), Nano: ton1}
	}
	seqno, _ := chain.FundMany(payments)
	block := shardTip(t, ctx, api, seqno)

	page, more, err := api.GetBlockTransactionsV2(ctx, block, 1000)
	require.NoError(t, err)
	assert.Len(t, page, 256, "at most 256 a page")
	assert.True(t, more)
	rest, more, err := api.GetBlockTransactionsV2(ctx, block, 44, page[255].ID3())
	require.NoError(t, err)
	assert.Len(t, rest, 44)
	assert.True(t, more, "a full page says incomplete even at the end")
	end, more, err := api.GetBlockTransactionsV2(ctx, block, 44, rest[43].ID3())
	require.NoError(t, err)
	assert.Empty(t, end)
	assert.False(t, more)

	// After an account not in the block: from the next account on.
	var gap ton.TransactionID3
	gap.Account = append([]byte(nil), page[10].Account...)
	gap.Account[31]++
	if string(gap.Account) == string(page[11].Account) {
		t.Skip("adjacent accounts") // 1 in 2^256
	}
	next, _, err := api.GetBlockTransactionsV2(ctx, block, 1, &gap)
	require.NoError(t, err)
	assert.Equal(t, page[11:12], next)

	// Reverse order, raw (the client has no call for it).
	all := append(page, rest...)
	var resp tl.Serializable
	require.NoError(t, api.Client().QueryLiteserver(ctx, ton.ListBlockTransactions{
		ID: block, Mode: 0b111 | 1<<6 | 1<<7, Count: 3,
		After: &ton.TransactionID3{Account: all[100].Account, LT: all[100].LT}, ReverseOrder: &ton.True{},
	}, &resp))
	back, ok := resp.(ton.BlockTransactions)
	require.True(t, ok, "%T", resp)
	require.Len(t, back.TransactionIds, 3)
	for i, id := range back.TransactionIds {
		assert.Equal(t, all[99-i].Hash, id.Hash)
	}

	// listBlockTransactionsExt: the transactions themselves.
	resp = nil
	require.NoError(t, api.Client().QueryLiteserver(ctx, ton.ListBlockTransactionsExt{ID: block, Mode: 0b111, Count: 5}, &resp))
	ext, ok := resp.(ton.BlockTransactionsExt)
	require.True(t, ok, "%T", resp)
	require.Len(t, ext.Transactions, 5)
	for i, c := range ext.Transactions {
		assert.Equal(t, all[i].Hash, c.Hash())
		var tx tlb.Transaction
		require.NoError(t, tlb.Parse(&tx, c))
		assert.Equal(t, all[i].LT, tx.LT)
	}
}

// FundMany spills what one block cannot deliver into the next blocks.
func TestFundManySpills(t *testing.T) {
	if testing.Short() {
		t.Skip("10,001 transactions")
	}
	t.Parallel()
	_, chain, _ := start(t)
	payments := make([]tontest.Payment, 10_001)
	for i := range payments {
		payments[i] = tontest.Payment{To: randomAddr(t), Nano: ton1}
	}
	first, last := chain.FundMany(payments)
	assert.Equal(t, first+1, last)
	assert.Len(t, chain.BlockTransactions(first), 10_000)
	assert.Len(t, chain.BlockTransactions(last), 1)
	assert.Equal(t, uint64(ton1), chain.Balance(payments[10_000].To))
}

// BenchmarkListBlockTransactions measures listing a block of 1,000
// transactions through the real client: 4 pages of at most 256 ids.
func BenchmarkListBlockTransactions(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	chain, err := tontest.Start(ctx, tontest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer chain.Close()
	api, err := chain.Client(ctx)
	if err != nil {
		b.Fatal(err)
	}
	payments := make([]tontest.Payment, 1000)
	for i := range payments {
		id := make([]byte, 32)
		_, _ = rand.Read(id)
		payments[i] = tontest.Payment{To: address.NewAddress(0, 0, id), Nano: ton1}
	}
	seqno, _ := chain.FundMany(payments)
	block := chain.ShardBlock(seqno)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var after *ton.TransactionID3
		n := 0
		for {
			page, more, err := api.GetBlockTransactionsV2(ctx, block, 256, after)
			if err != nil {
				b.Fatal(err)
			}
			n += len(page)
			if !more {
				break
			}
			after = page[len(page)-1].ID3()
		}
		if n != 1000 {
			b.Fatalf("%d transactions listed", n)
		}
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkFundMany measures giving 10,000 addresses a deposit each.
func BenchmarkFundMany(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	chain, err := tontest.Start(ctx, tontest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer chain.Close()
	payments := make([]tontest.Payment, 10_000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range payments {
			id := make([]byte, 32)
			_, _ = rand.Read(id)
			payments[j] = tontest.Payment{To: address.NewAddress(0, 0, id), Nano: ton1}
		}
		b.StartTimer()
		chain.FundMany(payments)
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "deposits/s")
}

// With shard tips held back, masterchain blocks name no new basechain block
// and then jump: the blocks in between are served only once named, and a
// follower finds them by lookupBlock and lists their transactions.
func TestHeldShardTips(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	before := chain.Head().SeqNo

	chain.HoldShardTips(2)
	dst := []*address.Address{randomAddr(t), randomAddr(t), randomAddr(t)}
	var made []uint32
	for _, to := range dst {
		require.NoError(t, alice.Send(to, ton1, "", false))
		made = append(made, chain.Mine())
	}
	// The first two masterchain blocks still name the old tip.
	for _, seqno := range made[:2] {
		assert.Equal(t, chain.ShardBlock(before), shardTip(t, ctx, api, seqno), "block %d", seqno)
		acc, err := api.GetAccount(ctx, masterBlock(t, ctx, api, seqno), dst[0])
		require.NoError(t, err)
		assert.False(t, acc.IsActive, "the state at a masterchain block is its tip's")
	}
	assert.Equal(t, chain.ShardBlock(made[2]), shardTip(t, ctx, api, made[2]), "then the newest")

	// Found by seqno, listed, each with its transfer.
	for i, seqno := range made {
		id, err := api.LookupBlock(ctx, 0, math.MinInt64, seqno)
		require.NoError(t, err)
		assert.Equal(t, chain.ShardBlock(seqno), id)
		ids := listAll(t, ctx, api, id, 256)
		var accounts []string
		for _, x := range ids {
			accounts = append(accounts, address.NewAddress(0, 0, x.Account).StringRaw())
		}
		assert.Contains(t, accounts, dst[i].StringRaw())
		assert.Contains(t, accounts, alice.Address().StringRaw())
	}
	acc, err := api.GetAccount(ctx, masterBlock(t, ctx, api, made[2]), dst[0])
	require.NoError(t, err)
	assert.Equal(t, chain.Balance(dst[0]), acc.State.Balance.Nano().Uint64())
}

// A basechain block no masterchain block names yet is not served.
func TestUnnamedShardBlock(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	chain.HoldShardTips(1)
	seqno := chain.Mine()
	_, err := api.LookupBlock(ctx, 0, math.MinInt64, seqno)
	assert.ErrorIs(t, err, ton.ErrBlockNotFound)
	_, _, err = api.GetBlockTransactionsV2(ctx, chain.ShardBlock(seqno), 10)
	assert.Equal(t, int32(651), lsErr(t, err).Code)
	chain.Mine()
	_, err = api.LookupBlock(ctx, 0, math.MinInt64, seqno)
	require.NoError(t, err)
	_, _, err = api.GetBlockTransactionsV2(ctx, chain.ShardBlock(seqno), 10)
	require.NoError(t, err)
}

// Blocks are real Block cells whose hashes are their ids: getBlock and
// getBlockHeader check out on the client, the block's ShardAccountBlocks
// hold its transactions, parents link the blocks, and a masterchain block
// carries the ShardHashes getAllShardsInfo answers.
func TestBlockCells(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	require.NoError(t, alice.Send(randomAddr(t), ton1, "", true))
	require.NoError(t, alice.Send(randomAddr(t), ton1, "hi", false))
	chain.Mine()
	chain.Mine()

	for seqno := uint32(1); seqno <= chain.Head().SeqNo; seqno++ {
		shard := chain.ShardBlock(seqno)
		b, err := api.GetBlockData(ctx, shard)
		require.NoError(t, err, "block %d", seqno)
		assert.Equal(t, seqno, b.BlockInfo.SeqNo)
		assert.True(t, b.BlockInfo.NotMaster)
		txs, err := b.ListTransactions()
		require.NoError(t, err)
		want := chain.BlockTransactions(seqno)
		require.Len(t, txs, len(want))
		for i := range txs {
			assert.Equal(t, want[i].Hash, txs[i].Hash)
			assert.GreaterOrEqual(t, txs[i].LT, b.BlockInfo.StartLt)
			assert.LessOrEqual(t, txs[i].LT, b.BlockInfo.EndLt)
		}

		h, err := api.GetBlockHeader(ctx, shard)
		require.NoError(t, err)
		assert.Equal(t, b.BlockInfo.GenUtime, h.GenUtime)
		parents, err := ton.GetParentBlocks(h)
		require.NoError(t, err)
		require.Len(t, parents, 1)
		if seqno > 1 {
			assert.Equal(t, chain.ShardBlock(seqno-1), parents[0])
		}

		m := masterBlock(t, ctx, api, seqno)
		mb, err := api.GetBlockData(ctx, m)
		require.NoError(t, err)
		assert.False(t, mb.BlockInfo.NotMaster)
		require.NotNil(t, mb.Extra.Custom)
		shards, err := ton.LoadShardsFromHashes(mb.Extra.Custom.ShardHashes, false)
		require.NoError(t, err)
		assert.Equal(t, []*ton.BlockIDExt{shard}, shards)
	}
	// An older block, whose cells the chain made again.
	sent := chain.Head().SeqNo - 1
	for i := 0; i < 70; i++ {
		chain.Mine()
	}
	b, err := api.GetBlockData(ctx, chain.ShardBlock(sent))
	require.NoError(t, err)
	txs, err := b.ListTransactions()
	require.NoError(t, err)
	assert.Len(t, txs, len(chain.BlockTransactions(sent)))
	assert.NotEmpty(t, txs)

	wrong := chain.ShardBlock(2)
	wrong.FileHash = make([]byte, 32)
	_, err = api.GetBlockData(ctx, wrong)
	assert.Equal(t, int32(651), lsErr(t, err).Code)
}

// The block queries carry real Merkle proofs of the blocks: a client that
// checks them (ProofCheckPolicyFast) accepts the shards, the lists and the
// transactions.
func TestBlockProofs(t *testing.T) {
	t.Parallel()
	ctx, chain, unsafe := start(t)
	ls := chain.LiteServers()
	i := strings.LastIndex(ls, ":")
	pool := liteclient.NewConnectionPool()
	require.NoError(t, pool.AddConnection(ctx, ls[:i], ls[i+1:]))
	t.Cleanup(pool.Stop)
	api := ton.NewAPIClient(pool, ton.ProofCheckPolicyFast)

	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	payments := make([]tontest.Payment, 40)
	for i := range payments {
		payments[i] = tontest.Payment{To: randomAddr(t), Nano: ton1}
	}
	funded, _ := chain.FundMany(payments)
	require.NoError(t, alice.Send(randomAddr(t), ton1, "", true))
	sent := chain.Mine()

	for _, seqno := range []uint32{funded, sent} {
		master := masterBlock(t, ctx, unsafe, seqno)
		shards, err := api.GetBlockShardsInfo(ctx, master)
		require.NoError(t, err)
		require.Equal(t, []*ton.BlockIDExt{chain.ShardBlock(seqno)}, shards)
		ids, more, err := api.GetBlockTransactionsV2(ctx, shards[0], 256)
		require.NoError(t, err)
		assert.False(t, more)
		want := chain.BlockTransactions(seqno)
		require.Len(t, ids, len(want))
		for j, id := range ids {
			assert.Equal(t, want[j].Hash, id.Hash)
			tx, err := api.GetTransaction(ctx, shards[0], address.NewAddress(0, 0, id.Account), id.LT)
			require.NoError(t, err)
			assert.Equal(t, id.Hash, tx.Hash)
		}
	}
}

// The zero state is not a block: the block queries refuse it without harm.
func TestZeroStateIsNoBlock(t *testing.T) {
	t.Parallel()
	ctx, _, api := start(t)
	var resp tl.Serializable
	require.NoError(t, api.Client().QueryLiteserver(ctx, ton.GetMasterchainInf{}, &resp))
	zero := resp.(ton.MasterchainInfo).Init
	master := &ton.BlockIDExt{Workchain: -1, Shard: math.MinInt64, SeqNo: 0, RootHash: zero.RootHash, FileHash: zero.FileHash}
	_, err := api.GetBlockShardsInfo(ctx, master)
	assert.Equal(t, int32(651), lsErr(t, err).Code)
	_, err = api.GetBlockData(ctx, master)
	assert.Equal(t, int32(651), lsErr(t, err).Code)
	_, err = api.GetBlockHeader(ctx, master)
	assert.Equal(t, int32(651), lsErr(t, err).Code)
	ids, more, err := api.GetBlockTransactionsV2(ctx, master, 10)
	require.NoError(t, err)
	assert.Empty(t, ids)
	assert.False(t, more)
	_, err = api.LookupBlock(ctx, -1, math.MinInt64, 0)
	assert.ErrorIs(t, err, ton.ErrBlockNotFound)
	_, err = api.GetMasterchainInfo(ctx)
	require.NoError(t, err, "the server still answers")
}

// lookupBlock by logical time finds the block whose lt range reaches it,
// by unix time the first block generated then or later.
func TestLookupBlockByTime(t *testing.T) {
	t.Parallel()
	ctx, chain, api := start(t)
	alice := newWallet(t, chain, wallet.V4R2, 10*ton1)
	require.NoError(t, alice.Send(randomAddr(t), ton1, "", false))
	sent := chain.Mine()
	chain.Advance(10 * time.Second)
	later := chain.Mine()
	chain.Mine()
	tx := chain.Transactions(alice.Address())[0]

	query := func(q ton.LookupBlock) (*ton.BlockIDExt, error) {
		var resp tl.Serializable
		require.NoError(t, api.Client().QueryLiteserver(ctx, q, &resp))
		switch r := resp.(type) {
		case ton.BlockHeader:
			return r.ID, nil
		case ton.LSError:
			return nil, r
		}
		t.Fatalf("%T", resp)
		return nil, nil
	}
	id, err := query(ton.LookupBlock{Mode: 2, ID: &ton.BlockInfoShort{Workchain: 0, Shard: math.MinInt64}, LT: tx.LT})
	require.NoError(t, err)
	assert.Equal(t, chain.ShardBlock(sent), id)
	id, err = query(ton.LookupBlock{Mode: 4, ID: &ton.BlockInfoShort{Workchain: -1, Shard: math.MinInt64}, UTime: tx.Now + 5})
	require.NoError(t, err)
	assert.Equal(t, later, id.SeqNo)
	_, err = query(ton.LookupBlock{Mode: 4, ID: &ton.BlockInfoShort{Workchain: -1, Shard: math.MinInt64}, UTime: tx.Now + 3600})
	e := lsErr(t, err)
	assert.Equal(t, int32(651), e.Code)
	assert.Equal(t, "ltdb: block not found", e.Text)
	_, err = query(ton.LookupBlock{Mode: 3, ID: &ton.BlockInfoShort{Workchain: -1, Shard: math.MinInt64}})
	assert.Equal(t, int32(-400), lsErr(t, err).Code)
}
