package tontest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/liteclient"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// DefaultKeepBlocks is Options.KeepBlocks's default: an hour of 400 ms blocks.
const DefaultKeepBlocks = 9000

// FaucetAddress is where Fund's messages come from (raw form). Nothing is
// deployed there: the value they carry is created out of nothing.
const FaucetAddress = "0:fa0cefa0cefa0cefa0cefa0cefa0cefa0cefa0cefa0cefa0cefa0cefa0cefa0c"

var faucet = address.MustParseRawAddr(FaucetAddress)

// maxMessagesPerBlock bounds the internal messages one block delivers, so a
// message loop cannot hang Mine; the rest is delivered by the next blocks.
const maxMessagesPerBlock = 10_000

// Options configures a Chain. The zero value is usable.
type Options struct {
	// GlobalID is the network id V5R1 wallets are built for. Zero means
	// wallet.TestnetGlobalID.
	GlobalID int32
	// Key is the lite-server key; a fresh one when nil.
	Key ed25519.PrivateKey
	// KeepBlocks is how many recent blocks' account states the chain keeps
	// for getAccountState and runSmcMethod (older ones answer code -400),
	// so that memory stays bounded however long the chain runs. Zero means
	// DefaultKeepBlocks. Transactions are kept (see PruneBefore).
	KeepBlocks uint32
}

// Chain is an emulated TON chain behind a lite-server on 127.0.0.1.
// All methods are safe for concurrent use.
type Chain struct {
	opts  Options
	key   ed25519.PrivateKey
	id    [32]byte // mixed into block hashes so two chains never agree
	srv   *liteclient.Server
	addr  string
	done  chan struct{}
	close sync.Once

	connMu sync.Mutex
	conns  map[*liteclient.ServerClient]struct{}
	pools  []*liteclient.ConnectionPool

	mu        sync.Mutex
	offset    time.Duration     // chain clock = wall clock + offset
	lag       time.Duration     // block time = chain clock - lag
	seqno     uint32            // last produced masterchain block
	blockNow  uint32            // its generation time
	blocks    []blockInfo       // by seqno, 0 being the zero state
	touched   map[*account]bool // accounts changed by the block being made
	lt        uint64            // last logical time handed out
	newBlock  chan struct{}     // closed when a block is produced
	accounts  map[string]*account
	pending   []pendingExt           // accepted externals waiting for a block
	queued    map[string]bool        // hashes of pending externals
	inflight  []*tlb.InternalMessage // internal messages not yet delivered
	jettons   map[string]*Jetton     // by master address
	stopMine  chan struct{}
	failLeft  int
	failCode  int32
	delay     time.Duration
	dropExt   bool
	listenErr chan error
	vm        *machine  // executes every transaction
	making    []blockTx // transactions of the block being made
	listsFrom uint32    // blocks before it no longer keep their transaction lists
	holdTips  int       // masterchain blocks still to name no new shard block
	cellsFrom uint32    // blocks before it no longer keep their cells
	remade    struct {  // the last older block whose cells were made again
		seqno         uint32
		shard, master *cell.Cell
	}
}

// blockInfo is what the shard state of a block tells beside the accounts.
type blockInfo struct {
	now     uint32    // gen_utime
	lt      uint64    // gen_lt: the block's end_lt
	startLT uint64    // the block's start_lt
	txs     []blockTx // its transactions by account, then lt; nil beyond the horizon
	tip     uint32    // the basechain block this masterchain block names (itself unless held)

	// The ids of the masterchain block and of its basechain block (root
	// and file hashes), kept for good: transactions name their blocks.
	master, shard blockHashes
	// Their Block cells while recent (cellWindow); older ones within the
	// horizon are made again when asked for.
	masterCell, shardCell *cell.Cell
}

// blockHashes are a block's root_hash and file_hash.
type blockHashes struct{ root, file [32]byte }

func hashesOf(id *ton.BlockIDExt) (h blockHashes) {
	copy(h.root[:], id.RootHash)
	copy(h.file[:], id.FileHash)
	return h
}

type pendingExt struct {
	msg  *tlb.ExternalMessage
	root *cell.Cell
}

// Start starts a chain and its lite-server on a free 127.0.0.1 port. The
// chain holds one empty masterchain block. Close stops it.
func Start(ctx context.Context, opts Options) (*Chain, error) {
	silenceServerLog.Do(func() { liteclient.Logger = func(...any) {} })

	if opts.KeepBlocks == 0 {
		opts.KeepBlocks = DefaultKeepBlocks
	}
	if opts.GlobalID == 0 {
		opts.GlobalID = wallet.TestnetGlobalID
	}
	key := opts.Key
	if key == nil {
		var err error
		if _, key, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return nil, err
		}
	}
	c := &Chain{
		opts:     opts,
		key:      key,
		done:     make(chan struct{}),
		conns:    map[*liteclient.ServerClient]struct{}{},
		newBlock: make(chan struct{}),
		accounts: map[string]*account{},
		queued:   map[string]bool{},
		jettons:  map[string]*Jetton{},
		touched:  map[*account]bool{},
	}
	var err error
	if c.vm, err = newMachine(); err != nil {
		return nil, err
	}
	if _, err := rand.Read(c.id[:]); err != nil {
		return nil, err
	}
	c.blocks = []blockInfo{{now: uint32(time.Now().Unix()), master: hashesOf(c.zeroStateID(-1)), shard: hashesOf(c.zeroStateID(0))}}
	c.Mine()

	for attempt := 0; attempt < 5; attempt++ {
		if err = c.listen(ctx); err == nil {
			return c, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("tontest: start lite-server: %w", err)
}

// silenceServerLog mutes tonutils-go's server logging (a package variable,
// so it is set once for the process).
var silenceServerLog sync.Once

// listen picks a free port and serves on it. It returns once the server
// accepted a probe connection, which also orders the server goroutine's
// writes before Close.
func (c *Chain) listen(ctx context.Context) error {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := probe.Addr().String()
	_ = probe.Close()

	ready := make(chan struct{})
	var once sync.Once
	srv := liteclient.NewServer([]ed25519.PrivateKey{c.key})
	srv.SetConnectionHook(func(sc *liteclient.ServerClient) error {
		once.Do(func() { close(ready) })
		c.connMu.Lock()
		defer c.connMu.Unlock()
		select {
		case <-c.done:
			return errors.New("closed")
		default:
		}
		c.conns[sc] = struct{}{}
		return nil
	})
	srv.SetDisconnectHook(func(sc *liteclient.ServerClient) {
		c.connMu.Lock()
		delete(c.conns, sc)
		c.connMu.Unlock()
	})
	srv.SetQueryHandler(c.handle)

	listenErr := make(chan error, 1)
	go func() { listenErr <- srv.Listen(addr) }()

	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = conn.Close()
			break
		}
		select {
		case err := <-listenErr:
			return err
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	select {
	case <-ready:
	case err := <-listenErr:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
	c.srv, c.addr, c.listenErr = srv, addr, listenErr
	return nil
}

// Close stops block production, the lite-server, its connections and the
// clients made by Client.
func (c *Chain) Close() {
	c.close.Do(func() {
		c.connMu.Lock()
		close(c.done)
		conns := c.conns
		c.conns = nil
		pools := c.pools
		c.pools = nil
		c.connMu.Unlock()

		for _, p := range pools {
			p.Stop()
		}
		_ = c.srv.Close()
		<-c.listenErr
		for sc := range conns {
			sc.Close()
		}
	})
}

// LiteServers returns the lite-server as "127.0.0.1:PORT:base64key", the
// TON_LITESERVERS format.
func (c *Chain) LiteServers() string {
	return c.addr + ":" + c.publicKey()
}

func (c *Chain) publicKey() string {
	return base64.StdEncoding.EncodeToString(c.key.Public().(ed25519.PublicKey))
}

// Client returns a real tonutils-go client connected to the chain over TCP:
// a connection pool and ton.NewAPIClient(pool, ProofCheckPolicyUnsafe)
// .WithRetryTimeout(0, 0) (retries as WithRetry did). Close stops it.
func (c *Chain) Client(ctx context.Context) (ton.APIClientWrapped, error) {
	pool := liteclient.NewConnectionPool()
	if err := pool.AddConnection(ctx, c.addr, c.publicKey()); err != nil {
		pool.Stop()
		return nil, fmt.Errorf("tontest: connect: %w", err)
	}
	c.connMu.Lock()
	defer c.connMu.Unlock()
	if c.conns == nil {
		pool.Stop()
		return nil, errors.New("tontest: chain closed")
	}
	c.pools = append(c.pools, pool)
	return ton.NewAPIClient(pool, ton.ProofCheckPolicyUnsafe).WithRetryTimeout(0, 0), nil
}

// Now returns the chain clock: the wall clock plus what Advance added.
func (c *Chain) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *Chain) now() time.Time { return time.Now().Add(c.offset) }

// Advance moves the chain clock forward by d.
func (c *Chain) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// SetLag dates every block made from now on d behind the chain clock, as
// seen through a public lite-server whose shard view lags: blocks, their
// transactions and MasterchainInfoExt.LastUTime carry the chain clock
// minus d, while getTime and MasterchainInfoExt.Now keep the chain clock.
// Contracts judge time by the block's. Raising the lag can date a block
// before the previous one; set it before the blocks a test looks at.
func (c *Chain) SetLag(d time.Duration) {
	c.mu.Lock()
	c.lag = d
	c.mu.Unlock()
}

// nextBlockTime is the generation time the next block will have.
// On the TVM a block is never dated before the last one (the TVM refuses
// a transaction older than the account's last storage payment).
func (c *Chain) nextBlockTime() uint32 {
	t := uint32(c.now().Add(-c.lag).Unix())
	if len(c.blocks) > 0 {
		t = max(t, c.blocks[len(c.blocks)-1].now)
	}
	return t
}

// Head returns the id of the last masterchain block (e.g. for RunGetMethod).
func (c *Chain) Head() *ton.BlockIDExt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.masterBlock(c.seqno)
}

// Mine produces one masterchain block now. It first delivers the internal
// messages queued before it (Fund's and Mint's, or what the last block
// could not deliver), as a collator imports its inbound queue first, then
// executes the pending external messages in arrival order (each checked
// again as the contract would) and delivers the messages they cause until
// none is left. It returns the block's seqno and wakes the queries waiting
// for it.
func (c *Chain) Mine() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seqno++
	c.blockNow = c.nextBlockTime()
	c.vm.block = c.vm.blockContext(c.blockNow)
	if start := uint64(c.seqno) * 1_000_000; c.lt < start {
		c.lt = start
	}
	startLT := c.lt

	queued := c.inflight
	c.inflight = nil
	n := min(len(queued), maxMessagesPerBlock)
	for _, msg := range queued[:n] {
		c.runInternal(msg)
	}
	left := append([]*tlb.InternalMessage(nil), queued[n:]...)

	pending := c.pending
	c.pending, c.queued = nil, map[string]bool{}
	for _, p := range pending {
		c.runExternal(p.msg, p.root)
	}
	for ; len(c.inflight) > 0 && n < maxMessagesPerBlock; n++ {
		msg := c.inflight[0]
		c.inflight = c.inflight[1:]
		c.runInternal(msg)
	}
	c.inflight = append(left, c.inflight...)

	// The state at the end of the block, for queries at this block later.
	for acc := range c.touched {
		c.snapshot(acc)
	}
	c.touched = map[*account]bool{}
	tip := c.seqno
	if c.holdTips > 0 {
		c.holdTips--
		tip = c.blocks[c.seqno-1].tip
	}
	c.blocks = append(c.blocks, blockInfo{now: c.blockNow, lt: c.lt, startLT: startLT, tip: tip})
	c.sealBlockTxs()
	c.sealBlocks()

	close(c.newBlock)
	c.newBlock = make(chan struct{})
	return c.seqno
}

// AutoMine produces a block every interval in the background until Close or
// the next AutoMine call; AutoMine(0) stops it.
func (c *Chain) AutoMine(every time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopMine != nil {
		close(c.stopMine)
		c.stopMine = nil
	}
	if every <= 0 {
		return
	}
	stop := make(chan struct{})
	c.stopMine = stop
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-c.done:
				return
			case <-t.C:
				c.Mine()
			}
		}
	}()
}

// waitSeqno blocks until block seqno exists; false when the wait timed out,
// the query was cancelled or the chain closed.
func (c *Chain) waitSeqno(ctx context.Context, seqno uint32, timeout time.Duration) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		c.mu.Lock()
		head, next := c.seqno, c.newBlock
		c.mu.Unlock()
		if head >= seqno {
			return true
		}
		select {
		case <-next:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		case <-c.done:
			return false
		}
	}
}

// Fund sends nano to addr from FaucetAddress in a block of its own, mined
// before Fund returns: a non-bounceable internal message without body whose
// value comes out of nothing. addr gets a real transaction (storage fee and,
// with code, compute fee included), so a follower of the account sees it;
// an address without code becomes an uninit account holding the rest.
func (c *Chain) Fund(addr *address.Address, nano uint64) {
	c.mu.Lock()
	c.inject(&tlb.InternalMessage{
		SrcAddr: faucet, DstAddr: addr, Amount: tlb.FromNanoTONU(nano), Body: cell.BeginCell().EndCell(),
	})
	c.mu.Unlock()
	c.Mine()
}

// Payment is one transfer of FundMany.
type Payment struct {
	To   *address.Address
	Nano uint64
}

// FundMany sends each payment from FaucetAddress as Fund does (a
// non-bounceable internal message without body: a plain transfer, no
// comment), all queued for the next block and mined before FundMany
// returns: one block for up to 10,000 payments, the rest in the blocks
// right after (a block delivers at most 10,000 messages, after what was
// queued before). It returns the first and last block that may hold them
// (with AutoMine running, its blocks may deliver some). This is the cheap
// way to give a benchmark thousands of funded addresses or deposits: no
// signing, one TVM transaction per payment.
func (c *Chain) FundMany(payments []Payment) (first, last uint32) {
	if len(payments) == 0 {
		return 0, 0
	}
	mine := make(map[*tlb.InternalMessage]bool, len(payments))
	c.mu.Lock()
	first = c.seqno + 1
	for _, p := range payments {
		m := &tlb.InternalMessage{SrcAddr: faucet, DstAddr: p.To, Amount: tlb.FromNanoTONU(p.Nano), Body: cell.BeginCell().EndCell()}
		mine[m] = true
		c.inject(m)
	}
	c.mu.Unlock()
	for {
		last = c.Mine()
		c.mu.Lock()
		left := false
		for _, m := range c.inflight {
			if mine[m] {
				left = true
				break
			}
		}
		c.mu.Unlock()
		if !left {
			return first, last
		}
	}
}

// inject queues an internal message no transaction sent (from the faucet or
// a jetton admin) for the next block, stamped as if sent now. Nobody paid to
// forward it: its fwd_fee is 0.
func (c *Chain) inject(m *tlb.InternalMessage) {
	c.lt++
	m.IHRDisabled = true
	m.IHRFee = tlb.FromNanoTONU(0) // no extra flags
	m.FwdFee = tlb.FromNanoTONU(0)
	m.CreatedLT = c.lt
	m.CreatedAt = c.nextBlockTime()
	c.inflight = append(c.inflight, m)
}

// Balance returns the balance of addr in nanoton.
func (c *Chain) Balance(addr *address.Address) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if acc := c.accounts[key(addr)]; acc != nil {
		return acc.balance
	}
	return 0
}

// Transactions returns the transactions of addr, oldest first, with Hash set.
func (c *Chain) Transactions(addr *address.Address) []*tlb.Transaction {
	c.mu.Lock()
	acc := c.accounts[key(addr)]
	var recs []txRecord
	if acc != nil {
		recs = append(recs, acc.txs...)
	}
	c.mu.Unlock()

	txs := make([]*tlb.Transaction, 0, len(recs))
	for _, r := range recs {
		var tx tlb.Transaction
		if err := tlb.Parse(&tx, r.cell); err != nil {
			panic("tontest: own transaction does not parse: " + err.Error())
		}
		tx.Hash = r.hash
		txs = append(txs, &tx)
	}
	return txs
}

// BalanceChange is an account's balance around one of its transactions.
type BalanceChange struct {
	LT            uint64 // the transaction's logical time
	Before, After uint64 // nanoton
}

// BalanceChanges returns the balance of addr before and after each of its
// transactions, oldest first as Transactions lists them: what booking the
// transactions must reproduce.
func (c *Chain) BalanceChanges(addr *address.Address) []BalanceChange {
	c.mu.Lock()
	defer c.mu.Unlock()
	acc := c.accounts[key(addr)]
	if acc == nil {
		return nil
	}
	res := make([]BalanceChange, len(acc.txs))
	for i, r := range acc.txs {
		res[i] = BalanceChange{LT: r.lt, Before: r.before, After: r.after}
	}
	return res
}

// SendExternal accepts a signed external message (a BOC, as a wallet or
// TON Connect produces it) as the lite-server's sendMessage does: it is
// checked against the contract now and executed by the next block. Wallets
// V4R2, V5R1Final and Highload v3 are understood.
func (c *Chain) SendExternal(boc []byte) error {
	root, err := cell.FromBOC(boc)
	if err != nil {
		return fmt.Errorf("tontest: parse boc: %w", err)
	}
	var msg tlb.ExternalMessage
	if err := tlb.Parse(&msg, root); err != nil {
		return fmt.Errorf("tontest: parse external message: %w", err)
	}
	return c.submit(&msg, root)
}

// submit checks an external message against the current state and queues it
// for the next block. A copy of a queued message is accepted and ignored.
func (c *Chain) submit(msg *tlb.ExternalMessage, root *cell.Cell) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Checked as the next block will run it: at that block's time.
	if err := c.vmCheckExternal(msg, root, c.nextBlockTime()); err != nil {
		return err
	}
	c.enqueue(msg, root)
	return nil
}

// enqueue queues an external message for the next block, once.
func (c *Chain) enqueue(msg *tlb.ExternalMessage, root *cell.Cell) {
	if hash := root.Hash(); !c.queued[string(hash)] {
		c.queued[string(hash)] = true
		c.pending = append(c.pending, pendingExt{msg: msg, root: root})
	}
}

// HoldShardTips makes the next n masterchain blocks name no new basechain
// block: their ShardHashes keep the tip of the block before, as when the
// shard's blocks reach the masterchain late, and the block after names the
// newest again, so the shard's seqno jumps by n+1. The basechain blocks in
// between are made all the same (with their transactions) but, as on a
// real node, are not served until a masterchain block names a later tip
// (lookupBlock: not found), and the state at a masterchain block is its
// tip's. A follower that reads only the tips misses their transactions.
func (c *Chain) HoldShardTips(n int) {
	c.mu.Lock()
	c.holdTips = n
	c.mu.Unlock()
}

// PruneBefore forgets the transactions of addr with a logical time below lt:
// getTransactions reaching them answers ton.LSError code -400, like a node
// that dropped old history.
func (c *Chain) PruneBefore(addr *address.Address, lt uint64) {
	c.mu.Lock()
	c.account(addr).prunedBelow = lt
	c.mu.Unlock()
}

// FailNext makes the next n lite-server queries answer ton.LSError{Code: code}.
func (c *Chain) FailNext(n int, code int32) {
	c.mu.Lock()
	c.failLeft, c.failCode = n, code
	c.mu.Unlock()
}

// Delay makes the lite-server wait d before answering each query; 0 ends it.
func (c *Chain) Delay(d time.Duration) {
	c.mu.Lock()
	c.delay = d
	c.mu.Unlock()
}

// DropExternals makes the lite-server's sendMessage answer success and drop
// the message, as a node that lost it.
func (c *Chain) DropExternals(drop bool) {
	c.mu.Lock()
	c.dropExt = drop
	c.mu.Unlock()
}

// masterBlock returns the id of masterchain block seqno.
func (c *Chain) masterBlock(seqno uint32) *ton.BlockIDExt {
	return c.blockID(-1, seqno)
}

// shardBlock returns the id of the basechain block made with masterchain
// block seqno (the emulated basechain has one shard and one block per
// masterchain block, which the masterchain block names as the shard's tip
// unless HoldShardTips held it back).
func (c *Chain) shardBlock(seqno uint32) *ton.BlockIDExt {
	return c.blockID(0, seqno)
}

func (c *Chain) blockID(wc int32, seqno uint32) *ton.BlockIDExt {
	h := c.blocks[seqno].shard
	if wc == -1 {
		h = c.blocks[seqno].master
	}
	return &ton.BlockIDExt{Workchain: wc, Shard: math.MinInt64, SeqNo: seqno, RootHash: bytes.Clone(h.root[:]), FileHash: bytes.Clone(h.file[:])}
}

// zeroStateID is the id of workchain wc's zero state (block 0): not a
// block, so not the hash of one.
func (c *Chain) zeroStateID(wc int32) *ton.BlockIDExt {
	var buf [4]byte
	binary.BigEndian.PutUint32(buf[:], uint32(wc))
	root := sha256.Sum256(append(c.id[:], buf[:]...))
	file := sha256.Sum256(root[:])
	return &ton.BlockIDExt{Workchain: wc, Shard: math.MinInt64, SeqNo: 0, RootHash: root[:], FileHash: file[:]}
}
