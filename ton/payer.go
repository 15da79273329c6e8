package ton

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tl"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/jetton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// Payer limits and Highload Wallet v3 constants.
const (
	// MaxBatch is the most messages one external carries: one action list
	// of the internal_transfer (the contract's limit is 254 with its own).
	MaxBatch = 253
	// createdAtLag is how far before the chain's clock a message is dated,
	// so that a liteserver whose clock is a little behind still accepts it.
	createdAtLag = 30
	// opHighloadInternalTransfer is the op of the message a Highload v3
	// wallet sends itself to fan a batch out.
	opHighloadInternalTransfer = 0xae42e5a4
	// minTransferTON is the least TON an internal_transfer carries (its gas).
	minTransferTON = 10_000_000
	// sendMode: pay forwarding fees apart from the value, and skip (not
	// fail) a message that cannot be sent: the payer sees it skipped.
	sendMode = wallet.PayGasSeparately + wallet.IgnoreErrors
	// Failpoint steps.
	StepPersisted = "persisted" // batch reserved and stored; nothing sent yet
	StepSent      = "sent"      // BOC sent; the send not recorded yet
	StepConfirm   = "confirm"   // chain transactions classified; not yet applied
)

// PayerConfig is how the payer pays.
type PayerConfig struct {
	Testnet bool
	// Jettons that can be withdrawn; the hot wallet's own jetton wallet of
	// each is resolved from its master.
	Jettons []store.Asset
	// BatchSize is the most withdrawals per external message (<= 253,
	// default 253).
	BatchSize int
	// Tick is the longest wait for a new block before a pass runs anyway
	// (default 2 s).
	Tick time.Duration
	// ResendEvery is how often an unconfirmed batch's BOC is sent again
	// (default 1 s; at most once a pass).
	ResendEvery time.Duration
	// JettonTON is the TON attached to a jetton transfer (default 0.05 TON);
	// what is left comes back as excesses.
	JettonTON store.Amount
	// Reserve is TON the hot wallet always keeps for network fees
	// (default 0.5 TON).
	Reserve store.Amount
	// MessageFee is the network fee reckoned per message when checking the
	// hot wallet can cover the queue (default 0.01 TON).
	MessageFee store.Amount
	// HotWalletMax and Cold: TON above HotWalletMax (plus the queue's need)
	// is swept to Cold when the payer is idle. Zero/nil: no sweeping.
	HotWalletMax store.Amount
	Cold         *address.Address
	// SweepMin is the least worth sweeping (default 1 TON).
	SweepMin store.Amount
	// MaxSkips is how many times the chain may skip a withdrawal's message
	// before it is failed and refunded (default 3).
	MaxSkips int
	// ExpiryGrace is how long after a batch's expiry the payer waits before
	// it believes the chain's history about it (default 15 s).
	ExpiryGrace time.Duration
	Log         *slog.Logger
	// Failpoint, when set, is called at StepPersisted, StepSent and
	// StepConfirm; an error stops Run there, as a crash would (tests).
	Failpoint func(step string) error
}

// ourJetton is the hot wallet's own wallet of a jetton.
type ourJetton struct {
	asset  store.Asset
	addr   *address.Address
	raw    string
	client *jetton.WalletClient
}

// Payer pays queued withdrawals out of the Highload v3 hot wallet, each
// exactly once. See Run.
type Payer struct {
	api    tonapi.APIClientWrapped
	db     *store.DB
	cfg    PayerConfig
	log    *slog.Logger
	w      *wallet.Wallet
	hot    *address.Address
	hotRaw string

	mu       sync.Mutex
	jettons  map[string]*ourJetton // by asset, once resolved
	cursors  map[string]bool       // accounts whose payer cursor exists
	lastSend map[int64]time.Time   // batch -> last send
	alarmed  map[int64]time.Time   // batch -> last alarm about it
	skipLog  map[string]time.Time  // asset -> last "cannot pay" warning
	paused   string
	pauseLog time.Time

	dbTime  atomic.Int64 // nanoseconds spent in the store
	nBatch  atomic.Int64
	nSends  atomic.Int64
	pausedG prometheus.Gauge
	openG   prometheus.Gauge
	batches prometheus.Counter
	sends   prometheus.Counter
	outcome *prometheus.CounterVec
	errs    prometheus.Counter
}

// NewPayer opens the hot wallet from its seed phrase.
func NewPayer(api tonapi.APIClientWrapped, db *store.DB, words []string, cfg PayerConfig) (*Payer, error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = MaxBatch
	}
	if cfg.BatchSize > MaxBatch {
		return nil, fmt.Errorf("payer: batch size %d exceeds %d", cfg.BatchSize, MaxBatch)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 2 * time.Second
	}
	if cfg.ResendEvery <= 0 {
		cfg.ResendEvery = time.Second
	}
	if cfg.JettonTON <= 0 {
		cfg.JettonTON = 50_000_000
	}
	if cfg.Reserve <= 0 {
		cfg.Reserve = 500_000_000
	}
	if cfg.MessageFee <= 0 {
		cfg.MessageFee = 10_000_000
	}
	if cfg.SweepMin <= 0 {
		cfg.SweepMin = 1_000_000_000
	}
	if cfg.MaxSkips <= 0 {
		cfg.MaxSkips = 3
	}
	if cfg.ExpiryGrace <= 0 {
		cfg.ExpiryGrace = 15 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	w, err := HotWallet(api, words, reservedQuery)
	if err != nil {
		return nil, fmt.Errorf("payer: hot wallet: %w", err)
	}
	hot := w.WalletAddress().Bounce(true)
	if cfg.HotWalletMax > 0 || cfg.Cold != nil {
		switch {
		case cfg.Cold == nil || cfg.HotWalletMax <= 0:
			return nil, errors.New("payer: sweeping needs both a cold wallet address and a hot wallet maximum")
		case cfg.Cold.Equals(hot):
			return nil, errors.New("payer: the cold wallet is the hot wallet")
		case cfg.HotWalletMax <= cfg.Reserve:
			return nil, fmt.Errorf("payer: hot wallet maximum %d must exceed the fee reserve %d", cfg.HotWalletMax, cfg.Reserve)
		}
	}
	p := &Payer{api: api, db: db, cfg: cfg, log: cfg.Log, w: w, hot: hot, hotRaw: hot.StringRaw(),
		jettons: map[string]*ourJetton{}, cursors: map[string]bool{}, lastSend: map[int64]time.Time{},
		alarmed: map[int64]time.Time{}, skipLog: map[string]time.Time{}}
	p.pausedG = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_payer_paused",
		Help: "1 while withdrawals wait because the hot wallet cannot cover them."})
	p.openG = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_payer_open_batches",
		Help: "Batches sent and not yet settled."})
	p.batches = prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_payer_batches_total",
		Help: "External messages (batches) the payer signed."})
	p.sends = prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_payer_sends_total",
		Help: "Sends of batch BOCs accepted by the liteserver (re-sends included)."})
	p.outcome = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tonpay_payer_withdrawals_total",
		Help: "Withdrawals settled by the payer, by outcome."}, []string{"outcome"})
	p.errs = prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_payer_errors_total", Help: "Failed payer passes."})
	return p, nil
}

// Collectors are the payer's Prometheus metrics.
func (p *Payer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{p.pausedG, p.openG, p.batches, p.sends, p.outcome, p.errs}
}

// Hot is the hot wallet's address.
func (p *Payer) Hot() *address.Address { return p.hot }

// PayerStats is what the payer has done since it started.
type PayerStats struct {
	Batches int64         // external messages signed
	Sends   int64         // sends accepted (re-sends included)
	DBTime  time.Duration // time spent in the store
	Paused  string        // why payouts wait, "" when they do not
}

// Stats reports the payer's counters.
func (p *Payer) Stats() PayerStats {
	p.mu.Lock()
	paused := p.paused
	p.mu.Unlock()
	return PayerStats{Batches: p.nBatch.Load(), Sends: p.nSends.Load(), DBTime: time.Duration(p.dbTime.Load()), Paused: paused}
}

// reservation is the query id and created_at the store reserved for the
// message being signed; it travels in the context to the wallet's
// MessageBuilder, so nothing else can hand out a query id.
type reservation struct {
	queryID   uint32
	createdAt int64
}

type reservationKey struct{}

func reservedQuery(ctx context.Context, _ uint32) (uint32, int64, error) {
	r, ok := ctx.Value(reservationKey{}).(reservation)
	if !ok {
		return 0, 0, errors.New("ton: hot wallet messages are built only with a query id reserved in the store")
	}
	return r.queryID, r.createdAt, nil
}

// failpointError is an error a failpoint injected: Run stops on it.
type failpointError struct{ err error }

func (e failpointError) Error() string { return "failpoint: " + e.err.Error() }
func (e failpointError) Unwrap() error { return e.err }

func (p *Payer) fail(step string) error {
	if p.cfg.Failpoint == nil {
		return nil
	}
	if err := p.cfg.Failpoint(step); err != nil {
		return failpointError{err}
	}
	return nil
}

// timed runs a store call and adds its duration to the payer's store time.
func timed[T any](p *Payer, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	p.dbTime.Add(int64(time.Since(start)))
	return v, err
}

// Run pays withdrawals until ctx ends, one pass per block:
//
//  1. follow the hot wallet's transactions (and its jetton wallets') from the
//     payer's own cursors, and settle each batch, withdrawal by withdrawal,
//     from what the chain did (see store.ApplyPayouts);
//  2. re-send the stored BOC of every batch not seen on chain yet, until it
//     expires; after expiry (plus a grace) by the liteserver's clock and by
//     its head block's date, having followed the history to that head, ask
//     processed?(query_id): not processed → the batch's withdrawals
//     are queued again (re-issued under a new query id); processed but not in
//     our history → alarm, nothing is re-issued;
//  3. take queued withdrawals oldest first while the hot wallet covers them
//     (else pause: log, metric, admin notice), up to BatchSize per batch;
//     reserve each batch (query id, created_at = chain time - 30 s, signed
//     BOC, withdrawals sent) in ONE store transaction, then send it;
//  4. when idle, sweep TON above HotWalletMax to the cold wallet.
//
// Errors are retried with backoff; Run returns nil when ctx ends, or the
// error of a failpoint.
func (p *Payer) Run(ctx context.Context) error {
	var head *tonapi.BlockIDExt
	backoff := 200 * time.Millisecond
	for ctx.Err() == nil {
		next, err := p.Pass(ctx, head)
		if err == nil {
			head = next
			backoff = 200 * time.Millisecond
			continue
		}
		if ctx.Err() != nil {
			break
		}
		var fp failpointError
		if errors.As(err, &fp) {
			return err
		}
		p.errs.Inc()
		p.log.Warn("payer pass failed; retrying", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
	return nil
}

// Pass waits for the block after prev (at most Tick), then does one round
// of Run's work. It returns the block it reached.
func (p *Payer) Pass(ctx context.Context, prev *tonapi.BlockIDExt) (*tonapi.BlockIDExt, error) {
	ctx = p.api.Client().StickyContext(ctx)
	head, err := p.nextBlock(ctx, prev)
	if err != nil {
		return prev, err
	}
	if err := p.init(ctx, head); err != nil {
		return prev, err
	}
	hotAcc, err := p.follow(ctx, head)
	if err != nil {
		return prev, err
	}
	open, err := timed(p, func() ([]store.Batch, error) { return p.db.OpenBatches(ctx) })
	if err != nil {
		return prev, err
	}
	queued, err := timed(p, func() ([]store.Withdrawal, error) {
		return p.db.Withdrawals(ctx, store.WithdrawalQueued, 16*p.cfg.BatchSize)
	})
	if err != nil {
		return prev, err
	}
	p.openG.Set(float64(len(open)))
	if len(open) == 0 && len(queued) == 0 && p.cfg.Cold == nil {
		p.setPaused(ctx, nil)
		return head, nil
	}
	now, err := p.api.GetTime(ctx)
	if err != nil {
		return prev, fmt.Errorf("chain time: %w", err)
	}
	expired := false
	for _, b := range open {
		done, err := p.drive(ctx, b, int64(now))
		if err != nil {
			return prev, err
		}
		expired = expired || done
	}
	if expired {
		// Re-issued withdrawals are back in the queue; the balance moved.
		return head, nil
	}
	paid, err := p.payQueue(ctx, head, hotAcc, int64(now), queued)
	if err != nil {
		return prev, err
	}
	if !paid && len(open) == 0 && len(queued) == 0 {
		if err := p.sweep(ctx, hotAcc, int64(now)); err != nil {
			return prev, err
		}
	}
	return head, nil
}

// nextBlock long-polls for the block after prev, waiting at most Tick: a
// pass also runs without a new block (re-sends, expiry by the clock).
func (p *Payer) nextBlock(ctx context.Context, prev *tonapi.BlockIDExt) (*tonapi.BlockIDExt, error) {
	if prev == nil {
		return p.api.GetMasterchainInfo(ctx)
	}
	wctx, cancel := context.WithTimeout(ctx, p.cfg.Tick)
	m, err := p.api.WaitForBlock(prev.SeqNo + 1).GetMasterchainInfo(wctx)
	cancel()
	if err == nil {
		return m, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return p.api.GetMasterchainInfo(ctx)
}

// init resolves the hot wallet's jetton wallets and starts the payer's
// cursors at the accounts' present, once each: batches are only ever made
// after the cursor exists, so nothing of ours lies before it.
func (p *Payer) init(ctx context.Context, head *tonapi.BlockIDExt) error {
	if err := p.startCursor(ctx, head, p.hot, p.hotRaw); err != nil {
		return err
	}
	for _, a := range p.cfg.Jettons {
		p.mu.Lock()
		oj := p.jettons[a.Symbol]
		p.mu.Unlock()
		if oj == nil {
			m, err := address.ParseRawAddr(a.Master)
			if err != nil {
				return fmt.Errorf("jetton %s master %q: %w", a.Symbol, a.Master, err)
			}
			c, err := jetton.NewJettonMasterClient(p.api, m).GetJettonWalletAtBlock(ctx, p.hot, head)
			if err != nil {
				return fmt.Errorf("jetton %s: our wallet address: %w", a.Symbol, err)
			}
			addr := c.Address().Bounce(true)
			oj = &ourJetton{asset: a, addr: addr, raw: addr.StringRaw(), client: c}
			if err := p.startCursor(ctx, head, addr, oj.raw); err != nil {
				return err
			}
			p.mu.Lock()
			p.jettons[a.Symbol] = oj
			p.mu.Unlock()
		}
	}
	return nil
}

func cursorName(raw string) string { return "payer:" + raw }

func (p *Payer) startCursor(ctx context.Context, head *tonapi.BlockIDExt, addr *address.Address, raw string) error {
	p.mu.Lock()
	known := p.cursors[raw]
	p.mu.Unlock()
	if known {
		return nil
	}
	_, err := timed(p, func() (store.Cursor, error) { return p.db.Cursor(ctx, cursorName(raw)) })
	if errors.Is(err, store.ErrNotFound) {
		acc, aerr := p.api.WaitForBlock(head.SeqNo).GetAccount(ctx, head, addr)
		if aerr != nil {
			return fmt.Errorf("get account %s: %w", raw, aerr)
		}
		open, oerr := p.db.OpenBatches(ctx)
		if oerr != nil {
			return oerr
		}
		if len(open) > 0 {
			p.log.Warn("payer cursor missing while batches are open; starting at the present (their confirmations may be missed; nothing is paid twice)", "account", raw)
		}
		err = p.db.SetCursor(ctx, store.Cursor{Account: cursorName(raw), LT: acc.LastTxLT, Hash: hex.EncodeToString(acc.LastTxHash)})
	}
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.cursors[raw] = true
	p.mu.Unlock()
	return nil
}

// openIndex finds our open batches from what the chain shows of them.
type openIndex struct {
	byExt map[[2]int64]*store.Batch // (query id, created_at) of the external
	byQID map[uint32]*store.Batch   // query id of an executed batch's internal_transfer
	ws    map[int64][]store.Withdrawal
}

func (p *Payer) loadOpen(ctx context.Context) (*openIndex, error) {
	open, err := timed(p, func() ([]store.Batch, error) { return p.db.OpenBatches(ctx) })
	if err != nil {
		return nil, err
	}
	ix := &openIndex{byExt: map[[2]int64]*store.Batch{}, byQID: map[uint32]*store.Batch{}, ws: map[int64][]store.Withdrawal{}}
	for i := range open {
		b := &open[i]
		ix.byExt[[2]int64{int64(b.QueryID), b.CreatedAt}] = b
		if b.TxHash != "" {
			ix.byQID[b.QueryID] = b
		}
	}
	return ix, nil
}

func (p *Payer) withdrawalsOf(ctx context.Context, ix *openIndex, b *store.Batch) ([]store.Withdrawal, error) {
	if ws, ok := ix.ws[b.ID]; ok {
		return ws, nil
	}
	ws, err := timed(p, func() ([]store.Withdrawal, error) { return p.db.BatchWithdrawals(ctx, b.ID) })
	if err != nil {
		return nil, err
	}
	ix.ws[b.ID] = ws
	return ws, nil
}

// follow settles what the chain did on the hot wallet and on its jetton
// wallets up to head, and returns the hot wallet's account at head.
func (p *Payer) follow(ctx context.Context, head *tonapi.BlockIDExt) (*tlb.Account, error) {
	hotAcc, err := p.api.WaitForBlock(head.SeqNo).GetAccount(ctx, head, p.hot)
	if err != nil {
		return nil, fmt.Errorf("get hot wallet: %w", err)
	}
	ix, err := p.loadOpen(ctx)
	if err != nil {
		return nil, err
	}
	err = p.followAccount(ctx, p.hot, p.hotRaw, hotAcc, func(tx *tlb.Transaction) (store.PayoutTx, error) {
		return p.classifyHot(ctx, ix, tx)
	})
	if err != nil {
		return nil, fmt.Errorf("hot wallet: %w", err)
	}
	p.mu.Lock()
	jettons := make([]*ourJetton, 0, len(p.jettons))
	for _, oj := range p.jettons {
		jettons = append(jettons, oj)
	}
	p.mu.Unlock()
	for _, oj := range jettons {
		acc, err := p.api.WaitForBlock(head.SeqNo).GetAccount(ctx, head, oj.addr)
		if err != nil {
			return nil, fmt.Errorf("get %s wallet: %w", oj.asset.Symbol, err)
		}
		err = p.followAccount(ctx, oj.addr, oj.raw, acc, func(tx *tlb.Transaction) (store.PayoutTx, error) {
			return p.classifyJetton(oj, tx), nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s wallet: %w", oj.asset.Symbol, err)
		}
	}
	return hotAcc, nil
}

// followAccount applies the account's transactions after the payer's
// cursor, oldest first, in chunks: each chunk's effects and the cursor
// commit together.
func (p *Payer) followAccount(ctx context.Context, addr *address.Address, raw string, acc *tlb.Account,
	classify func(*tlb.Transaction) (store.PayoutTx, error)) error {
	if acc.LastTxLT == 0 {
		return nil
	}
	cur, err := timed(p, func() (store.Cursor, error) { return p.db.Cursor(ctx, cursorName(raw)) })
	if err != nil {
		return err
	}
	if acc.LastTxLT == cur.LT && hex.EncodeToString(acc.LastTxHash) == cur.Hash {
		return nil
	}
	if acc.LastTxLT < cur.LT {
		return fmt.Errorf("liteserver is behind the payer's cursor (lt %d < %d)", acc.LastTxLT, cur.LT)
	}
	txs, err := history(ctx, p.api, addr, acc.LastTxLT, acc.LastTxHash, cur, nil)
	if err != nil {
		return err
	}
	const chunk = 64
	for len(txs) > 0 {
		n := min(chunk, len(txs))
		batch := make([]store.PayoutTx, 0, n)
		outcomes := false
		for _, tx := range txs[:n] {
			pt, err := classify(tx)
			if err != nil {
				return err
			}
			h := hex.EncodeToString(tx.Hash)
			pt.Cursor = store.Cursor{Account: cursorName(raw), LT: tx.LT, Hash: h}
			outcomes = outcomes || pt.Batch != nil || pt.Jetton != nil
			batch = append(batch, pt)
		}
		txs = txs[n:]
		if outcomes {
			if err := p.fail(StepConfirm); err != nil {
				return err
			}
		}
		res, err := timed(p, func() (store.PayoutResult, error) { return p.db.ApplyPayouts(ctx, batch, p.cfg.MaxSkips) })
		if err != nil {
			return fmt.Errorf("apply lt %d..%d: %w", batch[0].Cursor.LT, batch[len(batch)-1].Cursor.LT, err)
		}
		p.report(batch, res)
	}
	return nil
}

func (p *Payer) report(txs []store.PayoutTx, res store.PayoutResult) {
	if res.Confirmed > 0 {
		p.outcome.WithLabelValues("confirmed").Add(float64(res.Confirmed))
	}
	if len(res.Requeued) > 0 {
		p.outcome.WithLabelValues("requeued").Add(float64(len(res.Requeued)))
		p.log.Warn("the chain skipped withdrawals' messages; re-issuing them", "withdrawals", res.Requeued)
	}
	if len(res.Failed) > 0 {
		p.outcome.WithLabelValues("refunded").Add(float64(len(res.Failed)))
		p.log.Error("withdrawals failed on chain and were refunded", "withdrawals", res.Failed)
	}
	for _, t := range txs {
		if b := t.Batch; b != nil {
			p.mu.Lock()
			delete(p.lastSend, b.BatchID)
			p.mu.Unlock()
			if b.Pending {
				p.log.Debug("batch executed; fan-out follows", "batch", b.BatchID, "tx", b.TxHash)
			} else {
				p.log.Info("batch settled", "batch", b.BatchID, "sent", len(b.Sent), "swept", b.Swept, "tx", b.TxHash)
			}
		}
	}
}

// classifyHot recognises our batches in a hot wallet transaction: the
// external that carries one (its query id and created_at), and the
// internal_transfer the wallet sent itself to fan a batch out.
func (p *Payer) classifyHot(ctx context.Context, ix *openIndex, tx *tlb.Transaction) (store.PayoutTx, error) {
	var pt store.PayoutTx
	in := tx.IO.In
	if in == nil {
		return pt, nil
	}
	hash := hex.EncodeToString(tx.Hash)
	switch in.MsgType {
	case tlb.MsgTypeExternalIn:
		qid, createdAt, ok := highloadExternal(in.AsExternalIn().Body)
		if !ok {
			return pt, nil
		}
		b := ix.byExt[[2]int64{int64(qid), createdAt}]
		if b == nil {
			return pt, nil // not one of our open batches (another signer, or already settled)
		}
		outs := internalOuts(tx)
		if b.Messages() > 1 {
			for _, m := range outs {
				if m.DstAddr.Equals(p.hot) && opcode(m.Body) == opHighloadInternalTransfer {
					b.TxHash = hash
					ix.byQID[b.QueryID] = b
					pt.Batch = &store.BatchOutcome{BatchID: b.ID, TxHash: hash, Pending: true}
					return pt, nil
				}
			}
			// The internal_transfer was not sent: nothing of the batch went out.
			pt.Batch = &store.BatchOutcome{BatchID: b.ID, TxHash: hash}
			return pt, nil
		}
		o, err := p.match(ctx, ix, b, hash, outs)
		pt.Batch = o
		return pt, err
	case tlb.MsgTypeInternal:
		m := in.AsInternal()
		if m.Bounced || m.SrcAddr == nil || !m.SrcAddr.Equals(p.hot) || opcode(m.Body) != opHighloadInternalTransfer {
			return pt, nil
		}
		s := m.Body.BeginParse()
		if _, err := s.LoadUInt(32); err != nil {
			return pt, nil
		}
		qid, err := s.LoadUInt(64)
		if err != nil {
			return pt, nil
		}
		b := ix.byQID[uint32(qid)]
		if b == nil {
			return pt, nil
		}
		delete(ix.byQID, b.QueryID)
		var outs []*tlb.InternalMessage
		if !failed(tx) {
			outs = internalOuts(tx)
		}
		o, err := p.match(ctx, ix, b, hash, outs)
		pt.Batch = o
		return pt, err
	}
	return pt, nil
}

// match pairs the messages a transaction sent with the batch's withdrawals:
// a jetton transfer by its query id (the withdrawal id), a TON transfer by
// destination, amount and comment (a batch never holds two alike), a sweep
// by the cold address. A withdrawal left without a message was skipped.
func (p *Payer) match(ctx context.Context, ix *openIndex, b *store.Batch, hash string, outs []*tlb.InternalMessage) (*store.BatchOutcome, error) {
	ws, err := p.withdrawalsOf(ctx, ix, b)
	if err != nil {
		return nil, err
	}
	o := &store.BatchOutcome{BatchID: b.ID, TxHash: hash}
	byKey := map[string][]int64{}
	inBatch := map[int64]store.Withdrawal{}
	for _, w := range ws {
		inBatch[w.ID] = w
		if w.Asset == store.TON.Symbol {
			if dst, err := ParseAddress(w.Destination, p.cfg.Testnet); err == nil {
				k := tonKey(dst, w.Amount, w.Comment)
				byKey[k] = append(byKey[k], w.ID)
			}
		}
	}
	jw := p.jettonWallets()
	for _, m := range outs {
		value := nano(m.Amount.Nano())
		if asset, ok := jw[m.DstAddr.StringRaw()]; ok && opcode(m.Body) == opTransfer {
			s := m.Body.BeginParse()
			s.MustLoadUInt(32)
			if qid, err := s.LoadUInt(64); err == nil {
				if w, ok := inBatch[int64(qid)]; ok && w.Asset == asset {
					o.Sent = append(o.Sent, store.SentMessage{WithdrawalID: w.ID, Value: value})
					delete(inBatch, w.ID)
				}
			}
			continue
		}
		if b.Sweep > 0 && p.cfg.Cold != nil && m.DstAddr.Equals(p.cfg.Cold) {
			o.Swept += value
			continue
		}
		k := tonKey(m.DstAddr, value, m.Comment())
		if ids := byKey[k]; len(ids) > 0 {
			o.Sent = append(o.Sent, store.SentMessage{WithdrawalID: ids[0], Value: value})
			byKey[k] = ids[1:]
		}
	}
	return o, nil
}

func tonKey(dst *address.Address, amount store.Amount, comment string) string {
	return dst.StringRaw() + "|" + strconv.FormatInt(int64(amount), 10) + "|" + comment
}

func (p *Payer) jettonWallets() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]string, len(p.jettons))
	for asset, oj := range p.jettons {
		out[oj.raw] = asset
	}
	return out
}

// classifyJetton recognises, on our jetton wallet, the transaction of a
// transfer the hot wallet sent: its query id is the withdrawal id. The
// jettons left when it succeeded and sent the internal_transfer on.
func (p *Payer) classifyJetton(oj *ourJetton, tx *tlb.Transaction) store.PayoutTx {
	var pt store.PayoutTx
	if tx.IO.In == nil || tx.IO.In.MsgType != tlb.MsgTypeInternal {
		return pt
	}
	in := tx.IO.In.AsInternal()
	if in.Bounced || in.SrcAddr == nil || !in.SrcAddr.Equals(p.hot) || opcode(in.Body) != opTransfer {
		return pt
	}
	var tp jetton.TransferPayload
	if err := tlb.LoadFromCell(&tp, in.Body.BeginParse()); err != nil {
		return pt
	}
	amount, ok := jettonAmount(tp.Amount)
	if !ok || tp.QueryID > 1<<62 {
		return pt
	}
	o := &store.JettonOutcome{WithdrawalID: int64(tp.QueryID), Asset: oj.asset.Symbol, Amount: amount,
		TxHash: hex.EncodeToString(tx.Hash), Attached: nano(in.Amount.Nano())}
	o.OK = !failed(tx)
	if o.OK {
		o.OK = false
		for _, m := range internalOuts(tx) {
			if opcode(m.Body) == opInternalTransfer {
				o.OK = true
			}
		}
	}
	if !o.OK {
		o.Reason = "exit code " + strconv.Itoa(int(exitCode(tx)))
	}
	pt.Jetton = o
	return pt
}

// highloadExternal reads the query id and created_at of a Highload v3
// external: signature:bits512 ^[subwallet:uint32 ^msg mode:uint8
// query_id:uint23 created_at:uint64 timeout:uint22].
func highloadExternal(body *cell.Cell) (qid uint32, createdAt int64, ok bool) {
	if body == nil || body.RefsNum() != 1 {
		return 0, 0, false
	}
	s := body.BeginParse()
	if _, err := s.LoadSlice(512); err != nil {
		return 0, 0, false
	}
	in, err := s.LoadRef()
	if err != nil {
		return 0, 0, false
	}
	sub, err1 := in.LoadUInt(32)
	_, err2 := in.LoadRef()
	_, err3 := in.LoadUInt(8)
	q, err4 := in.LoadUInt(23)
	at, err5 := in.LoadUInt(64)
	if errors.Join(err1, err2, err3, err4, err5) != nil || sub != HotSubwallet || at > 1<<62 {
		return 0, 0, false
	}
	return uint32(q), int64(at), true
}

// internalOuts are the internal messages a transaction sent.
func internalOuts(tx *tlb.Transaction) []*tlb.InternalMessage {
	if tx.IO.Out == nil {
		return nil
	}
	msgs, err := tx.IO.Out.ToSlice()
	if err != nil {
		return nil
	}
	var out []*tlb.InternalMessage
	for _, m := range msgs {
		if m.MsgType == tlb.MsgTypeInternal {
			out = append(out, m.AsInternal())
		}
	}
	return out
}

func exitCode(tx *tlb.Transaction) int32 {
	var d tlb.TransactionDescriptionOrdinary
	switch v := tx.Description.(type) {
	case tlb.TransactionDescriptionOrdinary:
		d = v
	case *tlb.TransactionDescriptionOrdinary:
		d = *v
	default:
		return 0
	}
	switch c := d.ComputePhase.Phase.(type) {
	case tlb.ComputePhaseVM:
		return c.Details.ExitCode
	case *tlb.ComputePhaseVM:
		return c.Details.ExitCode
	}
	return 0
}

// drive re-sends a batch not seen on chain yet, or decides about one that
// expired. It reports whether the batch was expired (its withdrawals are
// queued again).
func (p *Payer) drive(ctx context.Context, b store.Batch, now int64) (bool, error) {
	if b.TxHash != "" {
		return false, nil // executed; its internal_transfer settles it
	}
	if now < b.ExpiresAt {
		p.mu.Lock()
		due := time.Since(p.lastSend[b.ID]) >= p.cfg.ResendEvery
		p.mu.Unlock()
		if due {
			return false, p.send(ctx, b)
		}
		return false, nil
	}
	if now < b.ExpiresAt+int64(p.cfg.ExpiryGrace/time.Second) {
		return false, nil // let any block dated before the expiry become final
	}
	return p.resolveExpired(ctx, b)
}

// send sends the batch's stored BOC, unchanged. Sending it again is always
// safe: the contract refuses a processed query id, and after created_at +
// timeout refuses the message.
func (p *Payer) send(ctx context.Context, b store.Batch) error {
	root, err := cell.FromBOC(b.BOC)
	if err != nil {
		return fmt.Errorf("batch %d: stored BOC: %w", b.ID, err)
	}
	var ext tlb.ExternalMessage
	if err := tlb.LoadFromCell(&ext, root.BeginParse()); err != nil {
		return fmt.Errorf("batch %d: stored BOC: %w", b.ID, err)
	}
	p.mu.Lock()
	p.lastSend[b.ID] = time.Now()
	p.mu.Unlock()
	if err := p.api.SendExternalMessage(ctx, &ext); err != nil {
		// Refused (already processed, not yet valid) or lost: the history
		// and the expiry decide, never this error.
		p.log.Debug("batch send refused", "batch", b.ID, "query_id", b.QueryID, "err", err)
		return nil
	}
	p.sends.Inc()
	p.nSends.Add(1)
	if err := p.fail(StepSent); err != nil {
		return err
	}
	_, err = timed(p, func() (struct{}, error) { return struct{}{}, p.db.MarkBatchSent(ctx, b.ID) })
	return err
}

// resolveExpired decides about a batch whose message can no longer be
// executed: having followed the history past its expiry, a batch still not
// seen was not executed by its message, and processed? must agree before
// its withdrawals are re-issued.
func (p *Payer) resolveExpired(ctx context.Context, b store.Batch) (bool, error) {
	// The liteserver's clock said the batch expired; its head must say so
	// too. A node that lags behind the network would otherwise show a
	// history and a processed? from before the batch could have run.
	head, headTime, err := p.headWithTime(ctx)
	if err != nil {
		return false, err
	}
	if headTime < b.ExpiresAt+int64(p.cfg.ExpiryGrace/time.Second) {
		p.log.Debug("expired batch waits for a head dated past its expiry", "batch", b.ID, "head_time", headTime, "expires_at", b.ExpiresAt)
		return false, nil
	}
	if _, err := p.follow(ctx, head); err != nil {
		return false, err
	}
	cur, err := timed(p, func() (store.Batch, error) { return p.db.Batch(ctx, b.ID) })
	if err != nil {
		return false, err
	}
	if cur.TxHash != "" || (cur.Status != store.BatchBuilding && cur.Status != store.BatchSent) {
		return false, nil
	}
	processed, err := p.processed(ctx, head, b.QueryID)
	if err != nil {
		return false, err
	}
	if processed {
		p.mu.Lock()
		last := p.alarmed[b.ID]
		if time.Since(last) >= time.Minute {
			p.alarmed[b.ID] = time.Now()
		}
		p.mu.Unlock()
		if time.Since(last) >= time.Minute {
			p.log.Error("PAYOUTS NEED AN ADMIN: the hot wallet processed this batch's query id, but no transaction of the batch is in its history; "+
				"it is NOT re-issued (another signer uses this wallet?)", "batch", b.ID, "query_id", b.QueryID, "withdrawals", b.Withdrawals)
			if err := p.db.NoteBatch(ctx, b.ID, "query id processed by a message not in our history; not re-issued"); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	requeued, err := timed(p, func() ([]int64, error) { return p.db.ExpireBatch(ctx, b.ID, "expired unprocessed") })
	if err != nil {
		return false, err
	}
	p.mu.Lock()
	delete(p.lastSend, b.ID)
	p.mu.Unlock()
	p.outcome.WithLabelValues("reissued").Add(float64(len(requeued)))
	p.log.Warn("batch expired unprocessed; re-issuing its withdrawals under a new query id", "batch", b.ID,
		"query_id", b.QueryID, "withdrawals", len(requeued))
	return true, nil
}

// headWithTime returns the liteserver's last masterchain block and its
// generation time (liteServer.getMasterchainInfoExt).
func (p *Payer) headWithTime(ctx context.Context) (*tonapi.BlockIDExt, int64, error) {
	var resp tl.Serializable
	if err := p.api.Client().QueryLiteserver(ctx, tonapi.GetMasterchainInfoExt{}, &resp); err != nil {
		return nil, 0, fmt.Errorf("masterchain info: %w", err)
	}
	switch v := resp.(type) {
	case tonapi.MasterchainInfoExt:
		if v.Last == nil {
			return nil, 0, errors.New("masterchain info: no last block")
		}
		return v.Last, int64(v.LastUTime), nil
	case tonapi.LSError:
		return nil, 0, fmt.Errorf("masterchain info: %w", v)
	}
	return nil, 0, fmt.Errorf("masterchain info: unexpected answer %T", resp)
}

// processed asks the hot wallet's processed?(query_id, 0).
func (p *Payer) processed(ctx context.Context, head *tonapi.BlockIDExt, qid uint32) (bool, error) {
	res, err := p.api.WaitForBlock(head.SeqNo).RunGetMethod(ctx, head, p.hot, "processed?", big.NewInt(int64(qid)), big.NewInt(0))
	if err != nil {
		var ce tonapi.ContractExecError
		if errors.As(err, &ce) && ce.Code == tonapi.ErrCodeContractNotInitialized {
			return false, nil // never deployed: nothing was processed
		}
		return false, fmt.Errorf("processed?(%d): %w", qid, err)
	}
	v, err := res.Int(0)
	if err != nil {
		return false, fmt.Errorf("processed?(%d): %w", qid, err)
	}
	return v.Sign() != 0, nil
}

// item is a withdrawal with its message, ready for a batch.
type item struct {
	w   store.Withdrawal
	msg *wallet.Message
	key string
}

// payQueue puts queued withdrawals, oldest first, into batches while the
// hot wallet covers them, reserves and sends each batch. It reports whether
// it sent anything.
func (p *Payer) payQueue(ctx context.Context, head *tonapi.BlockIDExt, hotAcc *tlb.Account, now int64, queued []store.Withdrawal) (bool, error) {
	if len(queued) == 0 {
		p.setPaused(ctx, nil)
		return false, nil
	}
	inflight, err := timed(p, func() (store.InFlight, error) { return p.db.InFlight(ctx) })
	if err != nil {
		return false, err
	}
	availTON := balanceOf(hotAcc) - inflight.TON - p.cfg.Reserve
	availJ := map[string]store.Amount{}
	var batches [][]item
	var pause *pauseNotice
	for _, w := range queued {
		it, need, needJ, err := p.prepare(ctx, w)
		if err != nil {
			return false, err
		}
		if it == nil {
			continue
		}
		if need > availTON {
			pause = &pauseNotice{Reason: "the hot wallet's TON cannot cover the queue", Asset: store.TON.Symbol,
				WithdrawalID: w.ID, Need: need.Units(), Available: max(availTON, 0).Units()}
			break
		}
		if needJ > 0 {
			a, ok := availJ[w.Asset]
			if !ok {
				p.mu.Lock()
				oj := p.jettons[w.Asset]
				p.mu.Unlock()
				bal, err := oj.client.GetBalanceAtBlock(ctx, head)
				if err != nil {
					return false, fmt.Errorf("%s balance: %w", w.Asset, err)
				}
				a = nano(bal) - inflight.Jettons[w.Asset]
			}
			if needJ > a {
				availJ[w.Asset] = a
				pause = &pauseNotice{Reason: "the hot wallet's " + w.Asset + " cannot cover the queue", Asset: w.Asset,
					WithdrawalID: w.ID, Need: needJ.Units(), Available: max(a, 0).Units()}
				break
			}
			availJ[w.Asset] = a - needJ
		}
		availTON -= need
		placed := false
		for i := range batches {
			if len(batches[i]) < p.cfg.BatchSize && !hasKey(batches[i], it.key) {
				batches[i] = append(batches[i], *it)
				placed = true
				break
			}
		}
		if !placed {
			batches = append(batches, []item{*it})
		}
	}
	p.setPaused(ctx, pause)
	deployed := hotAcc.IsActive && hotAcc.State != nil && hotAcc.State.Status == tlb.AccountStatusActive
	for _, items := range batches {
		if err := p.issue(ctx, now, items, 0, deployed); err != nil {
			return len(batches) > 0, err
		}
	}
	return len(batches) > 0, nil
}

func hasKey(items []item, key string) bool {
	for _, it := range items {
		if it.key == key {
			return true
		}
	}
	return false
}

func balanceOf(acc *tlb.Account) store.Amount {
	if acc == nil || acc.State == nil {
		return 0
	}
	return nano(acc.State.Balance.Nano())
}

// prepare builds a withdrawal's message and what it needs of the hot
// wallet (TON, and jettons). A withdrawal that can never be sent is failed
// and refunded; one of an asset the payer cannot pay yet is left queued
// (nil item).
func (p *Payer) prepare(ctx context.Context, w store.Withdrawal) (*item, store.Amount, store.Amount, error) {
	dst, err := ParseAddress(w.Destination, p.cfg.Testnet)
	if err == nil && (dst.Equals(p.hot) || p.jettonWallets()[dst.Bounce(true).StringRaw()] != "") {
		err = errors.New("it is the service's own wallet")
	}
	if err != nil {
		reason := "bad destination " + w.Destination + ": " + err.Error()
		if _, ferr := timed(p, func() (store.Withdrawal, error) { return p.db.FailWithdrawal(ctx, w.ID, reason) }); ferr != nil {
			return nil, 0, 0, ferr
		}
		p.outcome.WithLabelValues("refunded").Inc()
		p.log.Warn("withdrawal refused and refunded", "withdrawal", w.ID, "reason", reason)
		return nil, 0, 0, nil
	}
	if w.Asset == store.TON.Symbol {
		var body *cell.Cell
		if w.Comment != "" {
			body = CommentCell(w.Comment)
		}
		msg := &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: false, DstAddr: dst, Amount: tlb.FromNanoTONU(uint64(w.Amount)), Body: body}}
		return &item{w: w, msg: msg, key: tonKey(dst, w.Amount, w.Comment)}, w.Amount + p.cfg.MessageFee, 0, nil
	}
	p.mu.Lock()
	oj := p.jettons[w.Asset]
	p.mu.Unlock()
	if oj == nil {
		p.mu.Lock()
		warn := time.Since(p.skipLog[w.Asset]) >= time.Minute
		if warn {
			p.skipLog[w.Asset] = time.Now()
		}
		p.mu.Unlock()
		if warn {
			p.log.Warn("withdrawals of an asset the payer cannot pay wait in the queue", "asset", w.Asset, "withdrawal", w.ID)
		}
		return nil, 0, 0, nil
	}
	body := JettonTransferBody(uint64(w.ID), w.Amount, dst, p.hot, 1, w.Comment)
	msg := &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
		IHRDisabled: true, Bounce: true, DstAddr: oj.addr, Amount: tlb.FromNanoTONU(uint64(p.cfg.JettonTON)), Body: body}}
	return &item{w: w, msg: msg, key: "jetton:" + strconv.FormatInt(w.ID, 10)}, p.cfg.JettonTON + p.cfg.MessageFee, w.Amount, nil
}

// issue reserves a batch (query id, signed BOC, withdrawals sent) in one
// store transaction and sends it.
func (p *Payer) issue(ctx context.Context, now int64, items []item, sweep store.Amount, deployed bool) error {
	msgs := make([]*wallet.Message, len(items))
	ids := make([]int64, len(items))
	var value store.Amount
	for i, it := range items {
		msgs[i], ids[i] = it.msg, it.w.ID
		value += nano(it.msg.InternalMessage.Amount.Nano())
	}
	if sweep > 0 {
		msgs = append(msgs, &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: false, DstAddr: p.cfg.Cold, Amount: tlb.FromNanoTONU(uint64(sweep))}})
		value += sweep
	}
	b, err := timed(p, func() (store.Batch, error) {
		return p.db.ReserveBatch(ctx, store.NewBatch{Withdrawals: ids, Value: value, Sweep: sweep,
			CreatedAt: now - createdAtLag, TTL: HotMessageTTL,
			Build: func(qid uint32, createdAt int64) ([]byte, string, error) {
				return p.sign(ctx, qid, createdAt, msgs, !deployed)
			}})
	})
	if err != nil {
		return fmt.Errorf("reserve batch: %w", err)
	}
	p.batches.Inc()
	p.nBatch.Add(1)
	p.log.Info("batch reserved", "batch", b.ID, "query_id", b.QueryID, "withdrawals", len(ids), "sweep", sweep, "value", value)
	if err := p.fail(StepPersisted); err != nil {
		return err
	}
	return p.send(ctx, b)
}

// sign builds the external message of a batch. One message goes straight
// out of the external's transaction; more go in an internal_transfer the
// wallet sends itself and executes in its next transaction.
//
// The internal_transfer is built here rather than by tonutils-go (which
// attaches the messages' total plus gas money) and carries only the
// smallest message's value (at least 0.01 TON for gas): the wallet pays the
// messages from its balance either way, and a value not above what the
// fan-out sends back out never looks like money arriving.
func (p *Payer) sign(ctx context.Context, qid uint32, createdAt int64, msgs []*wallet.Message, withInit bool) ([]byte, string, error) {
	msg := msgs[0]
	if len(msgs) > 1 {
		list := cell.BeginCell().EndCell()
		least := store.Amount(-1)
		for _, m := range msgs {
			mc, err := tlb.ToCell(m.InternalMessage)
			if err != nil {
				return nil, "", err
			}
			list = cell.BeginCell().MustStoreRef(list).MustStoreUInt(0x0ec3c86d, 32).MustStoreUInt(uint64(m.Mode), 8).MustStoreRef(mc).EndCell()
			if v := nano(m.InternalMessage.Amount.Nano()); least < 0 || v < least {
				least = v
			}
		}
		msg = &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: false, DstAddr: p.hot, Amount: tlb.FromNanoTONU(uint64(max(least, minTransferTON))),
			Body: cell.BeginCell().MustStoreUInt(opHighloadInternalTransfer, 32).MustStoreUInt(uint64(qid), 64).MustStoreRef(list).EndCell(),
		}}
	}
	ctx = context.WithValue(ctx, reservationKey{}, reservation{queryID: qid, createdAt: createdAt})
	ext, err := p.w.PrepareExternalMessageForMany(ctx, withInit, []*wallet.Message{msg})
	if err != nil {
		return nil, "", err
	}
	root, err := tlb.ToCell(ext)
	if err != nil {
		return nil, "", err
	}
	boc := root.ToBOC()
	h, err := NormalizedHash(boc)
	if err != nil {
		return nil, "", err
	}
	return boc, hex.EncodeToString(h), nil
}

// sweep sends what the hot wallet holds above HotWalletMax to the cold
// wallet, when nothing else is going on.
func (p *Payer) sweep(ctx context.Context, hotAcc *tlb.Account, now int64) error {
	if p.cfg.Cold == nil || p.cfg.HotWalletMax <= 0 {
		return nil
	}
	excess := balanceOf(hotAcc) - p.cfg.HotWalletMax
	if excess < p.cfg.SweepMin {
		return nil
	}
	deployed := hotAcc.IsActive && hotAcc.State != nil && hotAcc.State.Status == tlb.AccountStatusActive
	p.log.Info("sweeping to cold storage", "amount", excess, "cold", p.cfg.Cold.String())
	return p.issue(ctx, now, nil, excess, deployed)
}

// pauseNotice is the payload of the payer.paused admin notice.
type pauseNotice struct {
	Reason       string `json:"reason"`
	Asset        string `json:"asset"`
	WithdrawalID int64  `json:"withdrawal_id"`
	Need         string `json:"need"`
	Available    string `json:"available"`
}

// setPaused records whether payouts wait for funds: entering the pause
// sends one admin notice (payer.paused, user 0) and the log says so loudly
// once a minute while it lasts.
func (p *Payer) setPaused(ctx context.Context, n *pauseNotice) {
	p.mu.Lock()
	was := p.paused
	if n == nil {
		p.paused = ""
		p.mu.Unlock()
		if was != "" {
			p.pausedG.Set(0)
			p.log.Info("payouts resumed")
		}
		return
	}
	p.paused = n.Reason
	logNow := was == "" || time.Since(p.pauseLog) >= time.Minute
	if logNow {
		p.pauseLog = time.Now()
	}
	p.mu.Unlock()
	p.pausedG.Set(1)
	if logNow {
		p.log.Error("PAYOUTS PAUSED: top up the hot wallet", "reason", n.Reason, "asset", n.Asset, "need", n.Need,
			"available", n.Available, "withdrawal", n.WithdrawalID, "hot_wallet", FormatAddress(p.hot, p.cfg.Testnet))
	}
	if was == "" {
		if err := p.db.Emit(ctx, store.TopicBot, "payer.paused", 0, 0, n); err != nil {
			p.log.Error("payer: admin notice", "err", err)
		}
	}
}
