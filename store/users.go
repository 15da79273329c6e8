package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User is a Telegram user of the service.
type User struct {
	ID           int64
	Username     string
	FirstName    string
	LanguageCode string
	Comment      string // permanent personal deposit comment
	BotBlocked   bool
	Blocked      bool // an administrator blocked the user (UserRow has when and why)
	CreatedAt    time.Time
}

// commentAlphabet has no look-alikes (no 0/O, 1/I/L), so a person can type a
// comment from a screen without guessing.
const commentAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// CommentLen is the length of generated deposit comments.
const CommentLen = 8

func newComment() string {
	b := make([]byte, CommentLen)
	r := make([]byte, CommentLen)
	for i := 0; i < CommentLen; {
		if _, err := rand.Read(r); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		for _, c := range r {
			// Rejection sampling keeps every letter equally likely.
			if int(c) < 256-256%len(commentAlphabet) && i < CommentLen {
				b[i] = commentAlphabet[int(c)%len(commentAlphabet)]
				i++
			}
		}
	}
	return string(b)
}

// NormalizeComment is how a typed comment is compared: trimmed and
// upper-cased, since people type comments in any case.
func NormalizeComment(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// uniqueComment draws comments until one is used by no user and no invoice.
func (tx *Tx) uniqueComment(ctx context.Context) (string, error) {
	for range 16 {
		c := newComment()
		var n int
		err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users WHERE comment = ?1) + (SELECT count(*) FROM invoices WHERE comment = ?1)`, c).Scan(&n)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return c, nil
		}
	}
	return "", errors.New("could not draw a unique comment")
}

// UpsertUser creates the user on first sight (with a personal comment) or
// refreshes their profile, and returns the stored user.
func (db *DB) UpsertUser(ctx context.Context, u User) (User, error) {
	if u.ID <= 0 {
		return User{}, fmt.Errorf("%w: user id %d", ErrInvalid, u.ID)
	}
	err := db.write(ctx, func(tx *Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, u.ID).Scan(&exists); err != nil {
			return err
		}
		now := ms(tx.now)
		if exists == 0 {
			c, err := tx.uniqueComment(ctx)
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO users(id, username, first_name, language_code, comment, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, u.ID, u.Username, u.FirstName, u.LanguageCode, c, now, now)
			return err
		}
		// A user who talks to us again has unblocked the bot.
		_, err := tx.ExecContext(ctx, `UPDATE users SET username = ?, first_name = ?, language_code = ?, bot_blocked = 0, updated_at = ?
			WHERE id = ? AND (username <> ? OR first_name <> ? OR language_code <> ? OR bot_blocked <> 0)`,
			u.Username, u.FirstName, u.LanguageCode, now, u.ID, u.Username, u.FirstName, u.LanguageCode)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return db.User(ctx, u.ID)
}

const userCols = `id, username, first_name, language_code, comment, bot_blocked, created_at, blocked_at IS NOT NULL`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var blocked int
	var created int64
	err := row.Scan(&u.ID, &u.Username, &u.FirstName, &u.LanguageCode, &u.Comment, &blocked, &created, &u.Blocked)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	u.BotBlocked, u.CreatedAt = blocked == 1, fromMS(created)
	return u, err
}

// User returns a user by Telegram id.
func (db *DB) User(ctx context.Context, id int64) (User, error) {
	return scanUser(db.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
}

// UserLabel names a user for admins: "@ann (42)", "Ann (42)", or "42" when
// the user is unknown.
func (db *DB) UserLabel(ctx context.Context, id int64) string {
	s := strconv.FormatInt(id, 10)
	u, err := db.User(ctx, id)
	switch {
	case err != nil:
		return s
	case u.Username != "":
		return "@" + u.Username + " (" + s + ")"
	case u.FirstName != "":
		return u.FirstName + " (" + s + ")"
	}
	return s
}

// UserByComment returns the user whose personal comment is c (normalized).
func (db *DB) UserByComment(ctx context.Context, c string) (User, error) {
	return scanUser(db.r.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE comment = ?`, NormalizeComment(c)))
}

// SetBotBlocked marks whether the user blocked the bot; notices to a blocked
// user are not retried.
func (db *DB) SetBotBlocked(ctx context.Context, userID int64, blocked bool) error {
	return db.write(ctx, func(tx *Tx) error {
		v := 0
		if blocked {
			v = 1
		}
		_, err := tx.ExecContext(ctx, `UPDATE users SET bot_blocked = ?, updated_at = ? WHERE id = ?`, v, ms(tx.now), userID)
		return err
	})
}

// CountUsers is the number of registered users.
func (db *DB) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// Wallet is the TON wallet a user proved to own.
type Wallet struct {
	UserID    int64
	Address   string // raw form 0:hex
	PublicKey string // hex
	LinkedAt  time.Time
}

// LinkWallet links (or replaces) the user's wallet, consuming the ton_proof
// nonce in the same transaction: a nonce used before returns ErrDuplicate and
// links nothing.
func (db *DB) LinkWallet(ctx context.Context, w Wallet, nonce string, nonceExpires time.Time) error {
	return db.write(ctx, func(tx *Tx) error {
		if err := tx.useNonce(ctx, nonce, nonceExpires); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO wallets(user_id, address, public_key, linked_at) VALUES (?, ?, ?, ?)
			ON CONFLICT(user_id) DO UPDATE SET address = excluded.address, public_key = excluded.public_key, linked_at = excluded.linked_at`,
			w.UserID, w.Address, w.PublicKey, ms(tx.now))
		if isConstraint(err, 0) {
			return fmt.Errorf("%w: user %d", ErrNotFound, w.UserID)
		}
		return err
	})
}

// UnlinkWallet removes the user's wallet link; ErrNotFound when none.
func (db *DB) UnlinkWallet(ctx context.Context, userID int64) error {
	return db.write(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM wallets WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// WalletOf returns the user's linked wallet or ErrNotFound.
func (db *DB) WalletOf(ctx context.Context, userID int64) (Wallet, error) {
	var w Wallet
	var at int64
	st, err := db.read(ctx, `SELECT user_id, address, public_key, linked_at FROM wallets WHERE user_id = ?`)
	if err != nil {
		return Wallet{}, err
	}
	err = st.QueryRowContext(ctx, userID).Scan(&w.UserID, &w.Address, &w.PublicKey, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Wallet{}, ErrNotFound
	}
	w.LinkedAt = fromMS(at)
	return w, err
}

// UseNonce records a ton_proof payload nonce as used; ErrDuplicate if it was.
func (db *DB) UseNonce(ctx context.Context, nonce string, expires time.Time) error {
	return db.write(ctx, func(tx *Tx) error { return tx.useNonce(ctx, nonce, expires) })
}

func (tx *Tx) useNonce(ctx context.Context, nonce string, expires time.Time) error {
	if nonce == "" {
		return fmt.Errorf("%w: empty nonce", ErrInvalid)
	}
	// Expired nonces can go: their payloads fail the expiry check anyway.
	if _, err := tx.ExecContext(ctx, `DELETE FROM proof_nonces WHERE expires_at < ?`, ms(tx.now)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO proof_nonces(nonce, expires_at, used_at) VALUES (?, ?, ?)`, nonce, ms(expires), ms(tx.now))
	if isConstraint(err, 0) {
		return fmt.Errorf("%w: proof payload already used", ErrDuplicate)
	}
	return err
}
