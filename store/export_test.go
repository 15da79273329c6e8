package store

import "time"

// WithListenIdleCheck makes a PostgreSQL store ping its listening
// connection after d of quiet instead of listenIdleCheck.
func WithListenIdleCheck(d time.Duration) Option { return func(db *DB) { db.listenIdle = d } }
