package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tonpay/tonpay/cmd/tonpay/doctor"
	"github.com/tonpay/tonpay/ton"
)

// dialInBackground connects to the liteservers of the configuration as
// dial does, without waiting: serve starts its HTTP server and bot at once,
// and everything that needs the chain waits for it (ton.ErrConnecting).
// Every attempt is logged; once one lite-server is up, failures of the
// others only at debug level.
func dialInBackground(ctx context.Context, cfg *Config, log *slog.Logger) (*ton.Client, error) {
	log = log.With("component", "chain")
	c, err := ton.DialInBackground(ton.ClientConfig{
		Testnet:     cfg.Testnet,
		ConfigPath:  cfg.TONConfig,
		LiteServers: cfg.LiteServers,
		RPS:         cfg.RPS,
		ProofCheck:  cfg.ProofCheck,
	}, func(a ton.DialAttempt) {
		switch {
		case a.Err == nil:
			log.Info("lite-server connected", "addr", a.Addr, "attempt", a.Attempt)
		case a.Up:
			log.Debug("lite-server unreachable; retrying", "addr", a.Addr, "attempt", a.Attempt, "in", a.Retry, "err", a.Err)
		default:
			log.Warn("lite-server unreachable; retrying", "addr", a.Addr, "attempt", a.Attempt, "in", a.Retry, "err", a.Err)
		}
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// clockWatch compares this machine's clock with the chain's once connected
// and then every half hour: more than doctor.ClockWarn off is a warning in the log
// and on /healthz (a Highload v3 external dated ahead of the chain is
// refused; ton_proof and initData ages are judged by this clock). It is a
// warning, not a failure: /healthz keeps its status.
type clockWatch struct {
	chain *ton.Client
	log   *slog.Logger

	mu      sync.Mutex
	warning string
}

func newClockWatch(chain *ton.Client, log *slog.Logger) *clockWatch {
	return &clockWatch{chain: chain, log: log}
}

// Warnings is the clock's warning for /healthz, if any.
func (w *clockWatch) Warnings() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.warning == "" {
		return nil
	}
	return []string{w.warning}
}

// Run checks the clock until ctx ends.
func (w *clockWatch) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-w.chain.Ready():
	}
	for {
		qctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		p, err := doctor.ChainClock(qctx, w.chain.API)
		cancel()
		if err == nil {
			w.judge(p)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(30 * time.Minute):
		}
	}
}

func (w *clockWatch) judge(p doctor.ClockProbe) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case p.Skew.Abs() > doctor.ClockWarn:
		w.log.Warn("this machine's clock is off the chain's", "off", p.Skew, "block", p.Block,
			"fix", "sync the clock: timedatectl set-ntp true")
		side := "behind"
		if p.Skew < 0 {
			side = "ahead of"
		}
		w.warning = fmt.Sprintf("clock: this machine's clock is %s %s the chain's (block %d); sync it: timedatectl set-ntp true",
			p.Skew.Abs(), side, p.Block)
	case w.warning != "":
		w.log.Info("this machine's clock agrees with the chain's again", "off", p.Skew)
		w.warning = ""
	}
}
