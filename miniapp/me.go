package miniapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

type userJSON struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	Username  string `json:"username"`
}

type depositInfoJSON struct {
	Address string `json:"address"`
	Comment string `json:"comment"`
	Link    string `json:"link"`
}

type meJSON struct {
	User     userJSON        `json:"user"`
	Wallet   *walletJSON     `json:"wallet"`
	Network  string          `json:"network"`
	Assets   []assetJSON     `json:"assets"`
	Balances []balanceJSON   `json:"balances"`
	Deposit  depositInfoJSON `json:"deposit"`
	// The user's own deposit address (non-bounceable form): whatever
	// arrives there is theirs, no comment needed. Absent when the service
	// hands out no deposit addresses.
	DepositAddress string `json:"deposit_address,omitempty"`
	// DepositLink is the ton://transfer link of the native coin to it;
	// DepositLinks the link of every on-chain asset, by symbol (a jetton's
	// names its master).
	DepositLink  string            `json:"deposit_link,omitempty"`
	DepositLinks map[string]string `json:"deposit_links,omitempty"`
	TWAReturnURL string            `json:"twa_return_url,omitempty"`
	Roles        rolesJSON         `json:"roles"`
	Blocked      bool              `json:"blocked"` // an administrator blocked the user: every other call is refused
}

// rolesJSON is what dashboards the user sees.
type rolesJSON struct {
	Admin     bool            `json:"admin"`
	Merchants []ownedMerchant `json:"merchants"`
}

type ownedMerchant struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// me is GET /api/me: the user, their wallet, balances and deposit details.
// One statement (store.DB.Me) reads the user's standing and comment, the
// linked wallet, the deposit address, the merchants they own and their
// balances; with the authentication's cache (auth.go) that is the call's
// only round trip to the database. Everything else is in memory. The first
// call of a user also derives and records their deposit address (a write).
//
// On SQLite a repeat call reads nothing: the answer is kept (meCache) and
// served again while the store's generation has not moved since the read
// that made it began (this process hears every commit of its own, and a
// block, a payment, a wallet linked or a merchant created is one) and for
// at most meCacheTTL, which bounds how long a write by another process on
// the same file (the command-line tool) can go unseen. On PostgreSQL other
// nodes' commits are heard late or not at all, so every call reads.
func (s *Server) me(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	cache := s.meCache
	if _, pretty := c.QueryParams()["pretty"]; pretty || s.echo.Debug {
		cache = nil // an indented answer: not the kept one
	}
	var gen uint64
	var made time.Time
	if cache != nil {
		// Both before the read: a write that commits during it moves the
		// generation past gen, and the answer is never older than made.
		gen = s.db.Generation()
		var body []byte
		if body, made = cache.get(u, gen); body != nil {
			return c.JSONBlob(http.StatusOK, body)
		}
	}
	v, err := s.db.Me(ctx, u.ID)
	if err != nil {
		return err
	}
	out := meJSON{
		User:         userJSON{ID: u.ID, FirstName: u.FirstName, Username: u.Username},
		Network:      s.network(),
		Assets:       s.assetList,
		TWAReturnURL: s.cfg.TWAReturnURL,
		Roles:        rolesJSON{Admin: s.IsAdmin(u.ID), Merchants: make([]ownedMerchant, 0, len(v.Merchants))},
		Blocked:      v.Blocked,
		Deposit: depositInfoJSON{
			Address: s.depositAddress(),
			Comment: v.Comment,
		},
	}
	if s.cfg.Hot != nil {
		out.Deposit.Link = ton.TransferLink(s.cfg.Hot, s.cfg.Testnet, 0, v.Comment)
	}
	for _, m := range v.Merchants {
		out.Roles.Merchants = append(out.Roles.Merchants, ownedMerchant{ID: m.ID, Name: m.Name})
	}
	if v.Wallet != nil {
		out.Wallet = s.walletJSON(v.Wallet.Address)
	}
	if v.Deposit == "" && s.db.DerivesDepositAddresses() {
		w, err := s.db.DepositWallet(ctx, store.UserOwner(u.ID))
		switch {
		case err == nil:
			v.Deposit = w.Address
		case !errors.Is(err, store.ErrNoDepositWallets):
			return err
		}
	}
	if v.Deposit != "" {
		if err := s.depositAddressJSON(&out, v.Deposit); err != nil {
			return err
		}
	}
	out.Balances = s.balancesOf(v.Balances)
	if cache == nil {
		return c.JSON(http.StatusOK, out)
	}
	// Encoded as c.JSON encodes it (a trailing newline included).
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(out); err != nil {
		return err
	}
	cache.put(u, meEntry{gen: gen, made: made, firstName: u.FirstName, username: u.Username, body: b.Bytes()})
	return c.JSONBlob(http.StatusOK, b.Bytes())
}

// meCacheTTL is how long a kept answer of GET /api/me may be served: the
// bound on how late a write by another process on the same SQLite file
// shows (this process hears only its own commits).
const meCacheTTL = time.Second

// meCacheMax bounds the answers kept. An answer is worth keeping for
// meCacheTTL only, so the ones that matter are those of the users who
// called in the last second: 4096 is more users a second than one SQLite
// node serves /api/me to, and at about 1 KB an answer (more with many
// assets) it is a few megabytes at most.
const meCacheMax = 4096

// meCache keeps GET /api/me's encoded answer per user (SQLite only, see
// me). What else an answer holds is the same for every call: the service's
// configuration (network, assets, hot wallet, return URL, administrators)
// and what the statement read. The per-request parts are the user's names,
// from the initData the request authenticated with (a user may hold two
// initData strings that differ in them): an answer is served only to a
// request with the same.
type meCache struct {
	mu      sync.Mutex
	entries map[int64]meEntry
	max     int
	ttl     time.Duration
	now     func() time.Time // time.Now; tests move it (under mu, as max)
}

type meEntry struct {
	gen                 uint64    // the store's generation before the read
	made                time.Time // when the read began
	firstName, username string    // the names it shows
	body                []byte
}

func newMeCache(max int, ttl time.Duration) *meCache {
	return &meCache{entries: make(map[int64]meEntry), max: max, ttl: ttl, now: time.Now}
}

// fresh reports whether e may still be served at generation gen and time now.
func (m *meCache) fresh(e meEntry, gen uint64, now time.Time) bool {
	age := now.Sub(e.made)
	return e.gen == gen && age >= 0 && age < m.ttl
}

// get is u's kept answer if it may be served at generation gen, else nil
// and the time now, when the read that replaces it begins.
func (m *meCache) get(u store.User, gen uint64) (body []byte, now time.Time) {
	m.mu.Lock()
	now = m.now()
	e, ok := m.entries[u.ID]
	m.mu.Unlock()
	if !ok || !m.fresh(e, gen, now) || e.firstName != u.FirstName || e.username != u.Username {
		return nil, now
	}
	return e.body, now
}

// put keeps u's answer. When full it first drops the answers that can no
// longer be served; if more than half remain, all of them (they are at
// most meCacheTTL old: each user's next call reads again).
func (m *meCache) put(u store.User, e meEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[u.ID]; !ok && len(m.entries) >= m.max {
		now := m.now()
		for id, old := range m.entries {
			if !m.fresh(old, e.gen, now) {
				delete(m.entries, id)
			}
		}
		if len(m.entries) > m.max/2 {
			clear(m.entries)
		}
	}
	m.entries[u.ID] = e
}

// size is how many answers are kept.
func (m *meCache) size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

func (s *Server) network() string {
	if s.cfg.Testnet {
		return "testnet"
	}
	return "mainnet"
}

// depositAddressJSON fills the user's deposit address (raw) and its links.
func (s *Server) depositAddressJSON(out *meJSON, raw string) error {
	addr, err := address.ParseRawAddr(raw)
	if err != nil {
		return fmt.Errorf("deposit address %q: %w", raw, err)
	}
	out.DepositAddress = ton.FormatAddress(addr, s.cfg.Testnet)
	out.DepositLink = ton.TransferLink(addr, s.cfg.Testnet, 0, "")
	out.DepositLinks = map[string]string{store.TON.Symbol: out.DepositLink}
	for _, a := range s.cfg.Assets {
		if a.Master != "" {
			master, err := ton.ParseAddress(a.Master, true)
			if err != nil {
				return fmt.Errorf("jetton master of %s: %w", a.Symbol, err)
			}
			out.DepositLinks[a.Symbol] = ton.JettonTransferLink(addr, master, s.cfg.Testnet, 0, "")
		}
	}
	return nil
}
