package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tonpay/tonpay/store"
)

// leaseTTL is how long the leader's lease lasts without renewal: another
// node takes over within it after the leader dies or freezes.
const leaseTTL = 15 * time.Second

// leadership runs the chain's work (the follower, the payer, the sweeper,
// the webhook deliveries) only while this node holds the leader's lease,
// under a context that fences every write of that work with the lease
// (store.WithLease): a node paused past its lease can neither book nor
// send. Every node serves the APIs and the bot's webhook; one leads (and
// long-polls the bot's updates when there is no webhook).
type leadership struct {
	db    *store.DB
	node  string
	ttl   time.Duration
	parts []named
	log   *slog.Logger

	mu      sync.Mutex
	leading bool
	leader  string
}

func newLeadership(db *store.DB, node string, parts []named, log *slog.Logger) *leadership {
	if node == "" {
		host, _ := os.Hostname()
		node = host + "-" + strconv.Itoa(os.Getpid())
	}
	// Two runs never share a name, even in one process: the lease tells
	// them apart.
	var b [3]byte
	rand.Read(b[:])
	node += "-" + hex.EncodeToString(b[:])
	return &leadership{db: db, node: node, ttl: leaseTTL, parts: parts, log: log}
}

// Status is this node's name, the leader's, and whether this node leads.
func (l *leadership) Status() (node, leader string, leading bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.node, l.leader, l.leading
}

func (l *leadership) set(leading bool, leader string) {
	l.mu.Lock()
	changed := l.leading != leading
	l.leading, l.leader = leading, leader
	l.mu.Unlock()
	if changed && leading {
		l.log.Info("this node leads: following the chain, paying, sweeping, delivering webhooks", "node", l.node)
	} else if changed {
		l.log.Info("this node no longer leads", "node", l.node, "leader", leader)
	}
}

// Run acquires the lease, runs the parts for as long as it is renewed, and
// tries again; it returns when ctx ends (releasing a lease it holds) or a
// part fails for another reason than the lease.
func (l *leadership) Run(ctx context.Context) error {
	every := l.ttl / 3
	for ctx.Err() == nil {
		lease, ok, err := l.db.AcquireLease(ctx, l.node, l.ttl)
		if err != nil && ctx.Err() == nil {
			l.log.Warn("leader's lease: database", "err", err)
		}
		if err != nil || !ok {
			l.set(false, lease.Holder)
			select {
			case <-ctx.Done():
			case <-time.After(every):
			}
			continue
		}
		l.set(true, l.node)
		if err := l.term(ctx, lease, every); err != nil {
			return err
		}
	}
	return nil
}

// term runs the parts under lease until it is lost or ctx ends.
func (l *leadership) term(ctx context.Context, lease store.Lease, every time.Duration) error {
	tctx, cancel := context.WithCancel(store.WithLease(ctx, lease))
	defer cancel()
	g, gctx := errgroup.WithContext(tctx)
	for _, p := range l.parts {
		g.Go(func() error {
			err := p.Run(gctx)
			if err != nil && gctx.Err() == nil && !errors.Is(err, store.ErrFenced) {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			return nil
		})
	}
	renewed := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	lost := false
loop:
	for {
		select {
		case <-gctx.Done():
			break loop
		case <-tick.C:
			next, ok, err := l.db.AcquireLease(ctx, l.node, l.ttl)
			switch {
			case err == nil && ok && next.Epoch == lease.Epoch:
				renewed = time.Now()
			case err != nil && time.Since(renewed) < l.ttl-every:
				l.log.Warn("leader's lease not renewed; still within it", "err", err)
			default:
				// Taken by another node, or not renewed in time: step
				// down before it can be taken (the fence refuses anyway).
				lost = true
				l.set(false, next.Holder)
				break loop
			}
		}
	}
	cancel()
	err := g.Wait()
	if ctx.Err() != nil {
		// Shutting down: let another node take over at once.
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer rcancel()
		if rerr := l.db.ReleaseLease(rctx, lease); rerr != nil {
			l.log.Warn("leader's lease not released", "err", rerr)
		}
		l.set(false, "")
		return nil
	}
	if lost {
		return nil
	}
	return err
}
