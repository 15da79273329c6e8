package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/tl"
	tonapi "github.com/xssnick/tonutils-go/ton"

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

// clockProbe is what one getMasterchainInfoExt says about time.
type clockProbe struct {
	latency time.Duration
	block   uint32
	age     time.Duration // since the last block was made
	skew    time.Duration // the lite-server's clock minus ours
}

// chainClock asks a lite-server for the last block and its clock.
func chainClock(ctx context.Context, api tonapi.APIClientWrapped) (clockProbe, error) {
	var p clockProbe
	var resp tl.Serializable
	start := time.Now()
	err := api.Client().QueryLiteserver(ctx, tonapi.GetMasterchainInfoExt{}, &resp)
	p.latency = time.Since(start)
	if err != nil {
		return p, err
	}
	info, ok := resp.(tonapi.MasterchainInfoExt)
	if !ok || info.Last == nil {
		return p, fmt.Errorf("unexpected answer %T", resp)
	}
	// Its clock at the middle of the round trip, against ours. It answers
	// in whole seconds: take the middle of its second.
	mid := start.Add(p.latency / 2)
	p.block = info.Last.SeqNo
	p.skew = time.Unix(int64(info.Now), 5e8).Sub(mid).Round(time.Second)
	p.age = time.Unix(int64(info.Now), 0).Sub(time.Unix(int64(info.LastUTime), 0))
	return p, nil
}

// clockWatch compares this machine's clock with the chain's once connected
// and then every half hour: more than clockWarn off is a warning in the log
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
		p, err := chainClock(qctx, w.chain.API)
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

func (w *clockWatch) judge(p clockProbe) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case p.skew.Abs() > clockWarn:
		w.log.Warn("this machine's clock is off the chain's", "off", p.skew, "block", p.block,
			"fix", "sync the clock: timedatectl set-ntp true")
		side := "behind"
		if p.skew < 0 {
			side = "ahead of"
		}
		w.warning = fmt.Sprintf("clock: this machine's clock is %s %s the chain's (block %d); sync it: timedatectl set-ntp true",
			p.skew.Abs(), side, p.block)
	case w.warning != "":
		w.log.Info("this machine's clock agrees with the chain's again", "off", p.skew)
		w.warning = ""
	}
}
