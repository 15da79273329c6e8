package store

// Users as admins see them: search, block and unblock.

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// UserRow is a user with what an admin sees of them.
type UserRow struct {
	User
	BlockedAt     time.Time // zero unless an admin blocked them
	BlockedReason string
}

const userRowCols = userCols + `, coalesce(blocked_at, 0), blocked_reason`

func scanUserRow(row interface{ Scan(...any) error }) (UserRow, error) {
	var u UserRow
	var blocked, created, blockedAt int64
	err := row.Scan(&u.ID, &u.Username, &u.FirstName, &u.LanguageCode, &u.Comment, &blocked, &created, &u.Blocked, &blockedAt, &u.BlockedReason)
	if errors.Is(err, sql.ErrNoRows) {
		return UserRow{}, ErrNotFound
	}
	u.BotBlocked, u.CreatedAt = blocked == 1, fromMS(created)
	if blockedAt != 0 {
		u.BlockedAt = fromMS(blockedAt)
	}
	return u, err
}

// UserRow returns one user with their block state.
func (db *DB) UserRow(ctx context.Context, id int64) (UserRow, error) {
	return scanUserRow(db.r.QueryRowContext(ctx, `SELECT `+userRowCols+` FROM users WHERE id = ?`, id))
}

// SearchUsers finds users by id, @username or name prefix (case-insensitive), at most limit.
func (db *DB) SearchUsers(ctx context.Context, q string, limit int) ([]UserRow, error) {
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	q = strings.TrimSpace(q)
	id, _ := strconv.ParseInt(q, 10, 64)
	name := strings.TrimPrefix(q, "@")
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(name) + "%"
	if name == "" {
		like = "%"
	}
	rows, err := db.r.QueryContext(ctx, `SELECT `+userRowCols+` FROM users
		WHERE id = ? OR username LIKE ? ESCAPE '\' OR first_name LIKE ? ESCAPE '\'
		ORDER BY id = ? DESC, lower(username) = lower(?) DESC, id LIMIT ?`, id, like, like, id, name, limit)
	return scanRows(rows, err, scanUserRow)
}

// BlockUser stops a user from using the Mini App and from withdrawing (a
// deposit is still credited); audited. Blocking a blocked user again only
// updates the reason.
func (db *DB) BlockUser(ctx context.Context, by Actor, userID int64, reason string) (UserRow, error) {
	return db.setBlocked(ctx, by, userID, true, reason)
}

// UnblockUser lifts an admin's block; audited.
func (db *DB) UnblockUser(ctx context.Context, by Actor, userID int64) (UserRow, error) {
	return db.setBlocked(ctx, by, userID, false, "")
}

func (db *DB) setBlocked(ctx context.Context, by Actor, userID int64, block bool, reason string) (UserRow, error) {
	var u UserRow
	err := db.write(ctx, func(tx *Tx) error {
		before, err := scanUserRow(tx.QueryRowContext(ctx, `SELECT `+userRowCols+` FROM users WHERE id = ?`, userID))
		if err != nil {
			return err
		}
		state := func(b bool, why string) string {
			if !b {
				return "active"
			}
			return "blocked: " + why
		}
		var at sql.NullInt64
		action := AuditUnblock
		if block {
			at, action = sql.NullInt64{Int64: ms(tx.now), Valid: true}, AuditBlock
			if before.Blocked {
				at.Int64 = ms(before.BlockedAt)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET blocked_at = ?, blocked_reason = ?, updated_at = ? WHERE id = ?`,
			at, reason, ms(tx.now), userID); err != nil {
			return err
		}
		if before.Blocked != block || before.BlockedReason != reason {
			if err := tx.audit(ctx, by, 0, action, "user "+strconv.FormatInt(userID, 10),
				state(before.Blocked, before.BlockedReason), state(block, reason)); err != nil {
				return err
			}
		}
		u, err = scanUserRow(tx.QueryRowContext(ctx, `SELECT `+userRowCols+` FROM users WHERE id = ?`, userID))
		tx.changed(Change{Kind: ChangeUser, UserID: userID})
		return err
	})
	return u, err
}
