package miniapp

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
)

// userKey is where the auth middleware leaves the authenticated user.
const userKey = "tonpay.user"

// maxInitData bounds the header we parse: real initData is under 1 KB.
const maxInitData = 8 << 10

// authCache remembers initData strings that validated, with the user they
// named, until they expire. Validation is cheap, but the user upsert is a
// write: a page sends the same initData on every call, so only its first call
// writes. The key is the exact raw string, so only data that was validated
// under our token is ever found.
type authCache struct {
	mu      sync.RWMutex
	entries map[string]authEntry
	max     int
	// gens counts each user's forgets: a user read before a forget is not
	// cached after it (an admin's block that commits between the read and
	// the put would otherwise be missed for the life of the initData).
	gens map[int64]uint64
	all  uint64 // forgetAll's count, part of every user's generation
}

type authEntry struct {
	user    store.User
	expires time.Time
}

func newAuthCache(max int) *authCache {
	return &authCache{entries: make(map[string]authEntry), max: max, gens: map[int64]uint64{}}
}

func (a *authCache) get(raw string, now time.Time) (store.User, bool) {
	a.mu.RLock()
	e, ok := a.entries[raw]
	a.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return store.User{}, false
	}
	return e.user, true
}

// gen is the user's generation, to pass to put after reading the user.
func (a *authCache) gen(userID int64) uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.gens[userID] + a.all // both only grow: any forget changes the sum
}

// put caches a user read at generation gen, unless they were forgotten since.
func (a *authCache) put(raw string, u store.User, gen uint64, expires time.Time, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gens[u.ID]+a.all != gen {
		return
	}
	if len(a.entries) >= a.max {
		for k, e := range a.entries {
			if !now.Before(e.expires) {
				delete(a.entries, k)
			}
		}
		// Still full: forget an arbitrary half (map order is random); those
		// users are validated again on their next call.
		for k := range a.entries {
			if len(a.entries) < a.max/2 {
				break
			}
			delete(a.entries, k)
		}
	}
	a.entries[raw] = authEntry{user: u, expires: expires}
}

// forgetUser drops a user's cached entries (their stored profile changed).
func (a *authCache) update(userID int64, fn func(*store.User)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, e := range a.entries {
		if e.user.ID == userID {
			fn(&e.user)
			a.entries[k] = e
		}
	}
}

// forget drops a user's cached entries (an admin changed their standing).
func (a *authCache) forget(userID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.gens[userID]++
	for k, e := range a.entries {
		if e.user.ID == userID {
			delete(a.entries, k)
		}
	}
}

// forgetAll drops every cached entry (changes to users may have gone
// unheard).
func (a *authCache) forgetAll() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.all++
	clear(a.entries)
}

func unauthorized(msg string) *httpapi.Error {
	return httpapi.Err(http.StatusUnauthorized, httpapi.CodeUnauthorized, msg)
}

// authenticate is the middleware of every /api/* route: the Authorization
// header must be "tma <raw initData>" signed with our bot token and not older
// than InitDataTTL. The user it names is created or refreshed. Nothing is
// written for a request that fails.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, raw, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "tma") || raw == "" {
			return unauthorized("missing Telegram authorization: open the app from the bot")
		}
		raw = strings.TrimSpace(raw)
		if len(raw) > maxInitData {
			return unauthorized("invalid Telegram authorization")
		}
		now := time.Now()
		if u, ok := s.auth.get(raw, now); ok {
			c.Set(userKey, u)
			return s.unlessBlocked(c, u, false, next)
		}
		if err := initdata.Validate(raw, s.cfg.BotToken, s.cfg.InitDataTTL); err != nil {
			if errors.Is(err, initdata.ErrExpired) {
				return unauthorized("your session has expired: reopen the app from the bot")
			}
			return unauthorized("invalid Telegram authorization: reopen the app from the bot")
		}
		data, err := initdata.Parse(raw)
		if err != nil || data.User.ID <= 0 {
			return unauthorized("invalid Telegram authorization: no user")
		}
		// Validate checked the age against time.Now; the cache keeps the
		// entry no longer than the data stays valid.
		expires := data.AuthDate().Add(s.cfg.InitDataTTL)
		if f := now.Add(s.cfg.InitDataTTL); expires.After(f) {
			expires = f // an auth_date in the future is not trusted beyond one TTL
		}
		gen := s.auth.gen(data.User.ID)
		u, err := s.db.UpsertUser(c.Request().Context(), store.User{
			ID:           data.User.ID,
			Username:     data.User.Username,
			FirstName:    data.User.FirstName,
			LanguageCode: data.User.LanguageCode,
		})
		if err != nil {
			return err
		}
		s.auth.put(raw, u, gen, expires, now)
		c.Set(userKey, u)
		return s.unlessBlocked(c, u, true, next)
	}
}

// Hot reads: the routes a page calls on every open and while it waits.
// Their handlers read the user's standing in their one statement and
// refuse a blocked user themselves (refuseBlocked), so authenticating them
// costs no read of the database.
var hotReads = map[string]bool{
	"/api/me":           true,
	"/api/history":      true,
	"/api/deposits/:id": true,
	"/api/invoices/:id": true,
}

// readsStanding reports whether the request's handler reads the user's
// standing itself (a hot read).
func readsStanding(c echo.Context) bool {
	return c.Request().Method == http.MethodGet && hotReads[c.Path()]
}

// unlessBlocked refuses every call of a user an administrator blocked but
// GET /api/me, which tells the page so. A hot read refuses in its handler.
// Otherwise the cached standing (fresh: just read with the user) is
// trusted on SQLite, where the one process hears every block as it
// commits (authCache.forget); on PostgreSQL another node may have blocked
// the user, and the notice may come late or not at all, so it is read.
func (s *Server) unlessBlocked(c echo.Context, u store.User, fresh bool, next echo.HandlerFunc) error {
	if readsStanding(c) {
		return next(c)
	}
	blocked := u.Blocked
	if !fresh && s.db.Engine() != store.SQLite {
		b, err := s.db.UserBlocked(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		blocked = b
	}
	if blocked {
		return errBlocked()
	}
	return next(c)
}

func errBlocked() error {
	return httpapi.Err(http.StatusForbidden, httpapi.CodeBlocked, "this account was blocked by an administrator")
}

// standingOr is the user's standing read on its own, for a hot read whose
// statement found nothing and so read no standing; err is returned as it is
// when the read succeeds (a blocked user is refused before it matters).
func (s *Server) standingOr(ctx context.Context, userID int64, err error) (bool, error) {
	b, rerr := s.db.UserBlocked(ctx, userID)
	if rerr != nil {
		return false, rerr
	}
	return b, err
}

// refuseBlocked is a hot read's refusal of a blocked user (the standing its
// statement read).
func refuseBlocked(blocked bool) error {
	if blocked {
		return errBlocked()
	}
	return nil
}

// UserOf is the authenticated user of a request under Authed.
func UserOf(c echo.Context) store.User { return user(c) }

// ActorOf is the authenticated user acting in a role, as the audit log
// names them (@username, else first name).
func ActorOf(c echo.Context, role string) store.Actor {
	u := user(c)
	name := u.FirstName
	if u.Username != "" {
		name = "@" + u.Username
	}
	return store.Actor{ID: u.ID, Label: name, Role: role}
}

// user is the authenticated user of the request.
func user(c echo.Context) store.User {
	u, _ := c.Get(userKey).(store.User)
	return u
}
