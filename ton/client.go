package ton

import (
	"context"
	"crypto/ed25519"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/liteclient"
	"github.com/xssnick/tonutils-go/tl"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/jetton"
	"golang.org/x/time/rate"
)

// The global configs of both networks ship inside the binary: a service that
// handles money should not depend on fetching its liteserver list at start.
//
//go:embed netconfig/testnet.json netconfig/mainnet.json
var netconfigs embed.FS

// LiteServer is one liteserver to connect to.
type LiteServer struct {
	Addr string // host:port
	Key  string // base64 ed25519 public key
}

func (l LiteServer) String() string { return l.Addr + ":" + l.Key }

// ClientConfig says how to reach the chain.
type ClientConfig struct {
	Testnet     bool
	ConfigPath  string       // a global config JSON; empty = the embedded one of the network
	LiteServers []LiteServer // when set, used instead of the config's liteservers
	RPS         int          // queries per second at most; 0 = unlimited
	ProofCheck  tonapi.ProofCheckPolicy
}

// NetworkConfig returns the embedded global config of a network.
func NetworkConfig(testnet bool) (*liteclient.GlobalConfig, error) {
	name := "netconfig/mainnet.json"
	if testnet {
		name = "netconfig/testnet.json"
	}
	raw, err := netconfigs.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var cfg liteclient.GlobalConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("embedded %s: %w", name, err)
	}
	return &cfg, nil
}

// ParseLiteServers parses TON_LITESERVERS: "host:port:base64key,...".
func ParseLiteServers(s string) ([]LiteServer, error) {
	var out []LiteServer
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndex(item, ":")
		if i < 0 {
			return nil, fmt.Errorf("%q: want host:port:base64key", item)
		}
		addr, key := item[:i], item[i+1:]
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host == "" {
			return nil, fmt.Errorf("%q: want host:port:base64key", item)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("%q: port %q is not a port number", item, port)
		}
		k, err := base64.StdEncoding.DecodeString(key)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%q: key must be a base64 ed25519 public key (32 bytes)", item)
		}
		out = append(out, LiteServer{Addr: addr, Key: key})
	}
	if len(out) == 0 {
		return nil, errors.New("no liteservers listed")
	}
	return out, nil
}

// ParseProofPolicy parses TON_PROOF_CHECK.
func ParseProofPolicy(s string) (tonapi.ProofCheckPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "secure":
		return tonapi.ProofCheckPolicySecure, nil
	case "fast", "":
		return tonapi.ProofCheckPolicyFast, nil
	case "unsafe":
		return tonapi.ProofCheckPolicyUnsafe, nil
	}
	return 0, fmt.Errorf("%q: want secure, fast or unsafe", s)
}

// Client is a connection to the chain: the tonutils-go API with retries over
// a pool of liteservers, rate limited.
type Client struct {
	API  tonapi.APIClientWrapped
	pool *liteclient.ConnectionPool
	up   chan struct{} // DialInBackground: closed once connected
	stop func()        // DialInBackground: ends the dialling
}

// Dial connects to the liteservers of cfg. It succeeds as soon as one of them
// answers the handshake.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	var global *liteclient.GlobalConfig
	var err error
	if cfg.ConfigPath != "" {
		global, err = liteclient.GetConfigFromFile(cfg.ConfigPath)
	} else {
		global, err = NetworkConfig(cfg.Testnet)
	}
	if err != nil {
		return nil, fmt.Errorf("ton config: %w", err)
	}
	pool := liteclient.NewConnectionPool()
	if len(cfg.LiteServers) > 0 {
		var errs []error
		for _, ls := range cfg.LiteServers {
			if err := pool.AddConnection(ctx, ls.Addr, ls.Key); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", ls.Addr, err))
			}
		}
		if len(errs) == len(cfg.LiteServers) {
			pool.Stop()
			return nil, fmt.Errorf("connect to liteservers: %w", errors.Join(errs...))
		}
	} else if err := pool.AddConnectionsFromConfig(ctx, global); err != nil {
		pool.Stop()
		return nil, fmt.Errorf("connect to liteservers: %w", err)
	}
	var lc tonapi.LiteClient = pool
	if cfg.RPS > 0 {
		lc = &limited{LiteClient: pool, lim: rate.NewLimiter(rate.Limit(cfg.RPS), max(1, cfg.RPS/10))}
	}
	api := tonapi.NewAPIClient(lc, cfg.ProofCheck)
	if cfg.ProofCheck != tonapi.ProofCheckPolicyUnsafe && global.Validator.InitBlock.SeqNo != 0 {
		api.SetTrustedBlockFromConfig(global)
	}
	return &Client{API: api.WithRetryTimeout(0, 0), pool: pool}, nil
}

// Close drops the connections.
func (c *Client) Close() {
	if c.stop != nil {
		c.stop()
	}
	c.pool.Stop()
}

// limited waits for a token before each query: public liteservers throttle
// clients that burst, and a throttled scanner falls behind.
type limited struct {
	tonapi.LiteClient
	lim *rate.Limiter
}

func (l *limited) QueryLiteserver(ctx context.Context, payload tl.Serializable, result tl.Serializable) error {
	if err := l.lim.Wait(ctx); err != nil {
		return err
	}
	return l.LiteClient.QueryLiteserver(ctx, payload, result)
}

// JettonWallet is owner's jetton wallet address for a jetton master, as the
// master's get_wallet_address says at the current head.
func (c *Client) JettonWallet(ctx context.Context, master, owner *address.Address) (*address.Address, error) {
	head, err := c.API.GetMasterchainInfo(ctx)
	if err != nil {
		return nil, err
	}
	w, err := jetton.NewJettonMasterClient(c.API, master).GetJettonWalletAtBlock(ctx, owner, head)
	if err != nil {
		return nil, err
	}
	return w.Address(), nil
}

// GetPublicKey runs the wallet's get_public_key get-method at the current
// head: how VerifyProof learns the key of a deployed wallet whose state init
// the TON Connect account did not carry.
func (c *Client) GetPublicKey(ctx context.Context, addr *address.Address) (ed25519.PublicKey, error) {
	head, err := c.API.GetMasterchainInfo(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.API.RunGetMethod(ctx, head, addr, "get_public_key")
	if err != nil {
		return nil, fmt.Errorf("get_public_key: %w", err)
	}
	n, err := res.Int(0)
	if err != nil {
		return nil, fmt.Errorf("get_public_key: %w", err)
	}
	if n.Sign() < 0 || n.BitLen() > 256 {
		return nil, fmt.Errorf("get_public_key: not a 256-bit key")
	}
	return ed25519.PublicKey(n.FillBytes(make([]byte, ed25519.PublicKeySize))), nil
}
