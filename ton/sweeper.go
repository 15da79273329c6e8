package ton

// Sweeps: what lands on deposit wallets is moved to the hot wallet. A
// user's balance never waits for it (the deposit is credited when it lands);
// the sweep only brings the coins where payouts are made from. The follower
// books each sweep from the chain like any transaction of ours: what leaves
// the deposit wallet is in transit until the hot wallet's side arrives, and
// every fee is the network's.

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"sync"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// Sweep defaults.
const (
	// DefaultSweepMin: a deposit wallet's coins are swept from this much
	// (a sweep costs about 0.004 GRAM, 0.007 the first time, which deploys
	// the wallet).
	DefaultSweepMin = store.Amount(500_000_000)
	// DefaultSweepJettonGas is attached to a deposit wallet's jetton
	// transfer to the hot wallet; what is not spent comes back to the hot
	// wallet as excesses.
	DefaultSweepJettonGas = store.Amount(60_000_000)
)

// SweeperConfig is how deposit wallets are swept.
type SweeperConfig struct {
	Keys      *DepositKeys
	Hot       *address.Address
	Min       store.Amount // sweep the native coin from this much (DefaultSweepMin)
	JettonGas store.Amount // attached to each jetton sweep (DefaultSweepJettonGas)
	// JettonMin is the least of each jetton worth its sweep's gas (a
	// jetton not named: any amount); below it the jetton waits on the
	// address, credited to its owner all the same.
	JettonMin map[string]store.Amount
	Batch     int // deposit wallets swept per block at most (default 32)
	Log       *slog.Logger
}

// Sweeper sweeps deposit wallets after each block the follower finished.
type Sweeper struct {
	api   tonapi.APIClientWrapped
	db    *store.DB
	cfg   SweeperConfig
	heads <-chan Head
	log   *slog.Logger

	mu      sync.Mutex
	pending map[int64]int64 // deposit wallet id -> chain time until which its last sweep may still land
}

// sweepTTL is how long a sweep's external message is valid; another is not
// signed for the same wallet before it has landed or expired (the wallet's
// seqno makes a second one of the same seqno fail in any case).
const sweepTTL = 120

// NewSweeper builds a sweeper reading heads.
func NewSweeper(api tonapi.APIClientWrapped, db *store.DB, heads <-chan Head, cfg SweeperConfig) *Sweeper {
	if cfg.Min <= 0 {
		cfg.Min = DefaultSweepMin
	}
	if cfg.JettonGas <= 0 {
		cfg.JettonGas = DefaultSweepJettonGas
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Sweeper{api: api, db: db, cfg: cfg, heads: heads, log: cfg.Log, pending: map[int64]int64{}}
}

// Run sweeps after each head until ctx ends; a failed sweep is tried again
// at a later block.
func (s *Sweeper) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case h := <-s.heads:
			if n, err := s.Pass(ctx, h); err != nil && ctx.Err() == nil {
				s.log.Warn("sweep failed; trying again at a later block", "err", err)
			} else if n > 0 {
				s.log.Info("deposit addresses swept to the hot wallet", "wallets", n, "block", h.Block.SeqNo)
			}
		}
	}
}

// Pass signs and sends the sweeps the ledger calls for at head h: deposit
// wallets holding at least Min of the native coin, or a jetton and the gas
// to move it. Nothing is swept while payouts are paused (a drift). It
// returns how many wallets it sent a sweep for.
func (s *Sweeper) Pass(ctx context.Context, h Head) (int, error) {
	if _, paused, err := s.db.PayoutPause(ctx); err != nil || paused {
		return 0, err
	}
	cands, err := s.db.SweepCandidates(ctx, s.cfg.Min, s.cfg.JettonMin, s.cfg.Batch*2)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, c := range cands {
		if sent >= s.cfg.Batch {
			break
		}
		s.mu.Lock()
		until, busy := s.pending[c.Wallet.ID]
		if busy && h.Time > until {
			delete(s.pending, c.Wallet.ID)
			busy = false
		}
		s.mu.Unlock()
		if busy {
			continue
		}
		msgs, err := s.messages(c)
		if err != nil {
			return sent, err
		}
		if len(msgs) == 0 {
			continue
		}
		addr, err := address.ParseRawAddr(c.Wallet.Address)
		if err != nil {
			return sent, err
		}
		if derived, err := s.cfg.Keys.Address(c.Wallet.Owner); err != nil || !derived.Equals(addr) {
			return sent, fmt.Errorf("deposit wallet %d: the seed does not derive %s (%v)", c.Wallet.ID, c.Wallet.Address, err)
		}
		acc, err := s.api.WaitForBlock(h.Block.SeqNo).GetAccount(ctx, h.Block, addr)
		if err != nil {
			return sent, fmt.Errorf("deposit wallet %d: %w", c.Wallet.ID, err)
		}
		seqno, deployed, err := DepositWalletSeqno(acc)
		if err != nil {
			return sent, fmt.Errorf("deposit wallet %d: %w", c.Wallet.ID, err)
		}
		ext, err := s.cfg.Keys.SweepExternal(c.Wallet.Owner, seqno, deployed, h.Time+sweepTTL, msgs)
		if err != nil {
			return sent, fmt.Errorf("deposit wallet %d: %w", c.Wallet.ID, err)
		}
		if err := s.db.CheckLease(ctx); err != nil {
			return sent, err // another node leads: it sweeps
		}
		s.mu.Lock()
		s.pending[c.Wallet.ID] = h.Time + sweepTTL + 10
		s.mu.Unlock()
		if err := s.api.SendExternalMessage(ctx, ext); err != nil {
			s.mu.Lock()
			delete(s.pending, c.Wallet.ID)
			s.mu.Unlock()
			return sent, fmt.Errorf("deposit wallet %d: send: %w", c.Wallet.ID, err)
		}
		sent++
	}
	return sent, nil
}

// messages is what a deposit wallet sends to be swept: each jetton it holds
// (a transfer to the hot wallet, the excesses back to the hot wallet), then
// every coin left (mode 128). A jetton waits while the wallet has not the
// gas to move it. W5 refuses an external whose messages do not all carry
// the ignore-errors mode (exit code 137), so every one does.
func (s *Sweeper) messages(c store.SweepCandidate) ([]*wallet.Message, error) {
	native := c.Held[store.TON.Symbol]
	var msgs []*wallet.Message
	for asset, amt := range c.Held {
		if asset == store.TON.Symbol || amt <= 0 {
			continue
		}
		jw, ok := c.Wallet.Jettons[asset]
		if !ok || native < s.cfg.JettonGas*store.Amount(len(msgs)+1)+s.cfg.JettonGas/2 {
			continue
		}
		to, err := address.ParseRawAddr(jw)
		if err != nil {
			return nil, err
		}
		body := cell.BeginCell().MustStoreUInt(opTransfer, 32).MustStoreUInt(uint64(sweepQueryBit|c.Wallet.ID), 64).
			MustStoreBigCoins(big.NewInt(int64(amt))).MustStoreAddr(s.cfg.Hot).MustStoreAddr(s.cfg.Hot).
			MustStoreBoolBit(false).MustStoreBigCoins(big.NewInt(0)).MustStoreBoolBit(false).EndCell()
		msgs = append(msgs, &wallet.Message{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: true, DstAddr: to.Bounce(true), Amount: tlb.FromNanoTON(big.NewInt(int64(s.cfg.JettonGas))), Body: body}})
	}
	if len(msgs) == 0 && native < s.cfg.Min {
		return nil, nil
	}
	if native > 0 {
		msgs = append(msgs, &wallet.Message{Mode: wallet.CarryAllRemainingBalance + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: false, DstAddr: s.cfg.Hot.Bounce(false), Amount: tlb.ZeroCoins, Body: CommentCell("sweep")}})
	}
	return msgs, nil
}
