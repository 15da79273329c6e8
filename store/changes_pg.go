package store

// Changes between nodes. On SQLite one process writes and its subscribers
// (event streams, the notifier) hear every commit in memory. On PostgreSQL
// several nodes write: each write's changes also go out with pg_notify in
// its own transaction (PostgreSQL delivers them only if it commits, in
// commit order), and every node listens on the database's channel and
// hands the changes other nodes made to its own subscribers. A page
// connected to any node hears a deposit the leader booked. What is sent
// while a node's listening connection is down never reaches it: once it
// listens again it tells its subscribers to re-read (ChangeResync). Since
// a stream's events are the state as it stands, not a log, re-reading is
// a complete replay: each open stream ends with "resync" and the page
// reads its balances, invoices and withdrawals afresh; the notifier looks
// at its outbox.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	mrand "math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifyLimit keeps each pg_notify payload under PostgreSQL's 8000 bytes.
const notifyLimit = 7000

type nodeChanges struct {
	Node    string   `json:"n"`
	Changes []Change `json:"c"`
}

// notifyChanges sends tx's changes to the other nodes, in tx.
func (tx *Tx) notifyChanges(ctx context.Context) error {
	if !tx.db.pg || len(tx.changes) == 0 || tx.db.channel == "" {
		return nil
	}
	rest := tx.changes
	for len(rest) > 0 {
		n := len(rest)
		var payload []byte
		for {
			b, err := json.Marshal(nodeChanges{Node: tx.db.node, Changes: rest[:n]})
			if err != nil {
				return err
			}
			if len(b) <= notifyLimit || n == 1 {
				payload = b
				break
			}
			n /= 2
		}
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, tx.db.channel, string(payload)); err != nil {
			return err
		}
		rest = rest[n:]
	}
	return nil
}

// startListening names this node and the database's channel and listens
// on it until Close (PostgreSQL only).
func (db *DB) startListening(ctx context.Context, dsn string) error {
	var where string
	if err := db.w.QueryRowContext(ctx, `SELECT current_database() || '.' || current_schema()`).Scan(&where); err != nil {
		return err
	}
	h := sha256.Sum256([]byte(where))
	db.channel = "tonpay_changes_" + hex.EncodeToString(h[:8])
	b := make([]byte, 8)
	rand.Read(b)
	db.node = hex.EncodeToString(b)
	lctx, cancel := context.WithCancel(context.Background())
	db.stopListening = cancel
	ready := make(chan struct{})
	go db.listen(lctx, dsn, ready)
	select { // the first LISTEN is in place before Open returns
	case <-ready:
	case <-time.After(5 * time.Second):
	}
	return nil
}

// How the listener retries: the first attempt after losing a connection
// that held at least listenStable at once (a network blip, a restarted
// backend), then waits doubling from
// listenBackoffMin up to listenBackoffMax, each with jitter, so that a
// database that is down is not hammered by every node in step.
const (
	listenBackoffMin = 250 * time.Millisecond
	listenBackoffMax = 15 * time.Second
	listenStable     = time.Minute // a connection held this long resets the waits
	// listenIdleCheck: a listening connection quiet this long is pinged,
	// so one that died without a word (a peer gone, a NAT that forgot
	// it) is noticed and replaced.
	listenIdleCheck = 30 * time.Second
)

// listen hands other nodes' changes to this node's subscribers. When its
// connection fails it connects again, backing off; once it is listening
// again it tells every subscriber to re-read (ChangeResync), since what
// was notified meanwhile never reached it. An outage is logged once when
// it begins and once when it ends, not at every attempt.
func (db *DB) listen(ctx context.Context, dsn string, ready chan struct{}) {
	var (
		once      bool
		downSince time.Time // zero while listening (and before the first attempt)
		attempts  int       // failed attempts in this outage
		wait      time.Duration
	)
	for ctx.Err() == nil {
		conn, err := db.listenOn(ctx, dsn)
		if err == nil {
			if !once {
				once = true
				close(ready)
			}
			if !downSince.IsZero() {
				// Whatever committed before the LISTEN took effect is
				// readable now; what was notified before it is lost.
				db.log.Info("listening to the other nodes again; event streams re-read",
					"down", time.Since(downSince).Round(time.Millisecond), "attempts", attempts+1)
				db.gen.Add(1)
				db.publish([]Change{{Kind: ChangeResync}})
			}
			downSince, attempts = time.Time{}, 0
			listened := time.Now()
			err = db.receive(ctx, conn)
			conn.Close(context.Background())
			if ctx.Err() != nil {
				return
			}
			downSince = time.Now()
			db.log.Warn("lost the connection the other nodes' changes arrive on; reconnecting", "err", err)
			if time.Since(listened) >= listenStable {
				// At once: most losses are a backend that ended. A
				// connection that keeps failing soon after it is made
				// waits as a refused one does, so that a flapping
				// database does not end every event stream each time.
				wait = 0
				continue
			}
		} else {
			if ctx.Err() != nil {
				return
			}
			if downSince.IsZero() {
				downSince = time.Now()
				db.log.Warn("cannot listen to the other nodes' changes; retrying", "err", err)
			}
			attempts++
		}
		wait = min(max(2*wait, listenBackoffMin), listenBackoffMax)
		jittered := wait/2 + time.Duration(mrand.Int64N(int64(wait/2)+1))
		select {
		case <-ctx.Done():
		case <-time.After(jittered):
		}
	}
}

// listenOn connects and listens on the database's channel. The
// connection's application_name is the URL's with " listener" after it
// ("tonpay listener" without one), so pg_stat_activity tells it apart.
func (db *DB) listenOn(ctx context.Context, dsn string) (*pgx.Conn, error) {
	if err := db.fail("listen"); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	name := cfg.RuntimeParams["application_name"]
	if name == "" {
		name = "tonpay"
	}
	cfg.RuntimeParams["application_name"] = name + " listener"
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{db.channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// receive publishes the changes other nodes notify on conn until it fails
// or ctx ends.
func (db *DB) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		idle := listenIdleCheck
		if db.listenIdle > 0 {
			idle = db.listenIdle
		}
		wctx, cancel := context.WithTimeout(ctx, idle)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			// Quiet for a while: make sure the connection is still there.
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
			continue
		}
		var nc nodeChanges
		if json.Unmarshal([]byte(n.Payload), &nc) != nil || nc.Node == db.node {
			continue
		}
		db.gen.Add(1)
		db.publish(nc.Changes)
	}
}
