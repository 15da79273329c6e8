package ton

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/big"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// Payer constants.
const (
	// createdAtLag is how far before the chain's clock (the last block's
	// time) a message is dated, so that a node whose view is a little
	// behind still accepts it.
	createdAtLag = 30
	// Failpoint steps.
	StepPersisted = "persisted" // batch reserved and stored; nothing sent yet
	StepSent      = "sent"      // BOC sent; the send not recorded yet
)

// PayerConfig is how the payer pays.
type PayerConfig struct {
	Testnet bool
	// BatchSize is the most withdrawals per external message (<= 253,
	// default 253).
	BatchSize int
	// ResendEvery is how often an unconfirmed batch's BOC is sent again
	// (default 1 s; at most once a block).
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
	// SweepGas, when set, is what a deposit wallet's jetton sweep needs
	// attached (the sweeper's JettonGas): a deposit wallet holding jettons
	// and not the Gram to move them gets it from the hot wallet, in a batch
	// of its own when nothing else is going on.
	SweepGas store.Amount
	// SweepJettonMin is the least of each jetton a deposit wallet must
	// hold for the hot wallet to send it the gas of its sweep (the
	// sweeper's JettonMin: the two must agree). A jetton not named has
	// none: any amount gets its gas.
	SweepJettonMin map[string]store.Amount
	// ExpiryGrace is how long after a batch's expiry (by the chain's
	// clock) the payer waits before it believes the chain's history about
	// it (default 1 min).
	ExpiryGrace time.Duration
	Log         *slog.Logger
	// Failpoint, when set, is called at StepPersisted and StepSent; an
	// error stops Run there, as a crash would (tests).
	Failpoint func(step string) error
}

// Payer pays queued withdrawals out of the Highload v3 hot wallet, each
// exactly once. It acts on the blocks the follower finished (Heads): by
// then every transaction up to that block is booked and settled, so what
// is still open really is open.
type Payer struct {
	api    tonapi.APIClientWrapped
	db     *store.DB
	cfg    PayerConfig
	log    *slog.Logger
	signer signer
	hot    *address.Address
	heads  <-chan Head

	mu       sync.Mutex
	lastSend map[int64]time.Time // batch -> last send
	gasSent  map[int64]int64     // deposit wallet -> chain time its sweep gas was last sent
	alarmed  map[int64]time.Time // batch -> last alarm about it
	paused   string              // why payouts wait for funds
	pauseLog time.Time
	held     string // why payouts wait for an admin

	pausedG prometheus.Gauge
	heldG   prometheus.Gauge
	openG   prometheus.Gauge
	batches prometheus.Counter
	sends   prometheus.Counter
	outcome *prometheus.CounterVec
	errs    prometheus.Counter
}

// NewPayer opens the hot wallet from its seed phrase; it pays on the
// blocks heads delivers (Follower.Heads).
func NewPayer(api tonapi.APIClientWrapped, db *store.DB, words []string, heads <-chan Head, cfg PayerConfig) (*Payer, error) {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = MaxBatch
	}
	if cfg.BatchSize > MaxBatch {
		return nil, fmt.Errorf("payer: batch size %d exceeds %d", cfg.BatchSize, MaxBatch)
	}
	if cfg.ResendEvery <= 0 {
		cfg.ResendEvery = time.Second
	}
	if cfg.JettonTON <= 0 {
		cfg.JettonTON = store.JettonAttachTON
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
	if cfg.ExpiryGrace <= 0 {
		// A shard block dated before the expiry may be committed in a
		// master block well after it (shard views lag by up to ~15 s).
		cfg.ExpiryGrace = time.Minute
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
	p := &Payer{api: api, db: db, cfg: cfg, log: cfg.Log, signer: signer{w: w, hot: hot}, hot: hot, heads: heads,
		lastSend: map[int64]time.Time{}, gasSent: map[int64]int64{}, alarmed: map[int64]time.Time{}}
	p.pausedG = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_payer_paused",
		Help: "1 while withdrawals wait because the hot wallet cannot cover them."})
	p.heldG = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_payer_held",
		Help: "1 while payouts wait for an admin (ledger drift, or paused by hand)."})
	p.openG = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_payer_open_batches",
		Help: "Batches sent and not yet settled."})
	p.batches = prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_payer_batches_total",
		Help: "External messages (batches) the payer signed."})
	p.sends = prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_payer_sends_total",
		Help: "Sends of batch BOCs accepted by the liteserver (re-sends included)."})
	p.outcome = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tonpay_payer_withdrawals_total",
		Help: "Withdrawals the payer acted on, by outcome (refused before sending, re-issued after expiry)."}, []string{"outcome"})
	p.errs = prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_payer_errors_total", Help: "Failed payer passes."})
	return p, nil
}

// Collectors are the payer's Prometheus metrics.
func (p *Payer) Collectors() []prometheus.Collector {
	return []prometheus.Collector{p.pausedG, p.heldG, p.openG, p.batches, p.sends, p.outcome, p.errs}
}

// Hot is the hot wallet's address.
func (p *Payer) Hot() *address.Address { return p.hot }

// Paused reports why payouts wait: for funds, or for an admin ("" when
// they do not).
func (p *Payer) Paused() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held != "" {
		return p.held
	}
	return p.paused
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

// Run pays withdrawals until ctx ends, one pass per block the follower
// finished:
//
//  1. re-send the stored BOC of every batch not seen on chain yet, until
//     it expires; once the chain's clock is past its expiry (plus a grace)
//     and it is still not executed, ask processed?(query_id): not processed
//     → its withdrawals are queued again (re-issued under a new query id);
//     processed but not in our history → alarm, nothing is re-issued;
//  2. unless payouts are held for an admin (drift), take queued
//     withdrawals oldest first while the hot wallet covers them (else pause:
//     log, metric, admin notice), up to BatchSize per batch; reserve each
//     batch (query id, created_at = chain time - 30 s, signed BOC,
//     withdrawals sent) in ONE store transaction, then send it;
//  3. when idle, sweep TON above HotWalletMax to the cold wallet.
//
// Errors are retried on the next block; Run returns nil when ctx ends, or
// the error of a failpoint.
func (p *Payer) Run(ctx context.Context) error {
	for {
		var h Head
		select {
		case <-ctx.Done():
			return nil
		case h = <-p.heads:
		}
		err := p.Pass(ctx, h)
		if err == nil || ctx.Err() != nil {
			continue
		}
		var fp failpointError
		if errors.As(err, &fp) {
			return err
		}
		p.errs.Inc()
		p.log.Warn("payer pass failed; retrying on the next block", "err", err)
	}
}

// Pass does one round of Run's work at the block h.
func (p *Payer) Pass(ctx context.Context, h Head) error {
	ctx = p.api.Client().StickyContext(ctx)
	open, err := p.db.OpenBatches(ctx)
	if err != nil {
		return err
	}
	p.openG.Set(float64(len(open)))
	expired := false
	for _, b := range open {
		done, err := p.drive(ctx, h, b)
		if err != nil {
			return err
		}
		expired = expired || done
	}
	if expired {
		return nil // re-issued withdrawals are back in the queue; the next block pays them
	}
	pause, held, err := p.db.PayoutPause(ctx)
	if err != nil {
		return err
	}
	p.setHeld(pause, held)
	if held {
		return nil
	}
	queued, err := p.db.Withdrawals(ctx, store.WithdrawalQueued, 16*p.cfg.BatchSize)
	if err != nil {
		return err
	}
	if len(queued) == 0 {
		p.setPaused(ctx, nil)
		if len(open) == 0 {
			if sent, err := p.gasForSweeps(ctx, h); sent || err != nil {
				return err
			}
			return p.sweep(ctx, h)
		}
		return nil
	}
	return p.payQueue(ctx, h, queued)
}

// drive re-sends a batch not seen on chain yet, or decides about one that
// expired. It reports whether the batch was expired (its withdrawals are
// queued again).
func (p *Payer) drive(ctx context.Context, h Head, b store.Batch) (bool, error) {
	if b.TxHash != "" {
		return false, nil // executed; its internal_transfer settles it
	}
	if h.Time < b.ExpiresAt {
		p.mu.Lock()
		due := time.Since(p.lastSend[b.ID]) >= p.cfg.ResendEvery
		p.mu.Unlock()
		if due {
			return false, p.send(ctx, b)
		}
		return false, nil
	}
	if h.Time < b.ExpiresAt+int64(p.cfg.ExpiryGrace/time.Second) {
		return false, nil // let any block dated before the expiry become final
	}
	return p.resolveExpired(ctx, h, b)
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
	if err := tlb.Parse(&ext, root); err != nil {
		return fmt.Errorf("batch %d: stored BOC: %w", b.ID, err)
	}
	// A node that lost the leader's lease (paused past it) sends nothing.
	if err := p.db.CheckLease(ctx); err != nil {
		return err
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
	if err := p.fail(StepSent); err != nil {
		return err
	}
	return p.db.MarkBatchSent(ctx, b.ID)
}

// resolveExpired decides about a batch whose message can no longer be
// executed: the follower booked everything up to a block dated past its
// expiry and the batch is still not seen, so processed? must agree before
// its withdrawals are re-issued.
func (p *Payer) resolveExpired(ctx context.Context, h Head, b store.Batch) (bool, error) {
	cur, err := p.db.Batch(ctx, b.ID)
	if err != nil {
		return false, err
	}
	if cur.TxHash != "" || (cur.Status != store.BatchBuilding && cur.Status != store.BatchSent) {
		return false, nil
	}
	processed, err := p.processed(ctx, h.Block, b.QueryID)
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
			if err := p.db.HoldForeign(ctx, store.ForeignNotice{Account: p.hot.StringRaw(),
				Note: fmt.Sprintf("batch %d's query id %d was processed by a message not in our history (another signer?); its withdrawals are not re-issued", b.ID, b.QueryID)}); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	requeued, err := p.db.ExpireBatch(ctx, b.ID, "expired unprocessed")
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

// payQueue plans the queue against what the hot wallet holds and issues
// the batches.
func (p *Payer) payQueue(ctx context.Context, h Head, queued []store.Withdrawal) error {
	// What the wallets hold by the ledger (proved equal to the chain by
	// reconciliation; no query needed) less what is committed, in one
	// snapshot: the follower may settle a batch meanwhile.
	avail, err := p.db.Available(ctx)
	if err != nil {
		return err
	}
	in := planInput{Queued: queued, AvailTON: avail[store.TON.Symbol] - p.cfg.Reserve, AvailJet: map[string]store.Amount{},
		BatchSize: p.cfg.BatchSize, JettonTON: p.cfg.JettonTON, MsgFee: p.cfg.MessageFee, Hot: p.hot, Jettons: h.Jettons,
		Testnet: p.cfg.Testnet}
	for asset := range h.Jettons {
		in.AvailJet[asset] = avail[asset]
	}
	pl := makePlan(in)
	for _, r := range pl.Refused {
		if _, err := p.db.FailWithdrawal(ctx, r.ID, r.Reason); err != nil {
			return err
		}
		p.outcome.WithLabelValues("refused").Inc()
		p.log.Warn("withdrawal refused and refunded", "withdrawal", r.ID, "reason", r.Reason)
	}
	for _, a := range pl.Waiting {
		p.log.Warn("withdrawals of an asset whose jetton wallet is not known yet wait in the queue", "asset", a)
	}
	p.setPaused(ctx, pl.Pause)
	deployed := h.Hot != nil && h.Hot.IsActive && h.Hot.State != nil && h.Hot.State.Status == tlb.AccountStatusActive
	for _, pays := range pl.Batches {
		msgs := make([]*wallet.Message, len(pays))
		ids := make([]int64, len(pays))
		for i, pay := range pays {
			msgs[i], ids[i] = pay.msg, pay.w.ID
		}
		if err := p.issue(ctx, h, msgs, ids, store.NewBatch{}, deployed); err != nil {
			return err
		}
	}
	return nil
}

// issue reserves a batch (query id, signed BOC, withdrawals sent) in one
// store transaction and sends it.
func (p *Payer) issue(ctx context.Context, h Head, msgs []*wallet.Message, ids []int64, extra store.NewBatch, deployed bool) error {
	sweep := extra.Sweep
	b, err := p.db.ReserveBatch(ctx, store.NewBatch{Withdrawals: ids, Value: batchValue(msgs), Sweep: sweep, Gas: extra.Gas, GasMessages: extra.GasMessages,
		CreatedAt: h.Time - createdAtLag, TTL: HotMessageTTL,
		Build: func(qid uint32, createdAt int64) ([]byte, string, error) {
			return p.signer.sign(ctx, qid, createdAt, msgs, !deployed)
		}})
	if err != nil {
		return fmt.Errorf("reserve batch: %w", err)
	}
	p.batches.Inc()
	p.log.Info("batch reserved", "batch", b.ID, "query_id", b.QueryID, "withdrawals", len(ids), "sweep", sweep, "value", b.Value)
	if err := p.fail(StepPersisted); err != nil {
		return err
	}
	return p.send(ctx, b)
}

// sweep sends what the hot wallet holds above HotWalletMax to the cold
// wallet, when nothing else is going on.
func (p *Payer) sweep(ctx context.Context, h Head) error {
	if p.cfg.Cold == nil || p.cfg.HotWalletMax <= 0 {
		return nil
	}
	avail, err := p.db.Available(ctx)
	if err != nil {
		return err
	}
	excess := avail[store.TON.Symbol] - p.cfg.HotWalletMax
	if excess < p.cfg.SweepMin {
		return nil
	}
	deployed := h.Hot.IsActive && h.Hot.State != nil && h.Hot.State.Status == tlb.AccountStatusActive
	p.log.Info("sweeping to cold storage", "amount", excess, "cold", p.cfg.Cold.String())
	msg := &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
		IHRDisabled: true, Bounce: false, DstAddr: p.cfg.Cold, Amount: tlb.FromNanoTONU(uint64(excess))}}
	return p.issue(ctx, h, []*wallet.Message{msg}, nil, store.NewBatch{Sweep: excess}, deployed)
}

// gasForSweeps sends deposit wallets holding jettons the Gram their sweep
// needs (SweepGas per jetton, half as much again for fees and the first
// message's deploy), once per wallet and ten minutes of chain time.
func (p *Payer) gasForSweeps(ctx context.Context, h Head) (bool, error) {
	if p.cfg.SweepGas <= 0 {
		return false, nil
	}
	cands, err := p.db.SweepCandidates(ctx, math.MaxInt64, p.cfg.SweepJettonMin, 64)
	if err != nil {
		return false, err
	}
	avail, err := p.db.Available(ctx)
	if err != nil {
		return false, err
	}
	left := avail[store.TON.Symbol] - p.cfg.Reserve
	var msgs []*wallet.Message
	var total store.Amount
	sentTo := map[int64]bool{}
	for _, c := range cands {
		jets := 0
		for asset, amt := range c.Held {
			if _, known := c.Wallet.Jettons[asset]; asset != store.TON.Symbol && amt > 0 && known {
				jets++
			}
		}
		need := p.cfg.SweepGas*store.Amount(jets) + p.cfg.SweepGas/2 + p.cfg.SweepGas/4 - c.Held[store.TON.Symbol]
		p.mu.Lock()
		recent := h.Time < p.gasSent[c.Wallet.ID]+600
		p.mu.Unlock()
		if jets == 0 || need <= 0 || recent || total+need > left || len(msgs) >= p.cfg.BatchSize {
			continue
		}
		to, err := address.ParseRawAddr(c.Wallet.Address)
		if err != nil {
			return false, err
		}
		msgs = append(msgs, &wallet.Message{Mode: sendMode, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: false, DstAddr: to.Bounce(false), Amount: tlb.FromNanoTONU(uint64(need)), Body: CommentCell("gas for a sweep")}})
		total += need
		sentTo[c.Wallet.ID] = true
	}
	if len(msgs) == 0 {
		return false, nil
	}
	p.mu.Lock()
	for id := range sentTo {
		p.gasSent[id] = h.Time
	}
	p.mu.Unlock()
	deployed := h.Hot.IsActive && h.Hot.State != nil && h.Hot.State.Status == tlb.AccountStatusActive
	p.log.Info("sending deposit addresses the gas of their jetton sweeps", "wallets", len(msgs), "gram", total.Format(store.TON.Decimals))
	return true, p.issue(ctx, h, msgs, nil, store.NewBatch{Gas: total, GasMessages: len(msgs)}, deployed)
}

// pauseNotice is the payload of the payer.paused admin notice.
type pauseNotice struct {
	Reason       string `json:"reason"`
	Asset        string `json:"asset"`
	WithdrawalID int64  `json:"withdrawal_id"`
	Need         string `json:"need"`
	Available    string `json:"available"`
}

// setHeld records whether payouts wait for an admin.
func (p *Payer) setHeld(pause store.Pause, held bool) {
	p.mu.Lock()
	was := p.held
	p.held = ""
	if held {
		p.held = "held for an admin: " + pause.Reason
	}
	now := p.held
	p.mu.Unlock()
	switch {
	case now != "" && was == "":
		p.heldG.Set(1)
		p.log.Error("PAYOUTS HELD until an admin resumes them (/resume)", "reason", pause.Reason, "cause", pause.Cause)
	case now == "" && was != "":
		p.heldG.Set(0)
		p.log.Info("payouts resumed")
	}
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
			p.log.Info("payouts resumed: the hot wallet covers the queue")
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
		if err := p.db.Emit(ctx, store.TopicBot, store.EventPayerPaused, 0, 0, n); err != nil {
			p.log.Error("payer: admin notice", "err", err)
		}
	}
}
