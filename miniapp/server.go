package miniapp

import (
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// Chain is what the API needs from the TON network: the address of an
// owner's jetton wallet (the jetton master's get_wallet_address).
type Chain interface {
	JettonWallet(ctx context.Context, master, owner *address.Address) (*address.Address, error)
}

// Health reports the chain follower's state for /healthz (ton.Follower).
type Health interface {
	Status() ton.ScanStatus
}

// Config is what the HTTP face needs from the service configuration. Zero
// values take the defaults named.
type Config struct {
	Addr string
	// PublicURL is the public base URL: the TON Connect manifest's url and
	// the only domain (host[:port]) accepted in ton_proof. Nil derives the
	// manifest from the request and accepts no wallet proofs.
	PublicURL *url.URL
	Name      string // app name in wallets (manifest); "tonpay"

	BotToken    string        // validates initData
	InitDataTTL time.Duration // max initData age; 24h

	Testnet bool
	Hot     *address.Address // the deposit address (hot wallet); nil disables deposits
	Assets  []store.Asset    // TON and the jettons (Master raw); [TON]
	// AssetRegistry is the asset registry (decimals and names of every
	// asset); built from Assets and the store when nil.
	AssetRegistry *store.Assets

	// Policy is the rule book: fees, minimums, approval, own addresses,
	// invoice lifetimes. The API asks it and renders its answer.
	Policy *store.Policy

	JettonAttach store.Amount // TON a user's wallet attaches to a jetton transfer it sends us; 0.05 TON

	ProofSecret []byte        // HMAC key of ton_proof payloads (>= 16 bytes); random when empty
	ProofTTL    time.Duration // payload lifetime; ton.DefaultProofTTL
	Keys        ton.PublicKeyFetcher

	Chain  Chain
	Health Health
	// Leader, when set, says which node leads (cmd's leadership): a node
	// that does not lead reports no follower of its own.
	Leader     func() (node, leader string, leading bool)
	MaxScanLag time.Duration // /healthz fails beyond it; 2m
	// Warnings are shown on /healthz without failing it (a clock off the
	// chain's); nil shows none.
	Warnings func() []string

	Registry *prometheus.Registry // /metrics; a new one when nil
	Static   fs.FS                // the built web app; nil serves none

	TWAReturnURL string // the Mini App's t.me link, for wallets to return to

	AdminIDs []int64 // Telegram users who see the admin dashboard (/api/admin/*)

	Limits         Limits
	TrustProxy     bool          // take the client IP from X-Forwarded-For set by a proxy on a private address
	RequestTimeout time.Duration // per request except event streams; 15s
	BodyLimit      int64         // bytes; 64 KiB
	PingInterval   time.Duration // event stream pings; 15s
	// WriteTimeout bounds writing a response, except event streams (each
	// of whose writes has its own): a client that stops reading cannot hold
	// a handler. 2 x RequestTimeout.
	WriteTimeout time.Duration
}

func (c *Config) defaults() {
	if c.Name == "" {
		c.Name = "tonpay"
	}
	if c.InitDataTTL <= 0 {
		c.InitDataTTL = 24 * time.Hour
	}
	if len(c.Assets) == 0 {
		c.Assets = []store.Asset{store.TON}
	}
	if c.JettonAttach <= 0 {
		c.JettonAttach = 50_000_000
	}
	if c.ProofTTL <= 0 {
		c.ProofTTL = ton.DefaultProofTTL
	}
	if c.MaxScanLag <= 0 {
		c.MaxScanLag = 2 * time.Minute
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 2 * c.RequestTimeout
	}
	if c.BodyLimit <= 0 {
		c.BodyLimit = 64 << 10
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 15 * time.Second
	}
	c.Limits = c.Limits.withDefaults()
}

// Routes whose handling differs from the rest.
const (
	routeEvents = "/api/events"
)

// Server is the HTTP server: Mini App API, manifest, health, metrics and
// the web app.
type Server struct {
	cfg  Config
	db   *store.DB
	log  *slog.Logger
	echo *echo.Echo

	auth      *authCache
	ipLimit   *httpapi.Limiter[string]
	userLimit *httpapi.Limiter[int64]
	metrics   *metrics
	registry  *prometheus.Registry
	hub       *hub
	proof     *ton.ProofIssuer
	stars     Stars // nil: no Stars routes (SetStars)

	proofDomains []string
	assetList    []assetJSON
	meCache      *meCache // GET /api/me's answers, on SQLite only (me.go); nil on PostgreSQL
	assets       *store.Assets
	jwallets     sync.Map // jwKey -> *address.Address
	mounted      sync.Map // route path -> true
	api          *echo.Group

	closing   chan struct{}
	listening chan struct{} // closed once Run's listener is bound
	closeOnce sync.Once

	hostOK atomic.Pointer[func(host string) bool] // RestrictHosts; nil: any Host
}

// New builds the server and its routes.
func New(cfg Config, db *store.DB, log *slog.Logger) *Server {
	cfg.defaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	secret := cfg.ProofSecret
	if len(secret) == 0 {
		// Payloads then do not outlive the process: a page that asked before
		// a restart asks again.
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	s := &Server{
		cfg:       cfg,
		db:        db,
		log:       log,
		echo:      e,
		auth:      newAuthCache(100_000),
		ipLimit:   httpapi.NewLimiter[string](cfg.Limits.IPPerSecond, cfg.Limits.IPBurst),
		userLimit: httpapi.NewLimiter[int64](cfg.Limits.UserPerSecond, cfg.Limits.UserBurst),
		metrics:   newMetrics(reg),
		registry:  reg,
		hub:       newHub(maxStreams(cfg.Policy)),
		proof:     ton.NewProofIssuer(secret, cfg.ProofTTL),
		closing:   make(chan struct{}),
		listening: make(chan struct{}),
	}
	if db.Engine() == store.SQLite {
		s.meCache = newMeCache(meCacheMax, meCacheTTL)
	}
	if cfg.PublicURL != nil && cfg.PublicURL.Host != "" {
		s.proofDomains = []string{cfg.PublicURL.Host}
	}
	for _, a := range cfg.Assets {
		s.assetList = append(s.assetList, assetJSON{Symbol: a.Symbol, Decimals: a.Decimals})
	}
	if s.assets = cfg.AssetRegistry; s.assets == nil {
		s.assets = store.NewAssets(db, cfg.Assets)
	}
	db.Subscribe(func(c store.Change) {
		if c.Kind == store.ChangeUser {
			// An admin blocked or unblocked the user: their next call is
			// authenticated afresh and sees it (and an open event stream of
			// a blocked user ends).
			s.auth.forget(c.UserID)
		}
		if c.Kind == store.ChangeResync {
			s.auth.forgetAll() // a block may have gone unheard
		}
		s.hub.publish(c)
	})

	e.HTTPErrorHandler = httpapi.Handler(log)
	e.Pre(s.checkHost)
	e.Use(s.observe)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "method", c.Request().Method, "path", c.Path(), "err", err, "stack", string(stack))
			return err
		},
	}))
	e.Use(s.secure)
	e.Use(s.writeDeadline)
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{
		Timeout: cfg.RequestTimeout,
		Skipper: func(c echo.Context) bool { return c.Path() == routeEvents || s.isMounted(c.Path()) },
	}))

	e.GET("/healthz", s.health)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})), privateOnly)
	e.GET("/tonconnect-manifest.json", s.manifest)
	e.GET("/icon.png", s.icon)

	api := e.Group("/api", s.limitIP, s.limitBody, s.authenticate, s.limitUser, noStore)
	s.api = api
	api.GET("/me", s.me)
	api.POST("/wallet/payload", s.walletPayload)
	api.POST("/wallet", s.linkWallet)
	api.DELETE("/wallet", s.unlinkWallet)
	api.POST("/deposits", s.createDeposit)
	api.POST("/deposits/:id/boc", s.depositBOC)
	api.GET("/deposits/:id", s.getDeposit)
	api.GET("/invoices/:id", s.getInvoice)
	api.POST("/invoices/:id/boc", s.invoiceBOC)
	api.GET("/events", s.events)
	api.GET("/history", s.history)
	api.POST("/withdrawals/quote", s.quoteWithdrawal)
	api.POST("/withdrawals", s.withdraw)
	api.GET("/withdrawals/:id", s.getWithdrawal)
	api.GET("/packages", s.packages)
	api.POST("/purchases", s.purchase)
	api.POST("/stars/invoices", s.starsInvoice)
	api.GET("/stars/payments", s.starsPayments)
	api.GET("/stars/subscriptions", s.subscriptions)
	api.POST("/stars/subscriptions/:package", s.editSubscription)
	api.Any("/*", func(echo.Context) error { return echo.ErrNotFound })

	if cfg.Static != nil {
		sf := &staticFiles{fsys: cfg.Static}
		e.Any("/*", sf.serve)
	} else {
		e.Any("/*", func(echo.Context) error { return echo.ErrNotFound })
	}
	return s
}

// Mount serves h at path (exactly, or everything under it when path ends
// in "/"), outside the /api authentication, limits and timeouts: for the
// bot's webhook handler.
func (s *Server) Mount(path string, h http.Handler) {
	if strings.HasSuffix(path, "/") {
		path += "*"
	}
	s.mounted.Store(path, true)
	s.echo.Any(path, echo.WrapHandler(h))
}

// Group is a route group on the server itself, outside the Mini App's
// authentication and limits but inside the common middleware (metrics,
// recover, security headers, timeout): for the merchant API at /api/v1.
func (s *Server) Group(prefix string) *echo.Group { return s.echo.Group(prefix) }

// Authed is a route group under /api (prefix "/admin" serves
// /api/admin/...) with the Mini App's initData authentication, limits and
// timeout; UserOf gives the handler the user. For the dashboards.
func (s *Server) Authed(prefix string, m ...echo.MiddlewareFunc) *echo.Group {
	return s.api.Group(prefix, m...)
}

// IsAdmin reports whether a Telegram user is one of AdminIDs.
func (s *Server) IsAdmin(id int64) bool { return slices.Contains(s.cfg.AdminIDs, id) }

func (s *Server) isMounted(route string) bool {
	_, ok := s.mounted.Load(route)
	return ok
}

// RestrictHosts makes the server answer only requests whose Host header ok
// accepts (the name without its port; an IPv6 literal without brackets);
// any other is 421 misdirected_request. The sandbox serves loopback names
// only, so that a page on another site cannot reach it by DNS rebinding.
// Call it before serving.
func (s *Server) RestrictHosts(ok func(host string) bool) { s.hostOK.Store(&ok) }

func (s *Server) checkHost(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ok := s.hostOK.Load(); ok != nil && !(*ok)(RequestHost(c.Request().Host)) {
			return httpapi.Err(http.StatusMisdirectedRequest, httpapi.CodeMisdirected,
				"this server does not answer for that host name")
		}
		return next(c)
	}
}

// RequestHost is the name in a Host header: without the port, an IPv6
// literal without its brackets.
func RequestHost(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// Handler is the server's http.Handler (tests use it with httptest).
func (s *Server) Handler() http.Handler { return s.echo }

// Run serves until ctx ends, then shuts down gracefully: event streams are
// ended first, since they never go idle on their own.
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{
		Addr:              s.cfg.Addr,
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	addr := srv.Addr
	if addr == "" {
		addr = ":http"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	close(s.listening)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Close()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Listening is closed once Run has bound its address: from then on a
// connection to it is answered.
func (s *Server) Listening() <-chan struct{} { return s.listening }

// Close ends the open event streams (Run calls it on shutdown; tests that
// serve Handler themselves may call it).
func (s *Server) Close() { s.closeOnce.Do(func() { close(s.closing) }) }

// limitBody refuses bodies over BodyLimit: at once when the length is
// declared, when reading otherwise.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength > s.cfg.BodyLimit {
			return httpapi.Err(http.StatusRequestEntityTooLarge, httpapi.CodeTooLarge, "request body too large")
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, s.cfg.BodyLimit)
		return next(c)
	}
}

func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

type healthJSON struct {
	OK      bool         `json:"ok"`
	Status  string       `json:"status"` // "ok" or "degraded": all that clients outside loopback and private networks see
	DB      string       `json:"db,omitempty"`
	Scanner *scannerJSON `json:"scanner,omitempty"`
	Ledger  *ledgerJSON  `json:"ledger,omitempty"`
	// Node is this node's name, Leader the node that follows the chain and
	// pays (the leader's lease), Leading whether that is this one.
	Node    string `json:"node,omitempty"`
	Leader  string `json:"leader,omitempty"`
	Leading *bool  `json:"leading,omitempty"`
	// Warnings need an operator's eye but do not fail the check.
	Warnings []string `json:"warnings,omitempty"`
}

// ledgerJSON is the last reconciliation: chain minus ledger per asset, in
// smallest units (all "0" when the books equal the chain).
type ledgerJSON struct {
	ReconciledBlock uint32            `json:"reconciled_block"`
	Drift           map[string]string `json:"drift"`
}

type scannerJSON struct {
	Block      uint32  `json:"block"`
	LagSeconds float64 `json:"lag_seconds"`
	Synced     bool    `json:"synced"`
	Stalled    string  `json:"stalled,omitempty"`
}

// health is GET /healthz: 200 when the database answers, the chain follower
// is neither stalled nor lagging beyond MaxScanLag and the ledger equals the
// chain; 503 otherwise. Loopback and private clients get the details; others
// only ok and status.
func (s *Server) health(c echo.Context) error {
	out := healthJSON{OK: true, DB: "ok"}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if _, err := s.db.CountUsers(ctx); err != nil {
		s.log.Warn("health: database", "err", err)
		out.OK, out.DB = false, "unavailable"
	}
	follows := true
	if s.cfg.Leader != nil {
		node, leader, leading := s.cfg.Leader()
		out.Node, out.Leader, out.Leading, follows = node, leader, &leading, leading
	}
	if s.cfg.Health != nil && follows {
		st := s.cfg.Health.Status()
		out.Scanner = &scannerJSON{Block: st.Block, LagSeconds: st.Lag.Seconds(), Synced: st.Synced, Stalled: st.Stalled}
		if st.Stalled != "" || st.Lag > s.cfg.MaxScanLag {
			out.OK = false
		}
		if st.Reconciled != 0 {
			out.Ledger = &ledgerJSON{ReconciledBlock: st.Reconciled, Drift: map[string]string{}}
			for asset, d := range st.Drift {
				out.Ledger.Drift[asset] = d.Units()
				if d != 0 {
					out.OK = false
				}
			}
		}
	}
	if s.cfg.Warnings != nil {
		out.Warnings = s.cfg.Warnings()
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	status := http.StatusOK
	out.Status = "ok"
	if !out.OK {
		status, out.Status = http.StatusServiceUnavailable, "degraded"
	}
	if !privateClient(c) {
		// The ledger's drift, the reconciled block and the lag are for the
		// operator, like /metrics.
		out = healthJSON{OK: out.OK, Status: out.Status}
	}
	return c.JSON(status, out)
}

// writeDeadline gives every response but an event stream WriteTimeout to
// be written: the server's own WriteTimeout would end the streams too.
func (s *Server) writeDeadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Path() != routeEvents {
			_ = http.NewResponseController(c.Response()).SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		}
		return next(c)
	}
}

// privateClient reports whether the client is on loopback or a private
// network: c.RealIP(), behind a trusted proxy (TrustProxy) the address the
// proxy reports.
func privateClient(c echo.Context) bool {
	ip := net.ParseIP(c.RealIP())
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate())
}

// privateOnly serves a route to clients on loopback and private networks
// only (Prometheus on the same machine or network): /metrics tells volumes,
// drift and payer state, which is nobody else's business once tonpay
// faces the internet itself (TLS_DOMAIN). The client is c.RealIP(): behind
// a trusted proxy (TrustProxy), the address the proxy reports.
func privateOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !privateClient(c) {
			return httpapi.Err(http.StatusForbidden, httpapi.CodeForbidden,
				"this page is served to loopback and private networks only")
		}
		return next(c)
	}
}

// SetLeader tells /healthz which node leads (before the server runs).
func (s *Server) SetLeader(f func() (node, leader string, leading bool)) { s.cfg.Leader = f }
