package ton

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/jetton"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// Jetton message opcodes (TEP-74).
const (
	opTransfer             = 0x0f8a7ea5
	opInternalTransfer     = 0x178d4519
	opTransferNotification = 0x7362d09c
	opExcesses             = 0xd53276db
)

// ErrPrunedHistory means the liteserver no longer has the transactions
// between the cursor and the head: the scanner stops rather than skip them.
var ErrPrunedHistory = errors.New("liteserver history does not reach the cursor (pruned)")

// ScannerConfig is what the scanner follows and how.
type ScannerConfig struct {
	Hot     *address.Address // the deposit address: the hot wallet
	Jettons []store.Asset    // jettons to follow through the hot wallet's own jetton wallets
	Min     map[string]store.Amount
	Log     *slog.Logger
	// Failpoint, when set, is called at each step between fetching and
	// committing; an error stops the pass there (crash tests).
	Failpoint func(step string) error
}

// watch is one followed account.
type watch struct {
	addr  *address.Address
	raw   string
	asset string // "" for the hot wallet itself; the jetton for our jetton wallets
}

// Scanner follows the hot wallet and its jetton wallets block by block and
// books every transaction on them exactly once.
type Scanner struct {
	api tonapi.APIClientWrapped
	db  *store.DB
	cfg ScannerConfig
	log *slog.Logger

	mu       sync.Mutex
	watches  []watch
	jwallets map[string]string // our jetton wallet (raw) -> asset
	synced   time.Time         // when a pass last reached the head
	seqno    uint32
	stalled  string
	expired  time.Time

	lag      prometheus.GaugeFunc
	block    prometheus.Gauge
	pruned   prometheus.Gauge
	events   *prometheus.CounterVec
	failures prometheus.Counter
}

// NewScanner builds a scanner; Run starts it.
func NewScanner(api tonapi.APIClientWrapped, db *store.DB, cfg ScannerConfig) *Scanner {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Scanner{api: api, db: db, cfg: cfg, log: cfg.Log, jwallets: map[string]string{}}
	hot := cfg.Hot.Bounce(true)
	s.watches = []watch{{addr: hot, raw: hot.StringRaw()}}
	s.lag = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tonpay_scanner_lag_seconds",
		Help: "Seconds since the deposit scanner was last caught up with the chain head."},
		func() float64 { return s.Lag().Seconds() })
	s.block = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_scanner_block", Help: "Last masterchain block the scanner finished."})
	s.pruned = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_scanner_pruned_history",
		Help: "1 while the liteserver's history does not reach the scanner's cursor; the scanner does not advance."})
	s.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tonpay_chain_events_total",
		Help: "Transactions on watched accounts, by classification."}, []string{"kind"})
	s.failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_scanner_errors_total", Help: "Failed scanner passes."})
	return s
}

// Collectors are the scanner's Prometheus metrics.
func (s *Scanner) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.lag, s.block, s.pruned, s.events, s.failures}
}

// Lag is how long ago the scanner was last caught up with the chain head.
func (s *Scanner) Lag() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.synced.IsZero() {
		return 0
	}
	return time.Since(s.synced)
}

// ScanStatus is the scanner's health.
type ScanStatus struct {
	Block   uint32
	Lag     time.Duration
	Synced  bool   // has reached the head at least once
	Stalled string // why it is not advancing, if it is not
}

// Status reports the scanner's health for /healthz.
func (s *Scanner) Status() ScanStatus {
	lag := s.Lag()
	s.mu.Lock()
	defer s.mu.Unlock()
	return ScanStatus{Block: s.seqno, Lag: lag, Synced: !s.synced.IsZero(), Stalled: s.stalled}
}

func (s *Scanner) fail(step string) error {
	if s.cfg.Failpoint == nil {
		return nil
	}
	return s.cfg.Failpoint(step)
}

// Run follows the chain until ctx ends. Errors are retried with backoff and
// never advance a cursor; Run returns only when ctx ends or a failpoint fires.
func (s *Scanner) Run(ctx context.Context) error {
	var master *tonapi.BlockIDExt
	backoff := 200 * time.Millisecond
	var lastLog time.Time
	for ctx.Err() == nil {
		next, err := s.Pass(ctx, master)
		if err == nil {
			master = next
			backoff = 200 * time.Millisecond
			continue
		}
		if ctx.Err() != nil {
			break
		}
		if s.cfg.Failpoint != nil {
			return err
		}
		s.failures.Inc()
		s.mu.Lock()
		s.stalled = err.Error()
		s.mu.Unlock()
		if errors.Is(err, ErrPrunedHistory) {
			s.pruned.Set(1)
			if time.Since(lastLog) > time.Minute {
				s.log.Error("scanner stopped: the liteserver has pruned transactions it has not seen; point TON_LITESERVERS at an archive node", "err", err)
				lastLog = time.Now()
			}
			backoff = 30 * time.Second
		} else {
			s.log.Warn("scanner pass failed; retrying", "err", err, "in", backoff)
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
	return nil
}

// Pass waits for the block after prev (the head when prev is nil), then
// books everything new on the watched accounts up to it. It returns the
// block it reached.
func (s *Scanner) Pass(ctx context.Context, prev *tonapi.BlockIDExt) (*tonapi.BlockIDExt, error) {
	ctx = s.api.Client().StickyContext(ctx)
	master, err := s.nextBlock(ctx, prev)
	if err != nil {
		return prev, err
	}
	if err := s.fail("master"); err != nil {
		return prev, err
	}
	if err := s.resolveJettonWallets(ctx, master); err != nil {
		return prev, err
	}
	s.mu.Lock()
	watches := s.watches
	s.mu.Unlock()
	for _, w := range watches {
		if err := s.follow(ctx, master, w); err != nil {
			return prev, fmt.Errorf("%s: %w", w.raw, err)
		}
	}
	if time.Since(s.expired) > time.Second {
		if _, err := s.db.ExpireInvoices(ctx); err != nil {
			return prev, err
		}
		s.expired = time.Now()
	}
	s.mu.Lock()
	s.synced, s.seqno, s.stalled = time.Now(), master.SeqNo, ""
	s.mu.Unlock()
	s.block.Set(float64(master.SeqNo))
	s.pruned.Set(0)
	return master, nil
}

// nextBlock long-polls the liteserver for the block after prev: it answers
// the moment that block exists, so a new block is seen without delay.
func (s *Scanner) nextBlock(ctx context.Context, prev *tonapi.BlockIDExt) (*tonapi.BlockIDExt, error) {
	if prev == nil {
		return s.api.GetMasterchainInfo(ctx)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		m, err := s.api.WaitForBlock(prev.SeqNo + 1).GetMasterchainInfo(wctx)
		cancel()
		if err == nil {
			return m, nil
		}
		if ctx.Err() != nil || !errors.Is(wctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("wait for block %d: %w", prev.SeqNo+1, err)
		}
		// No block for 10 s: ask again.
	}
}

// resolveJettonWallets finds the hot wallet's own jetton wallet for each
// jetton, from the master's get_wallet_address (never from what a sender
// claims), once.
func (s *Scanner) resolveJettonWallets(ctx context.Context, master *tonapi.BlockIDExt) error {
	s.mu.Lock()
	done := len(s.watches) == 1+len(s.cfg.Jettons)
	s.mu.Unlock()
	if done {
		return nil
	}
	for _, j := range s.cfg.Jettons {
		if s.JettonWallet(j.Symbol) != nil {
			continue
		}
		m, err := address.ParseRawAddr(j.Master)
		if err != nil {
			return fmt.Errorf("jetton %s master %q: %w", j.Symbol, j.Master, err)
		}
		jw, err := jetton.NewJettonMasterClient(s.api, m).GetJettonWalletAtBlock(ctx, s.cfg.Hot, master)
		if err != nil {
			return fmt.Errorf("jetton %s: our wallet address: %w", j.Symbol, err)
		}
		a := jw.Address().Bounce(true)
		s.mu.Lock()
		s.jwallets[a.StringRaw()] = j.Symbol
		s.watches = append(s.watches, watch{addr: a, raw: a.StringRaw(), asset: j.Symbol})
		s.mu.Unlock()
		s.log.Info("following jetton wallet", "jetton", j.Symbol, "wallet", a.String())
	}
	return nil
}

// JettonWallet is the hot wallet's jetton wallet for an asset, once resolved.
func (s *Scanner) JettonWallet(asset string) *address.Address {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, w := range s.watches {
		if w.asset == asset {
			return w.addr
		}
	}
	return nil
}

// follow books the account's transactions between its cursor and master.
func (s *Scanner) follow(ctx context.Context, master *tonapi.BlockIDExt, w watch) error {
	acc, err := s.api.WaitForBlock(master.SeqNo).GetAccount(ctx, master, w.addr)
	if err != nil {
		return fmt.Errorf("get account: %w", err)
	}
	if err := s.fail("account"); err != nil {
		return err
	}
	if acc.LastTxLT == 0 {
		return nil // no transactions yet
	}
	cur, err := s.db.Cursor(ctx, w.raw)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	head := hex.EncodeToString(acc.LastTxHash)
	switch {
	case acc.LastTxLT == cur.LT && head == cur.Hash:
		return nil
	case acc.LastTxLT <= cur.LT:
		// A liteserver behind the one we read before; try again later.
		return fmt.Errorf("liteserver is behind our cursor (lt %d <= %d)", acc.LastTxLT, cur.LT)
	}
	txs, err := history(ctx, s.api, w.addr, acc.LastTxLT, acc.LastTxHash, cur, func() error { return s.fail("page") })
	if err != nil {
		return err
	}
	// Book in batches: each chain transaction's effects are atomic either
	// way, and one commit per batch is what makes catching up fast.
	const batch = 64
	for len(txs) > 0 {
		n := min(batch, len(txs))
		cs := make([]store.ChainTx, n)
		for i, tx := range txs[:n] {
			cs[i] = s.classify(w, tx)
			if err := s.fail("classify"); err != nil {
				return err
			}
		}
		txs = txs[n:]
		res, err := s.db.ApplyChainTxs(ctx, cs)
		if err != nil {
			return fmt.Errorf("book lt %d..%d: %w", cs[0].Event.LT, cs[n-1].Event.LT, err)
		}
		for i, r := range res {
			if r.Replayed {
				continue
			}
			s.events.WithLabelValues(r.Kind).Inc()
			if r.Kind == store.KindCredited {
				c := cs[i]
				s.log.Info("deposit credited", "asset", c.Incoming.Asset, "amount", c.Incoming.Amount, "user", r.UserID,
					"merchant", r.MerchantID, "invoice", r.InvoiceID, "tx", c.Event.Hash)
			}
		}
	}
	return nil
}

// history returns the account's transactions after cur up to (lt, hash),
// oldest first, paging back by the previous-transaction links. A page
// shorter than asked is not the end of history: only a transaction whose
// predecessor is the cursor (or none) is. afterPage, when set, runs after
// each page is fetched (the scanner's crash tests stop there). Pruned
// history is ErrPrunedHistory; the scanner and the payer both page this way.
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

// classify turns a transaction on a watched account into what the ledger
// must do with it.
func (s *Scanner) classify(w watch, tx *tlb.Transaction) store.ChainTx {
	h := hex.EncodeToString(tx.Hash)
	c := store.ChainTx{
		Event:  store.ChainEvent{Account: w.raw, LT: tx.LT, Hash: h, Time: time.Unix(int64(tx.Now), 0).UTC(), Kind: store.KindOther},
		Cursor: store.Cursor{Account: w.raw, LT: tx.LT, Hash: h},
	}
	if w.asset != "" {
		s.classifyJettonWallet(w, tx, &c)
		return c
	}
	c.Fee = nano(tx.TotalFees.Coins.Nano())
	if tx.IO.In == nil {
		return c
	}
	if tx.IO.In.MsgType != tlb.MsgTypeInternal {
		c.Event.Kind = store.KindOutgoing
		return c
	}
	in := tx.IO.In.AsInternal()
	stayed := nano(in.Amount.Nano()) - outValue(tx)
	unmatched := func(kind, note string) {
		c.Event.Kind, c.Event.Note = kind, note
		if stayed > 0 {
			c.HotDelta, c.Counterpart = stayed, store.AccountUnmatched
		}
	}
	switch {
	case in.Bounced:
		unmatched(store.KindBounced, "")
		return c
	case bounced(tx):
		// Sent back to the sender; what stayed paid for the bounce.
		c.Event.Kind = store.KindAborted
		if stayed > 0 {
			c.HotDelta, c.Counterpart = stayed, store.AccountFees
		}
		return c
	case failed(tx):
		unmatched(store.KindAborted, "")
		return c
	}
	switch op := opcode(in.Body); op {
	case opTransferNotification:
		var tn jetton.TransferNotification
		if err := tlb.LoadFromCell(&tn, in.Body.BeginParse()); err != nil {
			unmatched(store.KindOther, "malformed transfer_notification")
			return c
		}
		s.mu.Lock()
		asset, ours := s.jwallets[in.SrcAddr.Bounce(true).StringRaw()]
		s.mu.Unlock()
		if !ours {
			unmatched(store.KindFakeJetton, "notification from "+in.SrcAddr.StringRaw())
			return c
		}
		amt, ok := jettonAmount(tn.Amount)
		if !ok {
			unmatched(store.KindOther, "jetton amount out of range")
			return c
		}
		c.Incoming = &store.Incoming{Asset: asset, Amount: amt, Sender: rawOrEmpty(tn.Sender),
			Comment: payloadComment(tn.ForwardPayload), Min: s.cfg.Min[asset]}
		if stayed > 0 { // the forwarded TON pays our fees
			c.HotDelta, c.Counterpart = stayed, store.AccountFees
		}
	case opExcesses:
		c.Event.Kind = store.KindExcesses
		if stayed > 0 {
			c.HotDelta, c.Counterpart = stayed, store.AccountFees
		}
	default:
		if stayed <= 0 {
			return c
		}
		c.Incoming = &store.Incoming{Asset: store.TON.Symbol, Amount: stayed, Sender: in.SrcAddr.Bounce(true).StringRaw(),
			Comment: cleanComment(in.Comment()), Min: s.cfg.Min[store.TON.Symbol]}
	}
	return c
}

// classifyJettonWallet handles a transaction on our own jetton wallet. A
// transfer that notified the hot wallet is credited from the notification;
// one that did not (forward_ton_amount 0) is credited here.
func (s *Scanner) classifyJettonWallet(w watch, tx *tlb.Transaction, c *store.ChainTx) {
	if tx.IO.In == nil || tx.IO.In.MsgType != tlb.MsgTypeInternal {
		return
	}
	in := tx.IO.In.AsInternal()
	switch opcode(in.Body) {
	case opTransfer:
		c.Event.Kind = store.KindOutgoing
	case opInternalTransfer:
		var it internalTransfer
		if err := tlb.LoadFromCell(&it, in.Body.BeginParse()); err != nil {
			c.Event.Note = "malformed internal_transfer"
			return
		}
		amt, ok := jettonAmount(it.Amount)
		c.Event.Asset, c.Event.Amount, c.Event.Sender = w.asset, amt, rawOrEmpty(it.From)
		switch {
		case in.Bounced || failed(tx):
			c.Event.Kind = store.KindAborted
		case !ok:
			c.Event.Note = "jetton amount out of range"
		case notified(tx):
			c.Event.Kind, c.Event.Note = store.KindJettonIn, "credited from the transfer_notification"
		default:
			c.Incoming = &store.Incoming{Asset: w.asset, Amount: amt, Sender: rawOrEmpty(it.From),
				Comment: payloadComment(it.ForwardPayload), Min: s.cfg.Min[w.asset]}
		}
	}
}

// internalTransfer is the jetton wallet to jetton wallet message (TEP-74).
type internalTransfer struct {
	_                tlb.Magic        `tlb:"#178d4519"`
	QueryID          uint64           `tlb:"## 64"`
	Amount           tlb.Coins        `tlb:"."`
	From             *address.Address `tlb:"addr"`
	ResponseAddress  *address.Address `tlb:"addr"`
	ForwardTONAmount tlb.Coins        `tlb:"."`
	ForwardPayload   *cell.Cell       `tlb:"either . ^"`
}

// notified reports whether the transaction sent a transfer_notification.
func notified(tx *tlb.Transaction) bool {
	if tx.IO.Out == nil {
		return false
	}
	msgs, err := tx.IO.Out.ToSlice()
	if err != nil {
		return false
	}
	for _, m := range msgs {
		if m.MsgType == tlb.MsgTypeInternal && opcode(m.AsInternal().Body) == opTransferNotification {
			return true
		}
	}
	return false
}

// failed reports a transaction whose incoming value did not simply stay:
// it bounced back, or the contract's code failed. An aborted transaction with
// a skipped compute phase and no bounce (a bounce=false transfer to an
// undeployed wallet) is not failed: the value stays on the account.
func failed(tx *tlb.Transaction) bool {
	var d *tlb.TransactionDescriptionOrdinary
	switch v := tx.Description.(type) {
	case tlb.TransactionDescriptionOrdinary:
		d = &v
	case *tlb.TransactionDescriptionOrdinary:
		d = v
	default:
		return false
	}
	if d.BouncePhase != nil {
		return true
	}
	switch p := d.ComputePhase.Phase.(type) {
	case tlb.ComputePhaseVM:
		return !p.Success || d.Aborted
	case *tlb.ComputePhaseVM:
		return !p.Success || d.Aborted
	}
	return false
}

// bounced reports a transaction that sent its incoming message back.
func bounced(tx *tlb.Transaction) bool {
	switch v := tx.Description.(type) {
	case tlb.TransactionDescriptionOrdinary:
		return v.BouncePhase != nil
	case *tlb.TransactionDescriptionOrdinary:
		return v.BouncePhase != nil
	}
	return false
}

// outValue is the TON the transaction sent out (a bounce returns the value).
func outValue(tx *tlb.Transaction) store.Amount {
	if tx.IO.Out == nil {
		return 0
	}
	msgs, err := tx.IO.Out.ToSlice()
	if err != nil {
		return 0
	}
	var sum store.Amount
	for _, m := range msgs {
		if m.MsgType == tlb.MsgTypeInternal {
			sum += nano(m.AsInternal().Amount.Nano())
		}
	}
	return sum
}

func opcode(body *cell.Cell) uint64 {
	if body == nil {
		return 0
	}
	sl := body.BeginParse()
	if sl.BitsLeft() < 32 {
		return 0
	}
	op, err := sl.LoadUInt(32)
	if err != nil {
		return 0
	}
	return op
}

// payloadComment reads a text comment (op 0 + snake string) from a forward
// payload; anything else is no comment.
func payloadComment(c *cell.Cell) string {
	if c == nil {
		return ""
	}
	sl := c.BeginParse()
	if sl.BitsLeft() < 32 {
		return ""
	}
	if op, err := sl.LoadUInt(32); err != nil || op != 0 {
		return ""
	}
	s, err := sl.LoadStringSnake()
	if err != nil {
		return ""
	}
	return cleanComment(s)
}

// cleanComment keeps what a person could have typed, bounded.
func cleanComment(s string) string {
	s = strings.ToValidUTF8(s, "")
	if utf8.RuneCountInString(s) > 120 {
		s = string([]rune(s)[:120])
	}
	return s
}

func nano(v *big.Int) store.Amount {
	if v == nil || !v.IsInt64() {
		return 0
	}
	return store.Amount(v.Int64())
}

func jettonAmount(c tlb.Coins) (store.Amount, bool) {
	v := c.Nano()
	if v == nil || !v.IsInt64() || v.Sign() <= 0 {
		return 0, false
	}
	return store.Amount(v.Int64()), true
}

func rawOrEmpty(a *address.Address) string {
	if a == nil || a.IsAddrNone() {
		return ""
	}
	return a.Bounce(true).StringRaw()
}
