package ton

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/xssnick/tonutils-go/liteclient"
	"github.com/xssnick/tonutils-go/tl"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"golang.org/x/time/rate"
)

// ErrConnecting is what every query of a client made by DialInBackground
// answers until one of its lite-servers has connected.
var ErrConnecting = errors.New("chain: connecting")

// DialAttempt is one try of DialInBackground to connect to a lite-server.
type DialAttempt struct {
	Addr    string
	Attempt int           // 1 for the first
	Err     error         // nil: connected
	Retry   time.Duration // after a failure: when it tries again
	// Up: another lite-server had connected already (a failure then costs
	// nothing but redundancy).
	Up bool
}

// DialInBackground is Dial without the wait: it returns at once a client
// whose queries fail with ErrConnecting until a lite-server answers, and
// dials each lite-server of cfg in the background, after a failure again
// with backoff (1 s, doubling up to 30 s), until it connects or the client
// is closed. report hears about every attempt.
func DialInBackground(cfg ClientConfig, report func(DialAttempt)) (*Client, error) {
	global, err := globalConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("ton config: %w", err)
	}
	servers := cfg.LiteServers
	if len(servers) == 0 {
		servers = ConfigLiteServers(global)
	}
	if len(servers) == 0 {
		return nil, errors.New("ton config: no liteservers")
	}
	pool := liteclient.NewConnectionPool()
	gate := &gated{LiteClient: pool, up: make(chan struct{})}
	var lc tonapi.LiteClient = gate
	if cfg.RPS > 0 {
		lc = &limited{LiteClient: gate, lim: rate.NewLimiter(rate.Limit(cfg.RPS), max(1, cfg.RPS/10))}
	}
	api := tonapi.NewAPIClient(lc, cfg.ProofCheck)
	if cfg.ProofCheck != tonapi.ProofCheckPolicyUnsafe && global.Validator.InitBlock.SeqNo != 0 {
		api.SetTrustedBlockFromConfig(global)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{API: api.WithRetryTimeout(0, 0), pool: pool, up: gate.up, stop: cancel}
	for _, ls := range servers {
		go func() {
			retry := time.Second
			for attempt := 1; ; attempt++ {
				actx, acancel := context.WithTimeout(ctx, 10*time.Second)
				err := pool.AddConnection(actx, ls.Addr, ls.Key)
				acancel()
				if ctx.Err() != nil {
					return
				}
				if err == nil {
					up := gate.isUp()
					gate.open()
					report(DialAttempt{Addr: ls.Addr, Attempt: attempt, Up: up})
					return
				}
				report(DialAttempt{Addr: ls.Addr, Attempt: attempt, Err: err, Retry: retry, Up: gate.isUp()})
				select {
				case <-ctx.Done():
					return
				case <-time.After(retry):
				}
				retry = min(retry*2, 30*time.Second)
			}
		}()
	}
	return c, nil
}

// Ready is closed once a lite-server has connected (at once for a client
// made by Dial).
func (c *Client) Ready() <-chan struct{} {
	if c.up == nil {
		return closed
	}
	return c.up
}

var closed = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

// ConfigLiteServers lists the liteservers of a global config.
func ConfigLiteServers(global *liteclient.GlobalConfig) []LiteServer {
	var out []LiteServer
	for _, ls := range global.Liteservers {
		ip := uint32(ls.IP)
		addr := net.JoinHostPort(net.IPv4(byte(ip>>24), byte(ip>>16), byte(ip>>8), byte(ip)).String(), fmt.Sprint(ls.Port))
		out = append(out, LiteServer{Addr: addr, Key: ls.ID.Key})
	}
	return out
}

func globalConfig(cfg ClientConfig) (*liteclient.GlobalConfig, error) {
	if cfg.ConfigPath != "" {
		return liteclient.GetConfigFromFile(cfg.ConfigPath)
	}
	return NetworkConfig(cfg.Testnet)
}

// gated answers ErrConnecting until open is called.
type gated struct {
	tonapi.LiteClient
	up   chan struct{}
	once sync.Once
}

func (g *gated) open() { g.once.Do(func() { close(g.up) }) }

func (g *gated) isUp() bool {
	select {
	case <-g.up:
		return true
	default:
		return false
	}
}

func (g *gated) QueryLiteserver(ctx context.Context, payload tl.Serializable, result tl.Serializable) error {
	if !g.isUp() {
		return ErrConnecting
	}
	return g.LiteClient.QueryLiteserver(ctx, payload, result)
}
