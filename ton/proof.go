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
	tonapi "github.com/xssnick/tonutils-go/ton"
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

// Limits of TON Connect 2.3 (those of the Ledger TON app, which shows and
// signs the proof on the device): SDK 2.3+ refuses to ask for a longer
// proof. Wallets signed longer payloads for older dApps (the third-party
// fixtures hold a 291-byte one), so VerifyProof holds only the domain to
// them; ProofIssuer.VerifyProof, which checks the payload, holds both.
const (
	maxProofPayload = 128 // bytes of the payload
	maxProofDomain  = 128 // bytes of the domain
	maxProofBoth    = 222 // bytes of payload and domain together
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
	ErrProofTooLong        error = proofError("ton_proof: payload or domain longer than TON Connect allows")
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
// the key: none was sent, or its code is no wallet we know. An error that
// is (or wraps) tonutils-go's ContractExecError means the chain answered
// that there is no key to give (a wallet not deployed, no such get-method);
// any other error, that the chain could not be asked.
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
// the domain is within TON Connect's limit (128 bytes), its lengthBytes is
// its true length and it is allowed; the timestamp is within TTL and Skew;
// the state init (walletStateInit or state_init) hashes to the address, its
// code is a known wallet (V3R1, V3R2, V4R1, V4R2, W5 final, W5 beta; each
// also as a library cell) and its data holds a 32-byte key, so that a wallet
// not yet deployed proves without asking the chain — or, with no state init
// or an unknown code, policy.Keys gives the key; then the ed25519 signature
// over the TON Connect message.
//
// It does NOT check that the payload is ours and unused, nor TON Connect
// 2.3's limits on it: use ProofIssuer.VerifyProof, or ProofIssuer.Check and
// store the nonce UNIQUE.
//
// Failed checks return errors matching ErrProof, as does a chain that
// answers it has no key for the wallet (see PublicKeyFetcher); any other
// error from policy.Keys is returned wrapped as it is, so an outage does not
// read as a bad proof.
//
// This is our own check, not tonutils-go's wallet.TonConnectVerifier (since
// v1.13), which agrees with it on the digest and on the third-party
// fixtures (TestProofAgainstTonutilsVerifier) but does less:
//   - W5 sent as a library cell (as wallets deploy it) is "unknown code" to
//     it: it looks the library cell's own hash up, not the code's;
//   - its clock is time.Now (the fixtures, signed in 2024, cannot be checked
//     at their time) and it accepts a timestamp as far in the future as in
//     the past (here at most Skew ahead);
//   - one domain, no list (PUBLIC_URL's host, host:port in local runs);
//     lengthBytes is taken from the client, not computed from the domain;
//   - no network check, no TON Connect 2.3 limits, no single-use payload;
//   - it parses the client's BOC with cell.FromBOC (no ParseBOC checks, no
//     recovery from a panic);
//   - without a state init it reads the account from the cached head
//     (CurrentMasterchainInfo) and knows only its own wallet codes: no
//     get_public_key fallback, and an outage reads as a bad proof.
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
	if len(domain) > maxProofDomain {
		return nil, fmt.Errorf("%w: domain of %d bytes, at most %d", ErrProofTooLong, len(domain), maxProofDomain)
	}
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
	if len(key) != ed25519.PublicKeySize { // ed25519.Verify panics on any other length
		return nil, fmt.Errorf("%w: %d bytes", ErrProofPublicKey, len(key))
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

// checkProofLimits holds a proof to TON Connect 2.3's limits: payload and
// domain at most 128 bytes each, 222 together.
func checkProofLimits(proof Proof) error {
	p, d := len(proof.Payload), len(proof.Domain.Value)
	switch {
	case d > maxProofDomain:
		return fmt.Errorf("%w: domain of %d bytes, at most %d", ErrProofTooLong, d, maxProofDomain)
	case p > maxProofPayload:
		return fmt.Errorf("%w: payload of %d bytes, at most %d", ErrProofTooLong, p, maxProofPayload)
	case p+d > maxProofBoth:
		return fmt.Errorf("%w: payload and domain of %d bytes together, at most %d", ErrProofTooLong, p+d, maxProofBoth)
	}
	return nil
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
// is a known wallet (no chain query, so a wallet not yet deployed proves),
// else from keys.
func proofKey(ctx context.Context, addr *address.Address, account ConnectAccount, proof Proof, keys PublicKeyFetcher) (ed25519.PublicKey, error) {
	var inits []string
	for _, s := range []string{account.WalletStateInit, proof.StateInit} {
		if s != "" {
			inits = append(inits, s)
		}
	}
	var key ed25519.PublicKey
	// Why the chain must be asked, when it must.
	noKey, why := ErrProofStateInit, "no state init was sent"
	for i, s := range inits {
		// Every state init sent must be this address's; the first gives the key.
		k, unknown, err := stateInitKey(addr, s)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			key = k
			if k == nil {
				noKey, why = ErrProofUnknownWallet, fmt.Sprintf("the wallet's code (hash %x) is not one we know", unknown)
			}
		}
	}
	if key == nil {
		if keys == nil {
			return nil, fmt.Errorf("%w: %s, and the chain was not asked for its key", noKey, why)
		}
		k, err := keys.GetPublicKey(ctx, addr)
		switch {
		case err == nil:
			key = k
		case chainHasNoKey(err):
			return nil, fmt.Errorf("%w: %s, and the chain could not give its key: %v", noKey, why, err)
		default:
			return nil, fmt.Errorf("ton_proof: %s, and the chain could not be asked for the key of %s: %w", why, addr.StringRaw(), err)
		}
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

// chainHasNoKey tells a chain that answered it has no key for the wallet
// (the get-method failed: a wallet not deployed, a contract without
// get_public_key, a result that is no key) from one that could not be asked.
func chainHasNoKey(err error) bool {
	var exec tonapi.ContractExecError
	return errors.As(err, &exec) ||
		errors.Is(err, tonapi.ErrIncorrectResultType) ||
		errors.Is(err, tonapi.ErrResultIndexOutOfRange) ||
		errors.Is(err, ErrProof)
}

// stateInitKey checks that a base64 state init BOC is addr's and reads the
// key from its data. When its code is no wallet we know, the key is nil and
// unknown is the code's hash (the caller may ask the chain).
func stateInitKey(addr *address.Address, b64 string) (key ed25519.PublicKey, unknown []byte, err error) {
	boc, err := decodeBase64(b64)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: not base64", ErrProofStateInit)
	}
	root, err := ParseBOC(boc)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrProofStateInit, err)
	}
	// An exotic root (a pruned branch carries any hash it likes) must not
	// stand in for a real state init.
	if root.GetType() != cell.OrdinaryCellType {
		return nil, nil, fmt.Errorf("%w: exotic root cell", ErrProofStateInit)
	}
	if !bytes.Equal(root.Hash(), addr.Data()) {
		return nil, nil, fmt.Errorf("%w: its hash is not the address", ErrProofStateInit)
	}
	var si tlb.StateInit
	if err := safeParse(&si, root); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrProofStateInit, err)
	}
	if si.Code == nil || si.Data == nil {
		return nil, nil, fmt.Errorf("%w: no code or no data", ErrProofStateInit)
	}
	kind, ok := knownWallet(si.Code)
	if !ok {
		return nil, codeHash(si.Code), nil
	}
	if si.Data.GetType() != cell.OrdinaryCellType {
		return nil, nil, fmt.Errorf("%w: exotic data cell", ErrProofStateInit)
	}
	s, err := si.Data.BeginParse()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrProofStateInit, err)
	}
	if _, err := s.LoadSlice(kind.keyOffset); err != nil {
		return nil, nil, fmt.Errorf("%w: %s data too short", ErrProofPublicKey, kind.name)
	}
	k, err := s.LoadSlice(256)
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, nil, fmt.Errorf("%w: %s data too short", ErrProofPublicKey, kind.name)
	}
	return ed25519.PublicKey(k), nil, nil
}

type walletKind struct {
	name      string
	keyOffset uint // bits before the key in the data cell
}

// w5BetaCodeHash is the code of W5 beta, Tonkeeper's W5 through 2024, which
// many users still hold. tonutils-go has no copy of its code (only a library
// cell pointing at it, which is how wallets send it too).
const w5BetaCodeHash = "e4cf3b2f4c6d6a61ea0f2b5447d266785b26af3637db2deee6bcd1aa826f3412"

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
		{"v4r1", wallet.V4R1, 64}, // seqno:uint32 subwallet:uint32 key plugins
		{"v4r2", wallet.V4R2, 64}, // seqno:uint32 subwallet:uint32 key plugins
		{"w5", wallet.ConfigV5R1Final{NetworkGlobalID: wallet.MainnetGlobalID}, 65}, // sig_allowed:1 seqno:uint32 wallet_id:uint32 key ext
	} {
		si, err := wallet.GetStateInit(key, w.ver, 0)
		if err != nil || si.Code.GetType() != cell.OrdinaryCellType {
			panic(fmt.Sprintf("ton: tonutils-go lost the %s wallet code: %v", w.name, err))
		}
		out[string(si.Code.Hash())] = walletKind{name: w.name, keyOffset: w.offset}
	}
	h, err := hex.DecodeString(w5BetaCodeHash)
	if err != nil || len(h) != 32 {
		panic("ton: bad W5 beta code hash")
	}
	// seqno:33 wallet_id:80 (network int32, workchain int8, version uint8,
	// subwallet uint32) key extensions
	out[string(h)] = walletKind{name: "w5 beta", keyOffset: 33 + 80}
	return out
}()

// codeHash is the hash of the code a state init runs: for a library cell
// (W5 is often deployed so) the hash of the library it points to, which is
// the hash of that code.
func codeHash(code *cell.Cell) []byte {
	if code.GetType() == cell.LibraryCellType {
		s, err := code.BeginParse()
		if err != nil {
			return nil
		}
		if _, err := s.LoadUInt(8); err == nil {
			if h, err := s.LoadSlice(256); err == nil {
				return h
			}
		}
		return nil
	}
	return code.Hash()
}

// knownWallet finds the wallet a code is: ordinary code by its hash, a
// library cell (8-bit tag, 256-bit hash, no refs) by the hash it carries.
func knownWallet(code *cell.Cell) (walletKind, bool) {
	switch code.GetType() {
	case cell.OrdinaryCellType:
	case cell.LibraryCellType:
		if code.RefsNum() != 0 {
			return walletKind{}, false
		}
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
	if len(payload) > maxProofPayload {
		return "", time.Time{}, fmt.Errorf("%w: payload of %d bytes, at most %d", ErrProofTooLong, len(payload), maxProofPayload)
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

// VerifyProof holds the proof to TON Connect 2.3's limits (ErrProofTooLong),
// then is Check of the proof's payload (at policy.Now) and the package's
// VerifyProof. It returns the address and the payload's nonce, which the
// caller must store UNIQUE before trusting the login, so that a proof
// cannot be replayed.
func (p *ProofIssuer) VerifyProof(ctx context.Context, account ConnectAccount, proof Proof, policy ProofPolicy) (*address.Address, string, error) {
	now := policy.Now
	if now.IsZero() {
		now = time.Now()
	}
	if err := checkProofLimits(proof); err != nil {
		return nil, "", err
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
