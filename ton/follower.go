package ton

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tl"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/jetton"

	"github.com/tonpay/tonpay/store"
)

// ErrPrunedHistory means the liteserver no longer has the transactions
// between the cursor and the head: the follower stops rather than skip them.
var ErrPrunedHistory = errors.New("liteserver history does not reach the cursor (pruned)")

// FollowerConfig is what the follower follows and how.
type FollowerConfig struct {
	Hot     *address.Address // the hot wallet: the deposit address and the payer
	Jettons []store.Asset    // jettons followed through the hot wallet's own jetton wallets
	Cold    *address.Address // the cold wallet, when sweeping (its transfers are not deposits)
	Min     map[string]store.Amount
	Testnet bool
	// MaxSkips is how many times the chain may skip a withdrawal's message
	// before it is failed and refunded (default 3).
	MaxSkips int
	Log      *slog.Logger
	// Failpoint, when set, is called at each step between fetching and
	// committing; an error stops the pass there (crash tests).
	Failpoint func(step string) error
}

// Head is a block the follower has booked everything up to and reconciled.
type Head struct {
	Block   *tonapi.BlockIDExt
	Time    int64        // the block's generation time (unix seconds): the chain's clock
	Hot     *tlb.Account // the hot wallet at this block
	Jettons map[string]*address.Address
}

// Follower is the one follower of our accounts (the hot wallet and its
// jetton wallets): one long-poll of the next block and one account read per
// watched account per block. It classifies each new transaction once,
// books it (deposits and payout settlement alike), then proves the ledger
// equal to the chain at that block and hands the block to the payer.
type Follower struct {
	api tonapi.APIClientWrapped
	db  *store.DB
	cfg FollowerConfig
	log *slog.Logger

	mu            sync.Mutex
	watches       []watch          // the hot wallet, then its jetton wallets
	byRaw         map[string]watch // every followed account: the hot side and the deposit wallets
	depositsAfter int64            // the last deposit wallet loaded
	tips          []*tonapi.BlockIDExt
	hotAcc        *tlb.Account
	synced        time.Time // when a pass last reached the head
	seqno         uint32
	stalled       string
	recon         store.ReconcileResult
	jettonLT      map[string]uint64 // asset -> the jetton wallet's last lt when its balance was read
	resolveLog    time.Time
	heads         chan Head
	moreHeads     []chan Head

	lag        prometheus.GaugeFunc
	block      prometheus.Gauge
	pruned     prometheus.Gauge
	events     *prometheus.CounterVec
	failures   prometheus.Counter
	drift      *prometheus.GaugeVec
	reconciled prometheus.Gauge
}

// NewFollower builds a follower; Run starts it.
func NewFollower(api tonapi.APIClientWrapped, db *store.DB, cfg FollowerConfig) *Follower {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxSkips <= 0 {
		cfg.MaxSkips = 3
	}
	f := &Follower{api: api, db: db, cfg: cfg, log: cfg.Log,
		jettonLT: map[string]uint64{}, heads: make(chan Head, 1)}
	hot := cfg.Hot.Bounce(true)
	f.watches = []watch{{addr: hot, raw: hot.StringRaw(), asset: store.TON.Symbol}}
	f.byRaw = map[string]watch{f.watches[0].raw: f.watches[0]}
	f.lag = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tonpay_scanner_lag_seconds",
		Help: "Seconds since the chain follower was last caught up with the chain head."},
		func() float64 { return f.Lag().Seconds() })
	f.block = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_scanner_block", Help: "Last masterchain block the follower finished."})
	f.pruned = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_scanner_pruned_history",
		Help: "1 while the liteserver's history does not reach the follower's cursor; the follower does not advance."})
	f.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tonpay_chain_events_total",
		Help: "Transactions on watched accounts, by classification."}, []string{"kind"})
	f.failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_scanner_errors_total", Help: "Failed follower passes."})
	f.drift = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tonpay_ledger_drift",
		Help: "What the chain says our wallets hold minus what the ledger says, in the asset's smallest units."}, []string{"asset"})
	f.reconciled = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_ledger_reconciled_block",
		Help: "Last masterchain block at which the ledger was compared with the chain."})
	return f
}

// Collectors are the follower's Prometheus metrics.
func (f *Follower) Collectors() []prometheus.Collector {
	return []prometheus.Collector{f.lag, f.block, f.pruned, f.events, f.failures, f.drift, f.reconciled}
}

// Heads delivers the blocks the follower finished, newest only (a slow
// reader misses none of the money, only intermediate blocks): the payer's.
func (f *Follower) Heads() <-chan Head { return f.heads }

// MoreHeads is another reader of the blocks the follower finished (the
// sweeper), newest only.
func (f *Follower) MoreHeads() <-chan Head {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan Head, 1)
	f.moreHeads = append(f.moreHeads, ch)
	return ch
}

// Lag is how long ago the follower was last caught up with the chain head.
func (f *Follower) Lag() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.synced.IsZero() {
		return 0
	}
	return time.Since(f.synced)
}

// ScanStatus is the follower's health.
type ScanStatus struct {
	Block   uint32
	Lag     time.Duration
	Synced  bool   // has reached the head at least once
	Stalled string // why it is not advancing, if it is not
	// Reconciliation at the last block: the drift per asset (chain - ledger).
	Reconciled uint32
	Drift      map[string]store.Amount
}

// Status reports the follower's health for /healthz.
func (f *Follower) Status() ScanStatus {
	lag := f.Lag()
	f.mu.Lock()
	defer f.mu.Unlock()
	st := ScanStatus{Block: f.seqno, Lag: lag, Synced: !f.synced.IsZero(), Stalled: f.stalled, Drift: map[string]store.Amount{}}
	for _, a := range f.recon.Assets {
		st.Reconciled = a.Block
		st.Drift[a.Asset] = a.Drift
	}
	return st
}

func (f *Follower) fail(step string) error {
	if f.cfg.Failpoint == nil {
		return nil
	}
	return f.cfg.Failpoint(step)
}

// Run follows the chain until ctx ends. Errors are retried with backoff and
// never advance a cursor; Run returns only when ctx ends or a failpoint fires.
func (f *Follower) Run(ctx context.Context) error {
	// A run resumes from the block the database says was finished (another
	// node may have led meanwhile), never from what this one remembers.
	f.mu.Lock()
	f.tips, f.hotAcc = nil, nil
	f.mu.Unlock()
	var master *tonapi.BlockIDExt
	backoff := 200 * time.Millisecond
	var lastLog time.Time
	for ctx.Err() == nil {
		next, err := f.Pass(ctx, master)
		if err == nil {
			master = next
			backoff = 200 * time.Millisecond
			continue
		}
		if ctx.Err() != nil {
			break
		}
		if f.cfg.Failpoint != nil {
			return err
		}
		if errors.Is(err, ErrConnecting) {
			// No lite-server yet (DialInBackground logs its attempts):
			// look again soon, so deposits made meanwhile are booked
			// the moment one answers.
			f.mu.Lock()
			f.stalled = ErrConnecting.Error()
			f.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
			}
			continue
		}
		f.failures.Inc()
		f.mu.Lock()
		f.stalled = err.Error()
		f.mu.Unlock()
		if errors.Is(err, ErrPrunedHistory) {
			f.pruned.Set(1)
			if time.Since(lastLog) > time.Minute {
				f.log.Error("follower stopped: the liteserver has pruned transactions it has not seen; point TON_LITESERVERS at an archive node", "err", err)
				lastLog = time.Now()
			}
			backoff = 30 * time.Second
		} else {
			f.log.Warn("follower pass failed; retrying", "err", err, "in", backoff)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
	return nil
}

// fetched is one watched account at a block with its new transactions.
type fetched struct {
	w   watch
	acc *tlb.Account
	txs []*tlb.Transaction
}

// Pass waits for the block after prev (the head when prev is nil), books
// everything new on our accounts up to it, in logical-time order across the
// accounts (a message is always booked before its effects), expires
// invoices by the block's time, and reconciles. It returns the block it
// reached.
//
// After its first pass the follower reads blocks, not accounts: the shard
// blocks since the last block it finished and their transaction lists; only
// the accounts of ours that appear there are read (their state and their
// transactions since their cursor). The first pass of a process resumes from
// the block the database says was finished; a database that has none (or
// whose block the lite-server no longer keeps) is caught up account by
// account.
func (f *Follower) Pass(ctx context.Context, prev *tonapi.BlockIDExt) (*tonapi.BlockIDExt, error) {
	ctx = f.api.Client().StickyContext(ctx)
	master, utime, err := f.nextBlock(ctx, prev)
	if err != nil {
		return prev, err
	}
	if err := f.fail("master"); err != nil {
		return prev, err
	}
	if err := f.resolveJettonWallets(ctx, master); err != nil {
		return prev, err
	}
	if err := f.loadDeposits(ctx, master); err != nil {
		return prev, err
	}
	var accounts []fetched
	var tips []*tonapi.BlockIDExt
	f.mu.Lock()
	known := f.tips
	f.mu.Unlock()
	if known == nil {
		known, err = f.resumeTips(ctx, master)
		if err != nil {
			return prev, err
		}
	}
	if known != nil {
		var blocks []*tonapi.BlockIDExt
		blocks, tips, err = f.newShardBlocks(ctx, master, known)
		if err == nil {
			var touched map[string]lastTx
			touched, err = f.ourTransactions(ctx, blocks)
			if err == nil {
				accounts, err = f.fetchTouched(ctx, master, touched)
			}
		}
		if errors.Is(err, errFarBehind) {
			f.log.Warn("the follower is far behind: catching up account by account", "err", err)
			known = nil
		} else if err != nil {
			return prev, err
		}
	}
	if known == nil {
		// No block to resume from: every account from its cursor.
		accounts, err = f.catchUpAccounts(ctx, master)
		if err != nil {
			return prev, err
		}
		tips, err = f.api.WaitForBlock(master.SeqNo).GetBlockShardsInfo(ctx, master)
		if err != nil {
			return prev, fmt.Errorf("shards of block %d: %w", master.SeqNo, err)
		}
	}
	var all []txOf
	for _, fe := range accounts {
		for _, tx := range fe.txs {
			all = append(all, txOf{w: fe.w, tx: tx})
		}
	}
	if len(all) > 0 {
		if err := f.book(ctx, all); err != nil {
			return prev, err
		}
	}
	blockTime := time.Unix(utime, 0).UTC()
	if _, err := f.db.ExpireInvoices(ctx, blockTime); err != nil {
		return prev, err
	}
	if ids, err := f.db.ConfirmQuietPayouts(ctx, blockTime); err != nil {
		return prev, err
	} else if len(ids) > 0 {
		f.log.Info("jetton payouts confirmed: no refusal came back", "withdrawals", ids)
	}
	if err := f.reconcile(ctx, master, blockTime, accounts); err != nil {
		return prev, err
	}
	hotAcc, err := f.hotAccount(ctx, master, accounts)
	if err != nil {
		return prev, err
	}

	f.mu.Lock()
	f.tips = tips
	f.synced, f.seqno, f.stalled = time.Now(), master.SeqNo, ""
	jw := make(map[string]*address.Address, len(f.watches))
	for _, w := range f.watches[1:] {
		jw[w.asset] = w.addr
	}
	f.mu.Unlock()
	f.block.Set(float64(master.SeqNo))
	f.pruned.Set(0)
	h := Head{Block: master, Time: utime, Hot: hotAcc, Jettons: jw}
	f.mu.Lock()
	readers := append([]chan Head{f.heads}, f.moreHeads...)
	f.mu.Unlock()
	for _, ch := range readers {
		select { // newest only
		case <-ch:
		default:
		}
		ch <- h
	}
	return master, nil
}

// resumeTips is the shard tips of the block the database says the follower
// finished last, or nil when there is none to resume from (a first start,
// a database from before blocks were read, or a block the lite-server no
// longer keeps).
func (f *Follower) resumeTips(ctx context.Context, master *tonapi.BlockIDExt) ([]*tonapi.BlockIDExt, error) {
	done, err := f.db.FollowerBlock(ctx)
	if errors.Is(err, store.ErrNotFound) || (err == nil && done > master.SeqNo) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	at := master
	if done < master.SeqNo {
		at, err = f.api.LookupBlock(ctx, master.Workchain, master.Shard, done)
		if err != nil {
			f.log.Warn("the block the follower finished last is not found: catching up account by account", "block", done, "err", err)
			return nil, nil
		}
	}
	tips, err := f.api.WaitForBlock(at.SeqNo).GetBlockShardsInfo(ctx, at)
	if err != nil {
		f.log.Warn("the shards of the block the follower finished last are not found: catching up account by account", "block", done, "err", err)
		return nil, nil
	}
	return tips, nil
}

// loadDeposits adds the deposit wallets handed out since the last pass to
// what is followed, with their jetton wallets as each jetton's master names
// them at master (one get-method per new wallet and jetton, once).
func (f *Follower) loadDeposits(ctx context.Context, master *tonapi.BlockIDExt) error {
	f.mu.Lock()
	after := f.depositsAfter
	f.mu.Unlock()
	add := map[string]watch{}
	// The followed set is copied once a pass, whatever was added to it.
	defer func() {
		if len(add) == 0 {
			return
		}
		f.mu.Lock()
		next := make(map[string]watch, len(f.byRaw)+len(add))
		for k, v := range f.byRaw {
			next[k] = v
		}
		for k, v := range add {
			next[k] = v
		}
		f.byRaw, f.depositsAfter = next, after
		f.mu.Unlock()
	}()
	for {
		ws, err := f.db.DepositWalletsAfter(ctx, after, 512)
		if err != nil {
			return err
		}
		if len(ws) == 0 {
			return nil
		}
		for _, w := range ws {
			a, err := address.ParseRawAddr(w.Address)
			if err != nil {
				return fmt.Errorf("deposit wallet %d: %w", w.ID, err)
			}
			a = a.Bounce(true)
			add[w.Address] = watch{addr: a, raw: w.Address, asset: store.TON.Symbol, deposit: w.ID}
			for _, j := range f.cfg.Jettons {
				raw, ok := w.Jettons[j.Symbol]
				if !ok {
					m, err := address.ParseRawAddr(j.Master)
					if err != nil {
						return fmt.Errorf("jetton %s master %q: %w", j.Symbol, j.Master, err)
					}
					jw, err := jetton.NewJettonMasterClient(f.api, m).GetJettonWalletAtBlock(ctx, a, master)
					if err != nil {
						// Its deposits wait on chain until the master answers:
						// the follower does not go past this block meanwhile.
						return fmt.Errorf("%s wallet of deposit wallet %d: %w", j.Symbol, w.ID, err)
					}
					raw = jw.Address().StringRaw()
					if err := f.db.SetDepositJettonWallet(ctx, w.ID, j.Symbol, raw); err != nil {
						return err
					}
				}
				ja, err := address.ParseRawAddr(raw)
				if err != nil {
					return err
				}
				add[raw] = watch{addr: ja.Bounce(true), raw: raw, asset: j.Symbol, deposit: w.ID}
			}
			after = w.ID
		}
	}
}

// fetchTouched reads each account that had transactions in the blocks read
// (fetch: its state at master, its transactions since its cursor up to the
// newest the blocks list: an account that stays without state, as one a
// bounced transfer reached before it was deployed, has them all the same),
// fetchWorkers at a time: a block with many deposits waits on the
// lite-server's answers, not on their round trips one after another.
func (f *Follower) fetchTouched(ctx context.Context, master *tonapi.BlockIDExt, touched map[string]lastTx) ([]fetched, error) {
	list := make([]lastTx, 0, len(touched))
	for _, t := range touched {
		list = append(list, t)
	}
	out := make([]fetched, len(list))
	errs := make([]error, len(list))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(fetchWorkers, len(list)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := list[i]
				out[i], errs[i] = f.fetchTo(ctx, master, t.w, t.lt, t.hash)
				if errs[i] != nil {
					errs[i] = fmt.Errorf("%s: %w", t.w.raw, errs[i])
				}
			}
		}()
	}
	for i := range list {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// fetchWorkers is how many accounts fetchTouched reads at once.
const fetchWorkers = 16

// catchUpAccounts reads every followed account at master and its
// transactions since its cursor. A hot wallet that already has a history
// when nothing was ever booked and nobody could have been told where to
// pay (a seed brought from elsewhere) starts from its present state: what
// it holds is the operator's opening capital.
func (f *Follower) catchUpAccounts(ctx context.Context, master *tonapi.BlockIDExt) ([]fetched, error) {
	f.mu.Lock()
	hot := f.watches
	byRaw := f.byRaw
	f.mu.Unlock()
	opened, err := f.openingCapital(ctx, master, hot)
	if err != nil {
		return nil, err
	}
	var out []fetched
	for _, w := range byRaw {
		if opened != nil && w.deposit == 0 {
			out = append(out, opened[w.raw])
			continue
		}
		fe, err := f.fetch(ctx, master, w)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.raw, err)
		}
		out = append(out, fe)
	}
	return out, nil
}

// openingCapital books what the hot wallet and its jetton wallets hold as
// the operator's capital and starts their cursors at their last
// transaction, when the hot wallet has a history, has no cursor, and the
// database never handed out a comment, an invoice or an address (so no
// transfer there can be anybody's but the operator's). nil when not.
func (f *Follower) openingCapital(ctx context.Context, master *tonapi.BlockIDExt, hot []watch) (map[string]fetched, error) {
	if _, err := f.db.Cursor(ctx, hot[0].raw); !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if told, err := f.db.AnyoneTold(ctx); err != nil || told {
		return nil, err
	}
	out := map[string]fetched{}
	var cursors []store.Cursor
	held := map[string]store.Amount{}
	for i, w := range hot {
		acc, err := f.api.WaitForBlock(master.SeqNo).GetAccount(ctx, master, w.addr)
		if err != nil {
			return nil, fmt.Errorf("%s: get account: %w", w.raw, err)
		}
		if i == 0 && acc.LastTxLT == 0 {
			return nil, nil // no history: nothing to open with
		}
		out[w.raw] = fetched{w: w, acc: acc}
		if acc.LastTxLT != 0 {
			cursors = append(cursors, store.Cursor{Account: w.raw, LT: acc.LastTxLT, Hash: hex.EncodeToString(acc.LastTxHash)})
		}
		if i == 0 {
			held[w.asset] = balanceOf(acc)
			continue
		}
		if acc.IsActive {
			b, err := f.jettonBalance(ctx, master, w.addr)
			if err != nil {
				return nil, fmt.Errorf("%s balance: %w", w.asset, err)
			}
			if b != math.MaxInt64 { // beyond the ledger: left to reconciliation's drift
				held[w.asset] = b
			}
		}
	}
	if err := f.db.OpenWithCapital(ctx, cursors, held); err != nil {
		return nil, err
	}
	f.log.Info("the hot wallet had a history before this database: what it holds is booked as the operator's opening capital",
		"block", master.SeqNo, "holdings", held)
	return out, nil
}

// hotAccount is the hot wallet's state at master: read in this pass, or,
// when it had no transaction since, the one read before.
func (f *Follower) hotAccount(ctx context.Context, master *tonapi.BlockIDExt, accounts []fetched) (*tlb.Account, error) {
	for _, a := range accounts {
		if a.w.deposit == 0 && a.w.asset == store.TON.Symbol {
			f.mu.Lock()
			f.hotAcc = a.acc
			f.mu.Unlock()
			return a.acc, nil
		}
	}
	f.mu.Lock()
	acc := f.hotAcc
	f.mu.Unlock()
	if acc != nil {
		return acc, nil
	}
	acc, err := f.api.WaitForBlock(master.SeqNo).GetAccount(ctx, master, f.watches[0].addr)
	if err != nil {
		return nil, fmt.Errorf("hot wallet: get account: %w", err)
	}
	f.mu.Lock()
	f.hotAcc = acc
	f.mu.Unlock()
	return acc, nil
}

// nextBlock long-polls the liteserver for the block after prev (it answers
// the moment that block exists) and returns it with its generation time, in
// one query (liteServer.getMasterchainInfoExt).
func (f *Follower) nextBlock(ctx context.Context, prev *tonapi.BlockIDExt) (*tonapi.BlockIDExt, int64, error) {
	for {
		api := f.api
		if prev != nil {
			api = f.api.WaitForBlock(prev.SeqNo + 1)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		var resp tl.Serializable
		err := api.Client().QueryLiteserver(wctx, tonapi.GetMasterchainInfoExt{}, &resp)
		cancel()
		if err == nil {
			switch v := resp.(type) {
			case tonapi.MasterchainInfoExt:
				if v.Last == nil {
					return nil, 0, errors.New("masterchain info: no last block")
				}
				if prev != nil && v.Last.SeqNo <= prev.SeqNo {
					continue // a node behind the one we asked before
				}
				return v.Last, int64(v.LastUTime), nil
			case tonapi.LSError:
				err = v
			default:
				return nil, 0, fmt.Errorf("masterchain info: unexpected answer %T", resp)
			}
		}
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		var ls tonapi.LSError
		if prev != nil && (errors.Is(wctx.Err(), context.DeadlineExceeded) || (errors.As(err, &ls) && ls.Code == 652)) {
			continue // no block for 10 s: ask again
		}
		return nil, 0, fmt.Errorf("masterchain info: %w", err)
	}
}

// resolveJettonWallets finds the hot wallet's own jetton wallet for each
// jetton, from the master's get_wallet_address (never from what a sender
// claims), once.
func (f *Follower) resolveJettonWallets(ctx context.Context, master *tonapi.BlockIDExt) error {
	f.mu.Lock()
	done := len(f.watches) == 1+len(f.cfg.Jettons)
	f.mu.Unlock()
	if done {
		return nil
	}
	for _, j := range f.cfg.Jettons {
		if f.JettonWallet(j.Symbol) != nil {
			continue
		}
		m, err := address.ParseRawAddr(j.Master)
		if err != nil {
			return fmt.Errorf("jetton %s master %q: %w", j.Symbol, j.Master, err)
		}
		jw, err := jetton.NewJettonMasterClient(f.api, m).GetJettonWalletAtBlock(ctx, f.cfg.Hot, master)
		if err != nil {
			// TON and the other jettons are followed meanwhile; this one is
			// tried again next block (its deposits wait on chain, unread).
			f.mu.Lock()
			warn := time.Since(f.resolveLog) >= time.Minute
			if warn {
				f.resolveLog = time.Now()
			}
			f.mu.Unlock()
			if warn {
				f.log.Error("jetton not followed: its master does not answer get_wallet_address", "jetton", j.Symbol, "master", j.Master, "err", err)
			}
			continue
		}
		a := jw.Address().Bounce(true)
		f.mu.Lock()
		w := watch{addr: a, raw: a.StringRaw(), asset: j.Symbol}
		f.watches = append(f.watches, w)
		next := make(map[string]watch, len(f.byRaw)+1)
		for k, v := range f.byRaw {
			next[k] = v
		}
		next[w.raw] = w
		f.byRaw = next
		f.mu.Unlock()
		f.log.Info("following jetton wallet", "jetton", j.Symbol, "wallet", a.String())
	}
	return nil
}

// JettonWallet is the hot wallet's jetton wallet for an asset, once resolved.
func (f *Follower) JettonWallet(asset string) *address.Address {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.watches[1:] {
		if w.asset == asset {
			return w.addr
		}
	}
	return nil
}

// fetch reads the account at master and its transactions after the cursor.
func (f *Follower) fetch(ctx context.Context, master *tonapi.BlockIDExt, w watch) (fetched, error) {
	return f.fetchTo(ctx, master, w, 0, nil)
}

// fetchTo is fetch up to the transaction (lt, hash) when lt is set (the
// newest a block lists), else up to the account's last one.
func (f *Follower) fetchTo(ctx context.Context, master *tonapi.BlockIDExt, w watch, lt uint64, hash []byte) (fetched, error) {
	fe := fetched{w: w}
	acc, err := f.api.WaitForBlock(master.SeqNo).GetAccount(ctx, master, w.addr)
	if err != nil {
		return fe, fmt.Errorf("get account: %w", err)
	}
	fe.acc = acc
	if err := f.fail("account"); err != nil {
		return fe, err
	}
	listed := lt != 0
	if !listed {
		lt, hash = acc.LastTxLT, acc.LastTxHash
	}
	if lt == 0 {
		return fe, nil // no transactions yet
	}
	cur, err := f.db.Cursor(ctx, w.raw)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fe, err
	}
	head := hex.EncodeToString(hash)
	switch {
	case lt == cur.LT && head == cur.Hash:
		return fe, nil
	case listed && lt < cur.LT:
		return fe, nil // blocks walked again after a crash: booked already
	case lt <= cur.LT:
		// A liteserver behind the one we read before; try again later.
		return fe, fmt.Errorf("liteserver is behind our cursor (lt %d <= %d)", lt, cur.LT)
	}
	fe.txs, err = history(ctx, f.api, w.addr, lt, hash, cur, func() error { return f.fail("page") })
	return fe, err
}

// txOf is a transaction and the watched account it is on.
type txOf struct {
	w  watch
	tx *tlb.Transaction
}

// book classifies the transactions, oldest first across the accounts, and
// applies them in chunks: each chunk's effects and cursors commit together.
func (f *Follower) book(ctx context.Context, all []txOf) error {
	sort.Slice(all, func(i, j int) bool { return all[i].tx.LT < all[j].tx.LT })
	c, err := f.classifier(ctx)
	if err != nil {
		return err
	}
	const chunk = 64
	for len(all) > 0 {
		n := min(chunk, len(all))
		cs := make([]store.ChainTx, n)
		for i, t := range all[:n] {
			cs[i] = c.classify(t.w, t.tx)
			if err := f.fail("classify"); err != nil {
				return err
			}
		}
		all = all[n:]
		res, err := f.db.ApplyChainTxs(ctx, cs, f.cfg.MaxSkips)
		if err != nil {
			return fmt.Errorf("book lt %d..%d: %w", cs[0].Event.LT, cs[n-1].Event.LT, err)
		}
		f.report(cs, res)
	}
	return nil
}

// classifier builds the classifier with what it must know of our batches.
func (f *Follower) classifier(ctx context.Context) (*classifier, error) {
	c := &classifier{hot: f.cfg.Hot.Bounce(true), cold: f.cfg.Cold, testnet: f.cfg.Testnet, jettons: map[string]string{},
		min: f.cfg.Min, byExt: map[[2]int64]*openBatch{}, byQID: map[uint32]*openBatch{}}
	f.mu.Lock()
	for _, w := range f.watches[1:] {
		c.jettons[w.raw] = w.asset
	}
	c.deposits = f.byRaw
	f.mu.Unlock()
	open, err := f.db.OpenBatches(ctx)
	if err != nil {
		return nil, err
	}
	for _, b := range open {
		ws, err := f.db.BatchWithdrawals(ctx, b.ID)
		if err != nil {
			return nil, err
		}
		ob := &openBatch{b: b, ws: map[int64]store.Withdrawal{}}
		for _, w := range ws {
			ob.ws[w.ID] = w
		}
		c.byExt[[2]int64{int64(b.QueryID), b.CreatedAt}] = ob
		if b.TxHash != "" {
			c.byQID[b.QueryID] = ob
		}
	}
	return c, nil
}

func (f *Follower) report(cs []store.ChainTx, res []store.Applied) {
	for i, r := range res {
		if r.Replayed {
			continue
		}
		c := cs[i]
		f.events.WithLabelValues(r.Kind).Inc()
		switch r.Kind {
		case store.KindCredited:
			// What was credited is the deposit's value; Change is the
			// wallet's balance change, less the fees its transaction paid.
			asset, amount := c.Asset, c.Change
			for _, m := range c.Moves {
				if m.Incoming != nil {
					asset, amount = m.Incoming.Asset, m.Incoming.Amount
				}
			}
			f.log.Info("deposit credited", "asset", asset, "amount", amount, "user", r.UserID,
				"merchant", r.MerchantID, "invoice", r.InvoiceID, "tx", c.Event.Hash)
		case store.KindForeign:
			f.log.Error("an external message we did not sign ran on the hot wallet", "tx", c.Event.Hash, "note", c.Event.Note)
		}
		for _, m := range c.Moves {
			if m.Kind == store.MoveUnknown {
				f.log.Error("money left the hot wallet in a message we did not sign; booked to adjustments", "tx", c.Event.Hash,
					"amount", -m.Amount, "asset", c.Asset, "note", c.Event.Note)
			}
		}
		if len(r.Confirmed) > 0 {
			f.log.Info("withdrawals confirmed", "withdrawals", r.Confirmed, "tx", c.Event.Hash)
		}
		if len(r.Requeued) > 0 {
			f.log.Warn("the chain skipped withdrawals' messages; re-issuing them", "withdrawals", r.Requeued)
		}
		if len(r.Failed) > 0 {
			f.log.Error("withdrawals failed on chain and were refunded", "withdrawals", r.Failed, "tx", c.Event.Hash, "kind", r.Kind)
		}
	}
}

// reconcile compares the ledger with the chain at master: the hot wallet's
// TON from its account state (already read), each jetton from its jetton
// wallet's get_wallet_data when that wallet changed.
func (f *Follower) reconcile(ctx context.Context, master *tonapi.BlockIDExt, blockTime time.Time, accounts []fetched) error {
	figures := map[string]store.Amount{}
	read := map[string]uint64{} // remembered only once the comparison is recorded
	var deposits []store.DepositHolding
	for _, a := range accounts {
		if a.w.deposit != 0 {
			h := store.DepositHolding{WalletID: a.w.deposit, Asset: a.w.asset}
			if a.w.asset == store.TON.Symbol {
				h.Chain = balanceOf(a.acc)
			} else if a.acc != nil && a.acc.IsActive {
				b, err := f.jettonBalance(ctx, master, a.w.addr)
				if err != nil {
					return fmt.Errorf("%s balance of deposit wallet %d: %w", a.w.asset, a.w.deposit, err)
				}
				h.Chain = b
			}
			deposits = append(deposits, h)
			continue
		}
		if a.w.asset == store.TON.Symbol {
			figures[store.TON.Symbol] = balanceOf(a.acc)
			continue
		}
		f.mu.Lock()
		last, known := f.jettonLT[a.w.asset]
		f.mu.Unlock()
		if known && last == a.acc.LastTxLT {
			continue
		}
		var bal store.Amount
		if a.acc.IsActive {
			b, err := f.jettonBalance(ctx, master, a.w.addr)
			if err != nil {
				return fmt.Errorf("%s balance: %w", a.w.asset, err)
			}
			bal = b
		}
		figures[a.w.asset] = bal
		read[a.w.asset] = a.acc.LastTxLT
	}
	res, err := f.db.ReconcileAll(ctx, master.SeqNo, blockTime, figures, deposits)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	f.mu.Lock()
	f.recon = res
	for asset, lt := range read {
		f.jettonLT[asset] = lt
	}
	f.mu.Unlock()
	f.reconciled.Set(float64(master.SeqNo))
	for _, r := range res.Assets {
		f.drift.WithLabelValues(r.Asset).Set(float64(r.Drift))
	}
	switch {
	case res.NewDrift:
		for _, r := range res.Assets {
			if r.Drift != 0 {
				f.log.Error("LEDGER DRIFT: the ledger differs from the chain; payouts paused until an admin resumes them (/resume) or it is back to zero",
					"block", master.SeqNo, "asset", r.Asset, "chain", r.Chain, "ledger", r.Ledger, "drift", r.Drift)
			}
		}
	case res.Cleared:
		f.log.Info("the ledger equals the chain again", "block", master.SeqNo)
	}
	return nil
}

// jettonBalance is a jetton wallet's balance at master (get_wallet_data),
// the largest figure the ledger can hold when it is beyond (a drift, never
// an error that stops following).
func (f *Follower) jettonBalance(ctx context.Context, master *tonapi.BlockIDExt, addr *address.Address) (store.Amount, error) {
	res, err := f.api.WaitForBlock(master.SeqNo).RunGetMethod(ctx, master, addr, "get_wallet_data")
	if err != nil {
		return 0, err
	}
	b, err := res.Int(0)
	if err != nil {
		return 0, err
	}
	v, ok := jettonAmount(b)
	if !ok && b.Sign() != 0 {
		f.log.Error("jetton balance beyond what the ledger can hold", "wallet", addr.StringRaw(), "balance", b.String())
		v = math.MaxInt64
	}
	return v, nil
}

// balanceOf is an account's TON balance.
func balanceOf(acc *tlb.Account) store.Amount {
	if acc == nil || acc.State == nil {
		return 0
	}
	return coins(acc.State.Balance)
}

// history returns the account's transactions after cur up to (lt, hash),
// oldest first, paging back by the previous-transaction links. A page
// shorter than asked is not the end of history: only a transaction whose
// predecessor is the cursor (or none) is. afterPage, when set, runs after
// each page is fetched (crash tests stop there). Pruned history is
// ErrPrunedHistory.
func history(ctx context.Context, api tonapi.APIClientWrapped, addr *address.Address, lt uint64, hash []byte, cur store.Cursor,
	afterPage func() error) ([]*tlb.Transaction, error) {
	var pages [][]*tlb.Transaction
	n := 0
	for {
		page, err := api.ListTransactions(ctx, addr, 16, lt, hash)
		var ls tonapi.LSError
		if errors.Is(err, tonapi.ErrNoTransactionsWereFound) || (errors.As(err, &ls) && ls.Code == -400) {
			return nil, fmt.Errorf("%w: at lt %d: %v", ErrPrunedHistory, lt, err)
		}
		if err != nil {
			return nil, fmt.Errorf("list transactions at lt %d: %w", lt, err)
		}
		if afterPage != nil {
			if err := afterPage(); err != nil {
				return nil, err
			}
		}
		i := 0
		for i < len(page) && page[i].LT <= cur.LT {
			i++
		}
		if i > 0 {
			// The cursor is inside this page: it must be the very transaction stored.
			at := page[i-1]
			if at.LT != cur.LT || hex.EncodeToString(at.Hash) != cur.Hash {
				return nil, fmt.Errorf("history forks from the cursor at lt %d", cur.LT)
			}
			pages = append(pages, page[i:])
			break
		}
		pages = append(pages, page)
		n += len(page)
		first := page[0]
		if first.PrevTxLT == cur.LT {
			if cur.LT != 0 && hex.EncodeToString(first.PrevTxHash) != cur.Hash {
				return nil, fmt.Errorf("history forks from the cursor at lt %d", cur.LT)
			}
			break
		}
		if first.PrevTxLT == 0 || first.PrevTxLT < cur.LT {
			return nil, fmt.Errorf("history at lt %d does not lead back to the cursor at lt %d", first.LT, cur.LT)
		}
		lt, hash = first.PrevTxLT, first.PrevTxHash
	}
	out := make([]*tlb.Transaction, 0, n+16)
	for i := len(pages) - 1; i >= 0; i-- {
		out = append(out, pages[i]...)
	}
	return out, nil
}
