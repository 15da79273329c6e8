package store

// Change tells listeners that something a user or merchant can see was
// committed. It carries ids only: listeners read the current state.
type Change struct {
	Kind       ChangeKind
	UserID     int64
	MerchantID int64
	ID         string // invoice or withdrawal id
}

// Subscribe registers fn to be called after each commit with what changed.
// fn runs on the committing goroutine and must not block: hand off to a
// channel. The returned function unsubscribes.
func (db *DB) Subscribe(fn func(Change)) (unsubscribe func()) {
	db.mu.Lock()
	defer db.mu.Unlock()
	id := db.nextL
	db.nextL++
	db.listeners[id] = fn
	return func() {
		db.mu.Lock()
		defer db.mu.Unlock()
		delete(db.listeners, id)
	}
}

func (db *DB) publish(changes []Change) {
	if len(changes) == 0 {
		return
	}
	db.mu.Lock()
	fns := make([]func(Change), 0, len(db.listeners))
	for _, fn := range db.listeners {
		fns = append(fns, fn)
	}
	db.mu.Unlock()
	for _, c := range changes {
		for _, fn := range fns {
			fn(c)
		}
	}
}

// changed records a change to publish when tx commits.
func (tx *Tx) changed(c Change) { tx.changes = append(tx.changes, c) }
