package store

// Changes between nodes. On SQLite one process writes and its subscribers
// (event streams, the notifier) hear every commit in memory. On PostgreSQL
// several nodes write: each write's changes also go out with pg_notify in
// its own transaction (PostgreSQL delivers them only if it commits, in
// commit order), and every node listens on the database's channel and
// hands the changes other nodes made to its own subscribers. A page
// connected to any node hears a deposit the leader booked. What is sent
// while a node's listening connection is down is not replayed: streams
// fall back on the page's polling, the notifier on its poll of the outbox.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// listen hands other nodes' changes to this node's subscribers,
// reconnecting after a failure.
func (db *DB) listen(ctx context.Context, dsn string, ready chan struct{}) {
	once := false
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+pgx.Identifier{db.channel}.Sanitize())
		}
		if err == nil {
			if !once {
				once = true
				close(ready)
			}
			for {
				n, err := conn.WaitForNotification(ctx)
				if err != nil {
					break
				}
				var nc nodeChanges
				if json.Unmarshal([]byte(n.Payload), &nc) != nil || nc.Node == db.node {
					continue
				}
				db.publish(nc.Changes)
			}
		}
		if conn != nil {
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
