package ton

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"
)

// TON Connect chain ids (CHAIN in @tonconnect/protocol).
const (
	ChainMainnet = "-239"
	ChainTestnet = "-3"
)

// Defaults of ProofPolicy and ProofIssuer.
const (
	DefaultProofTTL  = 15 * time.Minute
	DefaultProofSkew = time.Minute
)

// proofError is the type of the ton_proof sentinels: each also matches
// ErrProof, so a handler can answer every failed check the same way.
type proofError string

func (e proofError) Error() string { return string(e) }

func (e proofError) Is(target error) bool { return target == ErrProof }

// Errors of VerifyProof and ProofIssuer. Each matches ErrProof; the wrapped
// message says which check failed.
var (
	ErrProof               error = proofError("ton_proof: invalid")
	ErrProofNetwork        error = proofError("ton_proof: wallet is on another network")
	ErrProofAddress        error = proofError("ton_proof: bad address")
	ErrProofStateInit      error = proofError("ton_proof: bad state init")
	ErrProofUnknownWallet  error = proofError("ton_proof: unknown wallet code")
	ErrProofPublicKey      error = proofError("ton_proof: bad public key")
	ErrProofDomain         error = proofError("ton_proof: domain not allowed")
	ErrProofExpired        error = proofError("ton_proof: proof is too old")
	ErrProofTimestamp      error = proofError("ton_proof: bad timestamp")
	ErrProofSignature      error = proofError("ton_proof: signature does not verify")
	ErrProofPayload        error = proofError("ton_proof: payload was not issued by us")
	ErrProofPayloadExpired error = proofError("ton_proof: payload expired")
)

// ConnectAccount is the ton_addr item (the Account) as TON Connect sends it.
type ConnectAccount struct {
	Address         string `json:"address"`             // raw "0:<hex>"
	Chain           string `json:"chain"`               // ChainMainnet or ChainTestnet
	WalletStateInit string `json:"walletStateInit"`     // base64 BOC
	PublicKey       string `json:"publicKey,omitempty"` // hex; informative only
}

// Proof is the ton_proof item's proof as TON Connect sends it.
type Proof struct {
	Timestamp ProofTimestamp `json:"timestamp"`
	Domain    ProofDomain    `json:"domain"`
	Payload   string         `json:"payload"`
	Signature string         `json:"signature"`            // base64
	StateInit string         `json:"state_init,omitempty"` // base64 BOC, as some backends forward it
}

// ProofDomain is the dApp domain the wallet signed.
type ProofDomain struct {
	LengthBytes uint32 `json:"lengthBytes"`
	Value       string `json:"value"`
}

// ProofTimestamp is unix seconds. Wallets send a JSON number; some
// backends forward it as a string: both are accepted.
type ProofTimestamp int64

// UnmarshalJSON accepts 1718913764 and "1718913764".
func (t *ProofTimestamp) UnmarshalJSON(b []byte) error {
	s := string(b)
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not unix seconds", ErrProofTimestamp, b)
	}
	*t = ProofTimestamp(n)
	return nil
}

// PublicKeyFetcher reads a wallet's key from the chain (the get_public_key
// get-method); VerifyProof uses it only when the state init does not give
// the key.
type PublicKeyFetcher interface {
	GetPublicKey(ctx context.Context, addr *address.Address) (ed25519.PublicKey, error)
}

// ProofPolicy says what VerifyProof accepts.
type ProofPolicy struct {
	// Domains allowed in the proof: "host" or "host:port" as the wallet
	// takes it from the manifest URL; a full URL is reduced to its host.
	// None allowed when empty.
	Domains []string
	TTL     time.Duration // oldest accepted proof; DefaultProofTTL when 0
	Skew    time.Duration // how far in the future a timestamp may be; DefaultProofSkew when 0
	Now     time.Time     // time.Now() when zero
	Testnet bool          // the chain the wallet must be on
	Keys    PublicKeyFetcher
}

// VerifyProof checks a TON Connect ton_proof and returns the proven wallet
// address. In order: the wallet's chain is our network; the address parses;
// the domain is allowed and its lengthBytes is its true length; the
// timestamp is within TTL and Skew; the state init (walletStateInit or
// state_init) hashes to the address, its code is a known wallet (V3R1, V3R2,
// V4R2, W5 final, W5 also as a library cell) and its data holds a 32-byte
// key — or, with no state init or unknown code, policy.Keys gives the key;
// then the ed25519 signature over the TON Connect message.
//
// It does NOT check that the payload is ours and unused: use
// ProofIssuer.VerifyProof, or ProofIssuer.Check and store the nonce UNIQUE.
//
// Failed checks return errors matching ErrProof; an error from policy.Keys
// is returned wrapped as it is, so an outage does not read as a bad proof.
func VerifyProof(ctx context.Context, account ConnectAccount, proof Proof, policy ProofPolicy) (*address.Address, error) {
	now := policy.Now
	if now.IsZero() {
		now = time.Now()
	}
	ttl := policy.TTL
	if ttl <= 0 {
		ttl = DefaultProofTTL
	}
	skew := policy.Skew
	if skew <= 0 {
		skew = DefaultProofSkew
	}

	want := ChainMainnet
	if policy.Testnet {
		want = ChainTestnet
	}
	if account.Chain != want {
		return nil, fmt.Errorf("%w: chain %q, want %q", ErrProofNetwork, account.Chain, want)
	}

	addr, err := ParseAddress(account.Address, policy.Testnet)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProofAddress, err)
	}

	domain := proof.Domain.Value
	if uint64(len(domain)) != uint64(proof.Domain.LengthBytes) {
		return nil, fmt.Errorf("%w: lengthBytes %d but %q has %d bytes", ErrProofDomain, proof.Domain.LengthBytes, domain, len(domain))
	}
	if !domainAllowed(domain, policy.Domains) {
		return nil, fmt.Errorf("%w: %q", ErrProofDomain, domain)
	}

	ts := int64(proof.Timestamp)
	if ts <= 0 {
		return nil, fmt.Errorf("%w: %d", ErrProofTimestamp, ts)
	}
	signedAt := time.Unix(ts, 0)
	if now.Sub(signedAt) > ttl {
		return nil, fmt.Errorf("%w: signed %s, older than %s", ErrProofExpired, signedAt.UTC().Format(time.RFC3339), ttl)
	}
	if signedAt.Sub(now) > skew {
		return nil, fmt.Errorf("%w: signed %s, in the future", ErrProofTimestamp, signedAt.UTC().Format(time.RFC3339))
	}

	sig, err := decodeBase64(proof.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("%w: signature is not 64 bytes of base64", ErrProofSignature)
	}

	key, err := proofKey(ctx, addr, account, proof, policy.Keys)
	if err != nil {
		return nil, err
	}

	if !ed25519.Verify(key, proofDigest(addr, domain, uint64(ts), proof.Payload), sig) {
		return nil, ErrProofSignature
	}
	return addr, nil
}

// proofDigest is what the wallet signs:
//
//	inner  = "ton-proof-item-v2/" | int32_BE(wc) | hash | uint32_LE(len(domain)) | domain | uint64_LE(ts) | payload
//	digest = sha256(0xFFFF | "ton-connect" | sha256(inner))
func proofDigest(addr *address.Address, domain string, ts uint64, payload string) []byte {
	var inner bytes.Buffer
	inner.WriteString("ton-proof-item-v2/")
	inner.Write(binary.BigEndian.AppendUint32(nil, uint32(addr.Workchain())))
	inner.Write(addr.Data())
	inner.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(domain))))
	inner.WriteString(domain)
	inner.Write(binary.LittleEndian.AppendUint64(nil, ts))
	inner.WriteString(payload)
	innerHash := sha256.Sum256(inner.Bytes())

	outer := append([]byte{0xff, 0xff}, "ton-connect"...)
	outer = append(outer, innerHash[:]...)
	digest := sha256.Sum256(outer)
	return digest[:]
}

func domainAllowed(domain string, allowed []string) bool {
	if domain == "" {
		return false
	}
	for _, a := range allowed {
		if _, host, ok := strings.Cut(a, "://"); ok {
			host, _, _ = strings.Cut(host, "/")
			a = host
		}
		if a != "" && strings.EqualFold(a, domain) {
			return true
		}
	}
	return false
}

// proofKey finds the wallet's public key: from the state init when its code
// is a known wallet, else from keys.
func proofKey(ctx context.Context, addr *address.Address, account ConnectAccount, proof Proof, keys PublicKeyFetcher) (ed25519.PublicKey, error) {
	var inits []string
	for _, s := range []string{account.WalletStateInit, proof.StateInit} {
		if s != "" {
			inits = append(inits, s)
		}
	}
	var key ed25519.PublicKey
	var keyErr error = fmt.Errorf("%w: none sent", ErrProofStateInit)
	for i, s := range inits {
		// Every state init sent must be this address's; the first gives the key.
		k, err := stateInitKey(addr, s)
		if err != nil && !errors.Is(err, ErrProofUnknownWallet) {
			return nil, err
		}
		if i == 0 {
			key, keyErr = k, err
		}
	}
	if keyErr != nil {
		if keys == nil {
			return nil, keyErr
		}
		k, err := keys.GetPublicKey(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("ton_proof: get public key of %s: %w", addr.StringRaw(), err)
		}
		key = k
	}
	if len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %d bytes", ErrProofPublicKey, len(key))
	}
	if account.PublicKey != "" {
		// Informative only (the client could send anything), but a mismatch
		// means something is wrong.
		sent, err := hex.DecodeString(account.PublicKey)
		if err != nil || !bytes.Equal(sent, key) {
			return nil, fmt.Errorf("%w: publicKey sent does not match the wallet's", ErrProofPublicKey)
		}
	}
	return key, nil
}

// stateInitKey checks that a base64 state init BOC is addr's and reads the
// key from its data. ErrProofUnknownWallet when the code is not a known
// wallet (the caller may fall back to the chain).
func stateInitKey(addr *address.Address, b64 string) (ed25519.PublicKey, error) {
	boc, err := decodeBase64(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", ErrProofStateInit)
	}
	root, err := ParseBOC(boc)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProofStateInit, err)
	}
	// An exotic root (a pruned branch carries any hash it likes) must not
	// stand in for a real state init.
	if root.GetType() != cell.OrdinaryCellType {
		return nil, fmt.Errorf("%w: exotic root cell", ErrProofStateInit)
	}
	if !bytes.Equal(root.Hash(), addr.Data()) {
		return nil, fmt.Errorf("%w: its hash is not the address", ErrProofStateInit)
	}
	var si tlb.StateInit
	if err := safeLoad(&si, root.BeginParse()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProofStateInit, err)
	}
	if si.Code == nil || si.Data == nil {
		return nil, fmt.Errorf("%w: no code or no data", ErrProofStateInit)
	}
	kind, ok := knownWallet(si.Code)
	if !ok {
		return nil, fmt.Errorf("%w: code hash %x", ErrProofUnknownWallet, codeHash(si.Code))
	}
	if si.Data.GetType() != cell.OrdinaryCellType {
		return nil, fmt.Errorf("%w: exotic data cell", ErrProofStateInit)
	}
	s := si.Data.BeginParse()
	if _, err := s.LoadSlice(kind.keyOffset); err != nil {
		return nil, fmt.Errorf("%w: %s data too short", ErrProofPublicKey, kind.name)
	}
	key, err := s.LoadSlice(256)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: %s data too short", ErrProofPublicKey, kind.name)
	}
	return ed25519.PublicKey(key), nil
}

type walletKind struct {
	name      string
	keyOffset uint // bits before the key in the data cell
}

// walletKinds maps a code hash to the wallet's data layout. The code comes
// from tonutils-go's own copy of each contract.
var walletKinds = func() map[string]walletKind {
	key := make(ed25519.PublicKey, ed25519.PublicKeySize)
	out := map[string]walletKind{}
	for _, w := range []struct {
		name   string
		ver    wallet.VersionConfig
		offset uint
	}{
		{"v3r1", wallet.V3R1, 64}, // seqno:uint32 subwallet:uint32 key
		{"v3r2", wallet.V3R2, 64}, // seqno:uint32 subwallet:uint32 key
		{"v4r2", wallet.V4R2, 64}, // seqno:uint32 subwallet:uint32 key plugins
		{"w5", wallet.ConfigV5R1Final{NetworkGlobalID: wallet.MainnetGlobalID}, 65}, // sig_allowed:1 seqno:uint32 wallet_id:uint32 key ext
	} {
		si, err := wallet.GetStateInit(key, w.ver, 0)
		if err != nil {
			panic("ton: tonutils-go lost the " + w.name + " wallet code: " + err.Error())
		}
		out[string(si.Code.Hash())] = walletKind{name: w.name, keyOffset: w.offset}
	}
	return out
}()

// codeHash is the hash of the code a state init runs: for a library cell
// (W5 is often deployed so) the hash of the library it points to.
func codeHash(code *cell.Cell) []byte {
	if code.GetType() == cell.LibraryCellType {
		s := code.BeginParse()
		if _, err := s.LoadUInt(8); err == nil {
			if h, err := s.LoadSlice(256); err == nil {
				return h
			}
		}
		return nil
	}
	return code.Hash()
}

func knownWallet(code *cell.Cell) (walletKind, bool) {
	switch code.GetType() {
	case cell.OrdinaryCellType, cell.LibraryCellType:
	default:
		return walletKind{}, false
	}
	k, ok := walletKinds[string(codeHash(code))]
	return k, ok
}

// ProofIssuer issues and checks ton_proof payloads without storing them:
// a payload is a random nonce, its expiry and an HMAC of both. A payload is
// single-use only if the caller stores the nonce Check returns with a UNIQUE
// constraint (store.UseNonce).
type ProofIssuer struct {
	secret []byte
	ttl    time.Duration
}

// Payload layout: nonce | uint64_BE(expiry unix) | HMAC-SHA256[:16].
const (
	payloadNonceLen = 16
	payloadMACLen   = 16
	payloadLen      = payloadNonceLen + 8 + payloadMACLen
	minProofSecret  = 16
)

// NewProofIssuer makes an issuer whose payloads live ttl (DefaultProofTTL
// when 0). The secret should be 32 random bytes; shorter than 16 makes
// Payload and Check fail.
func NewProofIssuer(secret []byte, ttl time.Duration) *ProofIssuer {
	if ttl <= 0 {
		ttl = DefaultProofTTL
	}
	return &ProofIssuer{secret: bytes.Clone(secret), ttl: ttl}
}

var errShortSecret = errors.New("ton_proof: payload secret shorter than 16 bytes")

// Payload returns a fresh payload for a ton_proof request: 54 characters of
// base64url (the SDK takes at most 128 bytes).
func (p *ProofIssuer) Payload(now time.Time) (string, error) {
	if len(p.secret) < minProofSecret {
		return "", errShortSecret
	}
	buf := make([]byte, payloadNonceLen, payloadLen)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("ton_proof: payload nonce: %w", err)
	}
	buf = binary.BigEndian.AppendUint64(buf, uint64(now.Add(p.ttl).Unix()))
	buf = append(buf, p.mac(buf)...)
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// Check verifies a payload came from Payload with this secret and has not
// expired; it returns its nonce (hex) to be stored UNIQUE, and its expiry
// (the nonce need not be kept after that).
func (p *ProofIssuer) Check(payload string, now time.Time) (nonce string, expires time.Time, err error) {
	if len(p.secret) < minProofSecret {
		return "", time.Time{}, errShortSecret
	}
	buf, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil || len(buf) != payloadLen {
		return "", time.Time{}, fmt.Errorf("%w: malformed", ErrProofPayload)
	}
	body, mac := buf[:payloadLen-payloadMACLen], buf[payloadLen-payloadMACLen:]
	if !hmac.Equal(mac, p.mac(body)) {
		return "", time.Time{}, fmt.Errorf("%w: bad mac", ErrProofPayload)
	}
	exp := binary.BigEndian.Uint64(body[payloadNonceLen:])
	if exp > 1<<62 {
		return "", time.Time{}, fmt.Errorf("%w: bad expiry", ErrProofPayload)
	}
	expires = time.Unix(int64(exp), 0)
	if !now.Before(expires) {
		return "", time.Time{}, fmt.Errorf("%w: at %s", ErrProofPayloadExpired, expires.UTC().Format(time.RFC3339))
	}
	return hex.EncodeToString(body[:payloadNonceLen]), expires, nil
}

func (p *ProofIssuer) mac(body []byte) []byte {
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte("tonpay ton_proof payload v1\x00"))
	m.Write(body)
	return m.Sum(nil)[:payloadMACLen]
}

// VerifyProof is Check of the proof's payload (at policy.Now) and then the
// package's VerifyProof. It returns the address and the payload's nonce,
// which the caller must store UNIQUE before trusting the login, so that a
// proof cannot be replayed.
func (p *ProofIssuer) VerifyProof(ctx context.Context, account ConnectAccount, proof Proof, policy ProofPolicy) (*address.Address, string, error) {
	now := policy.Now
	if now.IsZero() {
		now = time.Now()
	}
	nonce, _, err := p.Check(proof.Payload, now)
	if err != nil {
		return nil, "", err
	}
	policy.Now = now
	addr, err := VerifyProof(ctx, account, proof, policy)
	if err != nil {
		return nil, "", err
	}
	return addr, nonce, nil
}
