package ton_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/ton"
)

// readFixture reads a third-party fixture: from testdata/ when it has been
// copied there, else from the shared fixtures folder of the workspace.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	for _, p := range []string{filepath.Join("testdata", name), filepath.Join("..", "..", "shared", "fixtures", name)} {
		b, err := os.ReadFile(p)
		if err == nil {
			return b
		}
	}
	t.Skipf("fixture %s not found", name)
	return nil
}

type proofVector struct {
	Name      string    `json:"name"`
	Valid     bool      `json:"valid"`
	Network   string    `json:"network"`
	Address   string    `json:"address"`
	PublicKey string    `json:"public_key"`
	Proof     ton.Proof `json:"proof"`
}

func proofVectors(t testing.TB) []proofVector {
	var f struct {
		Vectors []proofVector `json:"vectors"`
	}
	if err := json.Unmarshal(readFixture(t, "ton_proof.json"), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return f.Vectors
}

func (v proofVector) account() ton.ConnectAccount {
	return ton.ConnectAccount{Address: v.Address, Chain: v.Network, PublicKey: v.PublicKey}
}

func (v proofVector) policy() ton.ProofPolicy {
	return ton.ProofPolicy{
		Domains: []string{"example.com", v.Proof.Domain.Value},
		Now:     time.Unix(int64(v.Proof.Timestamp), 0).Add(time.Minute),
		Testnet: v.Network == ton.ChainTestnet,
	}
}

func TestVerifyProofFixtures(t *testing.T) {
	t.Parallel()
	for _, v := range proofVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			addr, err := ton.VerifyProof(context.Background(), v.account(), v.Proof, v.policy())
			if !v.Valid {
				if err == nil {
					t.Fatal("invalid vector verified")
				}
				return
			}
			if err != nil {
				t.Fatalf("VerifyProof: %v", err)
			}
			if addr.StringRaw() != v.Address {
				t.Fatalf("address %s, want %s", addr.StringRaw(), v.Address)
			}
			// The state init may come in the account instead of the proof.
			acc := v.account()
			acc.WalletStateInit, v.Proof.StateInit = v.Proof.StateInit, ""
			if _, err := ton.VerifyProof(context.Background(), acc, v.Proof, v.policy()); err != nil {
				t.Fatalf("state init in the account: %v", err)
			}
		})
	}
}

func flipB64(t testing.TB, s string, i int) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	b[i] ^= 1
	return base64.StdEncoding.EncodeToString(b)
}

func TestVerifyProofFixtureMutations(t *testing.T) {
	t.Parallel()
	vectors := proofVectors(t)
	for vi, v := range vectors {
		other := vectors[(vi+1)%len(vectors)]
		mutations := []struct {
			name string
			mut  func(a *ton.ConnectAccount, p *ton.Proof, pol *ton.ProofPolicy)
			want error
		}{
			{"address", func(a *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				last := "1"
				if strings.HasSuffix(a.Address, "1") {
					last = "2"
				}
				a.Address = a.Address[:len(a.Address)-1] + last
			}, ton.ErrProofStateInit},
			{"address of the other vector", func(a *ton.ConnectAccount, _ *ton.Proof, _ *ton.ProofPolicy) {
				a.Address = other.Address
			}, ton.ErrProofStateInit},
			{"chain", func(a *ton.ConnectAccount, _ *ton.Proof, _ *ton.ProofPolicy) {
				if a.Chain == ton.ChainTestnet {
					a.Chain = ton.ChainMainnet
				} else {
					a.Chain = ton.ChainTestnet
				}
			}, ton.ErrProofNetwork},
			{"state init of another wallet", func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				p.StateInit = other.Proof.StateInit
			}, ton.ErrProofStateInit},
			{"state init bit", func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				p.StateInit = flipB64(t, p.StateInit, 30)
			}, ton.ErrProofStateInit},
			{"timestamp", func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				p.Timestamp++
			}, ton.ErrProofSignature},
			{"domain value", func(_ *ton.ConnectAccount, p *ton.Proof, pol *ton.ProofPolicy) {
				p.Domain.Value = p.Domain.Value[:len(p.Domain.Value)-1] + "x"
				pol.Domains = append(pol.Domains, p.Domain.Value) // reach the signature check
			}, ton.ErrProofSignature},
			{"domain not allowed", func(_ *ton.ConnectAccount, p *ton.Proof, pol *ton.ProofPolicy) {
				pol.Domains = []string{"example.com"}
			}, ton.ErrProofDomain},
			{"domain length", func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				p.Domain.LengthBytes++
			}, ton.ErrProofDomain},
			{"payload", func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				p.Payload += "x"
			}, ton.ErrProofSignature},
			{"signature byte", func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				p.Signature = flipB64(t, p.Signature, 10)
			}, ton.ErrProofSignature},
			{"signature truncated", func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				p.Signature = p.Signature[:40]
			}, ton.ErrProofSignature},
			{"public key", func(a *ton.ConnectAccount, _ *ton.Proof, _ *ton.ProofPolicy) {
				a.PublicKey = other.PublicKey
			}, ton.ErrProofPublicKey},
			{"no state init", func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
				p.StateInit = ""
			}, ton.ErrProofStateInit},
		}
		for _, m := range mutations {
			t.Run(v.Name+"/"+m.name, func(t *testing.T) {
				acc, proof, pol := v.account(), v.Proof, v.policy()
				m.mut(&acc, &proof, &pol)
				_, err := ton.VerifyProof(context.Background(), acc, proof, pol)
				if !errors.Is(err, m.want) || !errors.Is(err, ton.ErrProof) {
					t.Fatalf("err = %v, want %v", err, m.want)
				}
			})
		}
	}
}

// testWallet is a wallet whose proofs the test signs itself.
type testWallet struct {
	key       ed25519.PrivateKey
	addr      *address.Address
	stateInit string
}

func newTestWallet(t testing.TB, seed byte, ver wallet.VersionConfig) testWallet {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	si, err := wallet.GetStateInit(key.Public().(ed25519.PublicKey), ver, wallet.DefaultSubwallet)
	if err != nil {
		t.Fatal(err)
	}
	return walletWithStateInit(t, key, si)
}

func walletWithStateInit(t testing.TB, key ed25519.PrivateKey, si *tlb.StateInit) testWallet {
	t.Helper()
	c, err := tlb.ToCell(si)
	if err != nil {
		t.Fatal(err)
	}
	return testWallet{
		key:       key,
		addr:      address.NewAddress(0, 0, c.Hash()),
		stateInit: base64.StdEncoding.EncodeToString(c.ToBOC()),
	}
}

// sign follows the TON Connect spec independently of the package.
func (w testWallet) sign(domain string, ts int64, payload string) ton.Proof {
	msg := []byte("ton-proof-item-v2/")
	msg = binary.BigEndian.AppendUint32(msg, uint32(w.addr.Workchain()))
	msg = append(msg, w.addr.Data()...)
	msg = binary.LittleEndian.AppendUint32(msg, uint32(len(domain)))
	msg = append(msg, domain...)
	msg = binary.LittleEndian.AppendUint64(msg, uint64(ts))
	msg = append(msg, payload...)
	h := sha256.Sum256(msg)
	full := sha256.Sum256(append([]byte("\xff\xffton-connect"), h[:]...))
	return ton.Proof{
		Timestamp: ton.ProofTimestamp(ts),
		Domain:    ton.ProofDomain{LengthBytes: uint32(len(domain)), Value: domain},
		Payload:   payload,
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(w.key, full[:])),
	}
}

func (w testWallet) account(testnet bool) ton.ConnectAccount {
	chain := ton.ChainMainnet
	if testnet {
		chain = ton.ChainTestnet
	}
	return ton.ConnectAccount{
		Address:         w.addr.StringRaw(),
		Chain:           chain,
		WalletStateInit: w.stateInit,
		PublicKey:       hex.EncodeToString(w.key.Public().(ed25519.PublicKey)),
	}
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func testPolicy(testnet bool) ton.ProofPolicy {
	return ton.ProofPolicy{
		Domains: []string{"https://pay.example.com", "localhost:8080"},
		TTL:     10 * time.Minute,
		Skew:    30 * time.Second,
		Now:     t0,
		Testnet: testnet,
	}
}

// libraryCell is an exotic library cell pointing at code by its hash.
func libraryCell(code *cell.Cell) *cell.Cell {
	c, err := cell.BeginCell().MustStoreUInt(uint64(cell.LibraryCellType), 8).MustStoreSlice(code.Hash(), 256).EndCellSpecial(true)
	if err != nil {
		panic(err)
	}
	return c
}

func TestVerifyProofSignedWallets(t *testing.T) {
	t.Parallel()
	w5 := wallet.ConfigV5R1Final{NetworkGlobalID: wallet.TestnetGlobalID}
	w5lib := func() testWallet {
		key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
		si, err := wallet.GetStateInit(key.Public().(ed25519.PublicKey), w5, wallet.DefaultSubwallet)
		if err != nil {
			t.Fatal(err)
		}
		si.Code = libraryCell(si.Code)
		return walletWithStateInit(t, key, si)
	}()
	wallets := []struct {
		name    string
		w       testWallet
		testnet bool
	}{
		{"v4r2 mainnet", newTestWallet(t, 1, wallet.V4R2), false},
		{"v4r2 testnet", newTestWallet(t, 2, wallet.V4R2), true},
		{"v3r2", newTestWallet(t, 3, wallet.V3R2), false},
		{"v3r1", newTestWallet(t, 4, wallet.V3R1), true},
		{"w5", newTestWallet(t, 5, w5), true},
		{"w5 mainnet", newTestWallet(t, 6, wallet.ConfigV5R1Final{NetworkGlobalID: wallet.MainnetGlobalID}), false},
		{"w5 as library", w5lib, true},
	}
	for _, tt := range wallets {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			pol := testPolicy(tt.testnet)
			for _, domain := range []string{"pay.example.com", "localhost:8080", "PAY.example.com"} {
				proof := tt.w.sign(domain, t0.Unix(), "payload-1")
				addr, err := ton.VerifyProof(ctx, tt.w.account(tt.testnet), proof, pol)
				if err != nil {
					t.Fatalf("%s: %v", domain, err)
				}
				if !addr.Equals(tt.w.addr) {
					t.Fatalf("address %s, want %s", addr, tt.w.addr)
				}
			}
			// User-friendly address in the account is accepted too.
			acc := tt.w.account(tt.testnet)
			acc.Address = ton.FormatBounceable(tt.w.addr, tt.testnet)
			if _, err := ton.VerifyProof(ctx, acc, tt.w.sign("pay.example.com", t0.Unix(), "p"), pol); err != nil {
				t.Fatalf("user-friendly address: %v", err)
			}
		})
	}
}

func TestVerifyProofTime(t *testing.T) {
	t.Parallel()
	w := newTestWallet(t, 1, wallet.V4R2)
	pol := testPolicy(false)
	tests := []struct {
		name string
		ts   time.Time
		want error
	}{
		{"now", t0, nil},
		{"ttl old", t0.Add(-pol.TTL), nil},
		{"expired", t0.Add(-pol.TTL - time.Second), ton.ErrProofExpired},
		{"within skew", t0.Add(pol.Skew), nil},
		{"future", t0.Add(pol.Skew + time.Second), ton.ErrProofTimestamp},
		{"far future", t0.Add(24 * time.Hour), ton.ErrProofTimestamp},
		{"zero", time.Unix(0, 0), ton.ErrProofTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ton.VerifyProof(context.Background(), w.account(false), w.sign("pay.example.com", tt.ts.Unix(), "p"), pol)
			if !errors.Is(err, tt.want) || (tt.want != nil) != (err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("default ttl and skew", func(t *testing.T) {
		pol := ton.ProofPolicy{Domains: []string{"pay.example.com"}, Now: t0}
		for ts, want := range map[time.Time]error{
			t0.Add(-ton.DefaultProofTTL):               nil,
			t0.Add(-ton.DefaultProofTTL - time.Second): ton.ErrProofExpired,
			t0.Add(ton.DefaultProofSkew):               nil,
			t0.Add(ton.DefaultProofSkew + time.Second): ton.ErrProofTimestamp,
		} {
			_, err := ton.VerifyProof(context.Background(), w.account(false), w.sign("pay.example.com", ts.Unix(), "p"), pol)
			if !errors.Is(err, want) || (want != nil) != (err != nil) {
				t.Fatalf("ts %s: err = %v, want %v", ts, err, want)
			}
		}
	})
}

type fakeKeys struct {
	key ed25519.PublicKey
	err error
	n   int
}

func (f *fakeKeys) GetPublicKey(context.Context, *address.Address) (ed25519.PublicKey, error) {
	f.n++
	return f.key, f.err
}

func TestVerifyProofBadStateInit(t *testing.T) {
	t.Parallel()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	pub := key.Public().(ed25519.PublicKey)
	v4, err := wallet.GetStateInit(pub, wallet.V4R2, 0)
	if err != nil {
		t.Fatal(err)
	}
	unknownCode := cell.BeginCell().MustStoreUInt(0xdeadbeef, 32).EndCell()
	short := func(bits uint) *tlb.StateInit {
		return &tlb.StateInit{Code: v4.Code, Data: cell.BeginCell().MustStoreSlice(make([]byte, 32), bits).EndCell()}
	}
	tests := []struct {
		name string
		si   *tlb.StateInit
		keys *fakeKeys
		want error
	}{
		{"no code", &tlb.StateInit{Data: v4.Data}, nil, ton.ErrProofStateInit},
		{"no data", &tlb.StateInit{Code: v4.Code}, nil, ton.ErrProofStateInit},
		{"empty", &tlb.StateInit{}, nil, ton.ErrProofStateInit},
		{"short key", short(64 + 100), nil, ton.ErrProofPublicKey},
		{"no key", short(64), nil, ton.ErrProofPublicKey},
		{"empty data", short(0), nil, ton.ErrProofPublicKey},
		{"unknown code", &tlb.StateInit{Code: unknownCode, Data: v4.Data}, nil, ton.ErrProofUnknownWallet},
		{"unknown code, key from chain", &tlb.StateInit{Code: unknownCode, Data: v4.Data}, &fakeKeys{key: pub}, nil},
		{"unknown code, short key from chain", &tlb.StateInit{Code: unknownCode, Data: v4.Data}, &fakeKeys{key: pub[:31]}, ton.ErrProofPublicKey},
		{"unknown code, wrong key from chain", &tlb.StateInit{Code: unknownCode, Data: v4.Data}, &fakeKeys{key: make(ed25519.PublicKey, 32)}, ton.ErrProofPublicKey},
		{"library of unknown code", &tlb.StateInit{Code: libraryCell(unknownCode), Data: v4.Data}, nil, ton.ErrProofUnknownWallet},
		{"exotic data", &tlb.StateInit{Code: v4.Code, Data: libraryCell(unknownCode)}, nil, ton.ErrProofStateInit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := walletWithStateInit(t, key, tt.si)
			pol := testPolicy(false)
			if tt.keys != nil {
				pol.Keys = tt.keys
			}
			_, err := ton.VerifyProof(context.Background(), w.account(false), w.sign("pay.example.com", t0.Unix(), "p"), pol)
			if !errors.Is(err, tt.want) || (tt.want != nil) != (err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}

	w := newTestWallet(t, 7, wallet.V4R2)
	proof := w.sign("pay.example.com", t0.Unix(), "p")
	garbage := []string{"", "!!!", "dGVzdA==", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xb5, 0xee, 0x9c, 0x72, 0xff}, 20))}
	for _, g := range garbage {
		acc := w.account(false)
		acc.WalletStateInit = g
		if _, err := ton.VerifyProof(context.Background(), acc, proof, testPolicy(false)); !errors.Is(err, ton.ErrProofStateInit) {
			t.Errorf("state init %q: err = %v", g, err)
		}
	}

	t.Run("no state init, key from chain", func(t *testing.T) {
		acc := w.account(false)
		acc.WalletStateInit = ""
		keys := &fakeKeys{key: w.key.Public().(ed25519.PublicKey)}
		pol := testPolicy(false)
		pol.Keys = keys
		if _, err := ton.VerifyProof(context.Background(), acc, proof, pol); err != nil || keys.n != 1 {
			t.Fatalf("err = %v, calls %d", err, keys.n)
		}
		// A known state init never asks the chain.
		if _, err := ton.VerifyProof(context.Background(), w.account(false), proof, pol); err != nil || keys.n != 1 {
			t.Fatalf("err = %v, calls %d", err, keys.n)
		}
	})
	t.Run("chain outage is not a bad proof", func(t *testing.T) {
		acc := w.account(false)
		acc.WalletStateInit = ""
		outage := errors.New("liteserver down")
		pol := testPolicy(false)
		pol.Keys = &fakeKeys{err: outage}
		_, err := ton.VerifyProof(context.Background(), acc, proof, pol)
		if !errors.Is(err, outage) || errors.Is(err, ton.ErrProof) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a state init of another address is not saved by the chain key", func(t *testing.T) {
		acc := w.account(false)
		acc.WalletStateInit = newTestWallet(t, 8, wallet.V4R2).stateInit
		pol := testPolicy(false)
		pol.Keys = &fakeKeys{key: w.key.Public().(ed25519.PublicKey)}
		if _, err := ton.VerifyProof(context.Background(), acc, proof, pol); !errors.Is(err, ton.ErrProofStateInit) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestVerifyProofAccountChecks(t *testing.T) {
	t.Parallel()
	w := newTestWallet(t, 1, wallet.V4R2)
	proof := w.sign("pay.example.com", t0.Unix(), "p")
	tests := []struct {
		name string
		mut  func(*ton.ConnectAccount)
		want error
	}{
		{"testnet wallet on mainnet", func(a *ton.ConnectAccount) { a.Chain = ton.ChainTestnet }, ton.ErrProofNetwork},
		{"no chain", func(a *ton.ConnectAccount) { a.Chain = "" }, ton.ErrProofNetwork},
		{"testnet-flagged address", func(a *ton.ConnectAccount) { a.Address = ton.FormatAddress(w.addr, true) }, ton.ErrProofAddress},
		{"garbage address", func(a *ton.ConnectAccount) { a.Address = "0:zz" }, ton.ErrProofAddress},
		{"empty address", func(a *ton.ConnectAccount) { a.Address = "" }, ton.ErrProofAddress},
		{"masterchain address", func(a *ton.ConnectAccount) { a.Address = "-1" + a.Address[1:] }, ton.ErrProofSignature},
		{"bad public key hex", func(a *ton.ConnectAccount) { a.PublicKey = "zz" }, ton.ErrProofPublicKey},
		{"no public key is fine", func(a *ton.ConnectAccount) { a.PublicKey = "" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc := w.account(false)
			tt.mut(&acc)
			_, err := ton.VerifyProof(context.Background(), acc, proof, testPolicy(false))
			if !errors.Is(err, tt.want) || (tt.want != nil) != (err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("no domains allowed", func(t *testing.T) {
		pol := testPolicy(false)
		pol.Domains = nil
		if _, err := ton.VerifyProof(context.Background(), w.account(false), proof, pol); !errors.Is(err, ton.ErrProofDomain) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("domain needs its port", func(t *testing.T) {
		p := w.sign("localhost", t0.Unix(), "p")
		if _, err := ton.VerifyProof(context.Background(), w.account(false), p, testPolicy(false)); !errors.Is(err, ton.ErrProofDomain) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("empty domain", func(t *testing.T) {
		p := w.sign("", t0.Unix(), "p")
		pol := testPolicy(false)
		pol.Domains = append(pol.Domains, "")
		if _, err := ton.VerifyProof(context.Background(), w.account(false), p, pol); !errors.Is(err, ton.ErrProofDomain) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestProofJSON(t *testing.T) {
	t.Parallel()
	for _, ts := range []string{`1718913764`, `"1718913764"`} {
		var p ton.Proof
		raw := `{"timestamp":` + ts + `,"domain":{"lengthBytes":3,"value":"a.b"},"payload":"x","signature":"c2ln"}`
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatalf("%s: %v", ts, err)
		}
		if p.Timestamp != 1718913764 || p.Domain.Value != "a.b" || p.Domain.LengthBytes != 3 {
			t.Fatalf("%s: %+v", ts, p)
		}
	}
	for _, ts := range []string{`1.5`, `"abc"`, `null`, `{}`, `"1e9"`} {
		var p ton.Proof
		if err := json.Unmarshal([]byte(`{"timestamp":`+ts+`}`), &p); err == nil {
			t.Errorf("timestamp %s accepted", ts)
		}
	}
	var a ton.ConnectAccount
	raw := `{"address":"0:ab","chain":"-3","walletStateInit":"te6c","publicKey":"cd"}`
	if err := json.Unmarshal([]byte(raw), &a); err != nil || a != (ton.ConnectAccount{Address: "0:ab", Chain: "-3", WalletStateInit: "te6c", PublicKey: "cd"}) {
		t.Fatalf("%+v %v", a, err)
	}
}

func TestProofIssuer(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte("k"), 32)
	iss := ton.NewProofIssuer(secret, 5*time.Minute)
	p, err := iss.Payload(t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) > 64 || strings.ContainsAny(p, "+/=") {
		t.Fatalf("payload %q: too long or not url-safe", p)
	}
	nonce, exp, err := iss.Check(p, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(nonce) != 32 || !exp.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("nonce %q expires %s", nonce, exp)
	}
	p2, _ := iss.Payload(t0)
	if n2, _, _ := iss.Check(p2, t0); p2 == p || n2 == nonce {
		t.Fatal("payloads repeat")
	}

	t.Run("expired", func(t *testing.T) {
		for _, now := range []time.Time{t0.Add(5 * time.Minute), t0.Add(time.Hour)} {
			if _, _, err := iss.Check(p, now); !errors.Is(err, ton.ErrProofPayloadExpired) || !errors.Is(err, ton.ErrProof) {
				t.Fatalf("err = %v", err)
			}
		}
	})
	t.Run("tampered", func(t *testing.T) {
		raw, _ := base64.RawURLEncoding.DecodeString(p)
		for i := range raw {
			b := bytes.Clone(raw)
			b[i] ^= 0x40
			if _, _, err := iss.Check(base64.RawURLEncoding.EncodeToString(b), t0); !errors.Is(err, ton.ErrProofPayload) {
				t.Fatalf("byte %d: err = %v", i, err)
			}
		}
	})
	t.Run("other secret", func(t *testing.T) {
		other := ton.NewProofIssuer(bytes.Repeat([]byte("j"), 32), 5*time.Minute)
		if _, _, err := other.Check(p, t0); !errors.Is(err, ton.ErrProofPayload) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		for _, bad := range []string{"", "x", p + "A", p[:len(p)-1], p + "==", strings.ToUpper(p), "mypayload", " " + p} {
			if _, _, err := iss.Check(bad, t0); !errors.Is(err, ton.ErrProofPayload) {
				t.Errorf("%q: err = %v", bad, err)
			}
		}
	})
	t.Run("short secret", func(t *testing.T) {
		weak := ton.NewProofIssuer([]byte("short"), time.Minute)
		if _, err := weak.Payload(t0); err == nil {
			t.Fatal("short secret issued a payload")
		}
		if _, _, err := weak.Check(p, t0); err == nil {
			t.Fatal("short secret checked a payload")
		}
	})
}

func TestProofIssuerVerifyProof(t *testing.T) {
	t.Parallel()
	iss := ton.NewProofIssuer(bytes.Repeat([]byte("k"), 32), 5*time.Minute)
	w := newTestWallet(t, 3, wallet.V4R2)
	payload, err := iss.Payload(t0.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	proof := w.sign("pay.example.com", t0.Unix(), payload)
	addr, nonce, err := iss.VerifyProof(context.Background(), w.account(false), proof, testPolicy(false))
	if err != nil || !addr.Equals(w.addr) {
		t.Fatalf("addr %v err %v", addr, err)
	}
	if want, _, _ := iss.Check(payload, t0); nonce != want {
		t.Fatalf("nonce %q, want %q", nonce, want)
	}

	foreign := w.sign("pay.example.com", t0.Unix(), "mypayload")
	if _, _, err := iss.VerifyProof(context.Background(), w.account(false), foreign, testPolicy(false)); !errors.Is(err, ton.ErrProofPayload) {
		t.Fatalf("foreign payload: %v", err)
	}
	pol := testPolicy(false)
	pol.Now = t0.Add(5 * time.Minute)
	if _, _, err := iss.VerifyProof(context.Background(), w.account(false), proof, pol); !errors.Is(err, ton.ErrProofPayloadExpired) {
		t.Fatalf("expired payload: %v", err)
	}
	bad := proof
	bad.Signature = flipB64(t, bad.Signature, 0)
	if _, _, err := iss.VerifyProof(context.Background(), w.account(false), bad, testPolicy(false)); !errors.Is(err, ton.ErrProofSignature) {
		t.Fatalf("bad signature: %v", err)
	}
}

// FuzzVerifyProof feeds crafted state inits, signatures and fields. The
// address is the state init's own hash when it parses, so the fuzzer gets
// past the hash check into code and data parsing. Nothing may panic and
// nothing may verify.
func FuzzVerifyProof(f *testing.F) {
	w5 := wallet.ConfigV5R1Final{NetworkGlobalID: wallet.MainnetGlobalID}
	for i, ver := range []wallet.VersionConfig{wallet.V4R2, wallet.V3R1, w5} {
		w := newTestWallet(f, byte(i+1), ver)
		boc, _ := base64.StdEncoding.DecodeString(w.stateInit)
		// Signed by a key no state init holds: no mutation can make it valid.
		stranger := w
		stranger.key = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xee}, 32))
		sig, _ := base64.StdEncoding.DecodeString(stranger.sign("pay.example.com", t0.Unix(), "p").Signature)
		f.Add(boc, sig, "pay.example.com", uint32(15), t0.Unix(), "p")
	}
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	si, _ := wallet.GetStateInit(key.Public().(ed25519.PublicKey), w5, 0)
	si.Code = libraryCell(si.Code)
	c, _ := tlb.ToCell(si)
	f.Add(c.ToBOC(), make([]byte, 64), "pay.example.com", uint32(15), t0.Unix(), "")
	w5beta, _ := base64.StdEncoding.DecodeString(w5BetaWallet(f, 0x0b, wallet.MainnetGlobalID).stateInit)
	f.Add(w5beta, make([]byte, 64), "pay.example.com", uint32(15), t0.Unix(), "p")
	f.Add([]byte("garbage"), []byte{}, "", uint32(0), int64(-1), "")
	// Found by the fuzzer: a 39-byte BOC whose header made tonutils-go
	// allocate terabytes.
	f.Add([]byte("\xb5\xee\x9cr\x15\x00\x19\xad\xcev\xa2h@ k\x90\xeb\x85\xff\xc0\x00\x19\xaf\x1d\xf6\xa2h@\x10k\x90\xeb\x85\x8f\xc0\x1c\xe3\x8b\x8a"), make([]byte, 64), "pay.example.com", uint32(15), t0.Unix(), "P")
	f.Add([]byte{0xb5, 0xee, 0x9c, 0x72, 0x41, 0x01, 0x01, 0x01, 0x00, 0x02, 0x00, 0x00, 0x4c, 0xac, 0xb9, 0xcd}, make([]byte, 64), "pay.example.com", uint32(15), t0.Unix(), "p")

	f.Fuzz(func(t *testing.T, boc, sig []byte, domain string, domainLen uint32, ts int64, payload string) {
		addr := "0:" + strings.Repeat("00", 32)
		if root, err := ton.ParseBOC(boc); err == nil {
			addr = "0:" + hex.EncodeToString(root.Hash())
		}
		for _, keys := range []ton.PublicKeyFetcher{nil, &fakeKeys{key: make([]byte, 5)}} {
			pol := testPolicy(false)
			pol.Domains = append(pol.Domains, domain)
			pol.Now = time.Unix(ts, 0)
			pol.Keys = keys
			acc := ton.ConnectAccount{Address: addr, Chain: ton.ChainMainnet, WalletStateInit: base64.StdEncoding.EncodeToString(boc)}
			proof := ton.Proof{
				Timestamp: ton.ProofTimestamp(ts),
				Domain:    ton.ProofDomain{LengthBytes: domainLen, Value: domain},
				Payload:   payload,
				Signature: base64.StdEncoding.EncodeToString(sig),
			}
			if _, err := ton.VerifyProof(context.Background(), acc, proof, pol); err == nil {
				t.Fatalf("verified a fuzzed proof")
			}
		}
	})
}

// w5BetaCodeHash is the code of W5 beta (Tonkeeper's W5 through 2024).
const w5BetaCodeHash = "e4cf3b2f4c6d6a61ea0f2b5447d266785b26af3637db2deee6bcd1aa826f3412"

// libraryOf is an exotic library cell (type 2) carrying a library's hash:
// what wallets send as the code of a W5.
func libraryOf(t testing.TB, hexHash string) *cell.Cell {
	t.Helper()
	h, err := hex.DecodeString(hexHash)
	if err != nil || len(h) != 32 {
		t.Fatalf("hash %q", hexHash)
	}
	c, err := cell.BeginCell().MustStoreUInt(uint64(cell.LibraryCellType), 8).MustStoreSlice(h, 256).EndCellSpecial(true)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withLibraryWithRef is a wallet whose state init's code is a library cell
// (W5 beta's hash) with a ref, which no valid cell is. The library refuses to
// build one, so the code is built as an ordinary cell and its descriptor's
// special bit is set in the serialized BOC; the address is the hash of the
// state init as built.
func withLibraryWithRef(t testing.TB, key ed25519.PrivateKey, data *cell.Cell) testWallet {
	t.Helper()
	h, err := hex.DecodeString(w5BetaCodeHash)
	if err != nil {
		t.Fatal(err)
	}
	code := cell.BeginCell().MustStoreUInt(uint64(cell.LibraryCellType), 8).MustStoreSlice(h, 256).
		MustStoreRef(cell.BeginCell().EndCell()).EndCell()
	si := &tlb.StateInit{Code: code, Data: data}
	w := walletWithStateInit(t, key, si)
	root, err := tlb.ToCell(si)
	if err != nil {
		t.Fatal(err)
	}
	boc := root.ToBOCWithFlags(false) // no CRC, which the change would break
	// d1 = 1 ref, not special; d2 = 264 bits; then the tag and the hash.
	ordinary := append([]byte{0x01, 0x42, byte(cell.LibraryCellType)}, h...)
	if bytes.Count(boc, ordinary) != 1 {
		t.Fatal("the code cell is not found once in the state init's BOC")
	}
	i := bytes.Index(boc, ordinary)
	boc[i] |= 0x08 // the special bit of d1
	w.stateInit = base64.StdEncoding.EncodeToString(boc)
	return w
}

// w5BetaData lays out a W5 beta data cell: seqno:33, wallet_id:80 (network
// id int32, workchain int8, version uint8, subwallet uint32), key:256,
// extensions:1 bit (an empty dict).
func w5BetaData(pub ed25519.PublicKey, network int32, subwallet uint32) *cell.Builder {
	return cell.BeginCell().
		MustStoreUInt(0, 33).
		MustStoreInt(int64(network), 32).
		MustStoreInt(0, 8).
		MustStoreUInt(0, 8).
		MustStoreUInt(uint64(subwallet), 32).
		MustStoreSlice(pub, 256).
		MustStoreBoolBit(false)
}

// w5BetaWallet is an undeployed W5 beta wallet as Tonkeeper sends it: code
// a library cell pointing at the W5 beta code, data holding the key.
func w5BetaWallet(t testing.TB, seed byte, network int32) testWallet {
	t.Helper()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32))
	data := w5BetaData(key.Public().(ed25519.PublicKey), network, 0).EndCell()
	return walletWithStateInit(t, key, &tlb.StateInit{Code: libraryOf(t, w5BetaCodeHash), Data: data})
}

// noChain is a fetcher that must not be asked.
func noChain() *fakeKeys {
	return &fakeKeys{err: errors.New("the chain must not be asked")}
}

func TestVerifyProofW5Beta(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("same state init as tonutils-go's W5 beta", func(t *testing.T) {
		// Our layout, built by hand, against tonutils-go's own V5R1Beta
		// state init (a library cell too): the same address.
		for _, net := range []int32{wallet.MainnetGlobalID, wallet.TestnetGlobalID} {
			key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x51}, 32))
			theirs, err := wallet.GetStateInit(key.Public().(ed25519.PublicKey), wallet.ConfigV5R1Beta{NetworkGlobalID: net}, 0)
			if err != nil {
				t.Fatal(err)
			}
			if theirs.Code.GetType() != cell.LibraryCellType {
				t.Fatalf("tonutils-go's W5 beta code is a %v cell", theirs.Code.GetType())
			}
			if got := w5BetaWallet(t, 0x51, net); !got.addr.Equals(walletWithStateInit(t, key, theirs).addr) {
				t.Fatalf("network %d: our W5 beta state init is not tonutils-go's", net)
			}
		}
	})

	for _, tt := range []struct {
		name    string
		w       testWallet
		testnet bool
	}{
		{"mainnet", w5BetaWallet(t, 0x61, wallet.MainnetGlobalID), false},
		{"testnet", w5BetaWallet(t, 0x62, wallet.TestnetGlobalID), true},
	} {
		t.Run(tt.name+" links without the chain", func(t *testing.T) {
			pol := testPolicy(tt.testnet)
			keys := noChain()
			pol.Keys = keys
			addr, err := ton.VerifyProof(ctx, tt.w.account(tt.testnet), tt.w.sign("pay.example.com", t0.Unix(), "p"), pol)
			if err != nil || !addr.Equals(tt.w.addr) {
				t.Fatalf("addr %v, err %v", addr, err)
			}
			// The state init as some backends forward it, in the proof.
			acc, proof := tt.w.account(tt.testnet), tt.w.sign("pay.example.com", t0.Unix(), "p")
			acc.WalletStateInit, proof.StateInit = "", acc.WalletStateInit
			if _, err := ton.VerifyProof(ctx, acc, proof, pol); err != nil {
				t.Fatalf("state init in the proof: %v", err)
			}
			// As the Mini App links it: a payload we issued, its nonce back.
			iss := ton.NewProofIssuer(bytes.Repeat([]byte("k"), 32), 5*time.Minute)
			payload, err := iss.Payload(t0)
			if err != nil {
				t.Fatal(err)
			}
			addr, nonce, err := iss.VerifyProof(ctx, tt.w.account(tt.testnet), tt.w.sign("pay.example.com", t0.Unix(), payload), pol)
			if err != nil || !addr.Equals(tt.w.addr) || nonce == "" {
				t.Fatalf("issuer: addr %v, nonce %q, err %v", addr, nonce, err)
			}
			if keys.n != 0 {
				t.Fatalf("the chain was asked %d times for a wallet whose state init gives the key", keys.n)
			}
		})
	}

	w := w5BetaWallet(t, 0x63, wallet.MainnetGlobalID)
	key := w.key
	pub := key.Public().(ed25519.PublicKey)
	other := w5BetaWallet(t, 0x64, wallet.MainnetGlobalID)
	withData := func(b *cell.Builder) testWallet {
		return walletWithStateInit(t, key, &tlb.StateInit{Code: libraryOf(t, w5BetaCodeHash), Data: b.EndCell()})
	}
	bits := func(n uint) *cell.Builder {
		full := w5BetaData(pub, wallet.MainnetGlobalID, 0).EndCell().MustBeginParse()
		return cell.BeginCell().MustStoreSlice(full.MustLoadSlice(n), n)
	}
	tests := []struct {
		name string
		w    testWallet
		mut  func(a *ton.ConnectAccount, p *ton.Proof, pol *ton.ProofPolicy)
		want error
	}{
		{"as signed", w, nil, nil},
		{"another domain", w, func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
			p.Domain = ton.ProofDomain{LengthBytes: 14, Value: "localhost:8080"} // allowed, not signed
		}, ton.ErrProofSignature},
		{"a domain not allowed", w, func(_ *ton.ConnectAccount, p *ton.Proof, pol *ton.ProofPolicy) {
			pol.Domains = []string{"other.example.com"}
		}, ton.ErrProofDomain},
		{"another payload", w, func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
			p.Payload = "q"
		}, ton.ErrProofSignature},
		{"another timestamp", w, func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
			p.Timestamp--
		}, ton.ErrProofSignature},
		{"a flipped signature bit", w, func(_ *ton.ConnectAccount, p *ton.Proof, _ *ton.ProofPolicy) {
			sig, _ := base64.StdEncoding.DecodeString(p.Signature)
			sig[33] ^= 0x10
			p.Signature = base64.StdEncoding.EncodeToString(sig)
		}, ton.ErrProofSignature},
		{"a state init whose hash is not the address", w, func(a *ton.ConnectAccount, _ *ton.Proof, _ *ton.ProofPolicy) {
			a.WalletStateInit = other.stateInit
		}, ton.ErrProofStateInit},
		{"an address that is not the state init's", w, func(a *ton.ConnectAccount, _ *ton.Proof, _ *ton.ProofPolicy) {
			a.Address = other.addr.StringRaw()
		}, ton.ErrProofStateInit},
		{"the key of another wallet", w, func(a *ton.ConnectAccount, _ *ton.Proof, _ *ton.ProofPolicy) {
			a.PublicKey = hex.EncodeToString(other.key.Public().(ed25519.PublicKey))
		}, ton.ErrProofPublicKey},
		{"no extensions bit", withData(bits(113 + 256)), nil, nil},
		{"data a bit too short", withData(bits(113 + 255)), nil, ton.ErrProofPublicKey},
		{"data without the key", withData(bits(113)), nil, ton.ErrProofPublicKey},
		{"data of the wallet_id only", withData(bits(100)), nil, ton.ErrProofPublicKey},
		{"empty data", withData(cell.BeginCell()), nil, ton.ErrProofPublicKey},
		{"data in the W5 final layout", withData(cell.BeginCell().
			MustStoreBoolBit(true).MustStoreUInt(0, 32).MustStoreUInt(0, 32).
			MustStoreSlice(pub, 256).MustStoreBoolBit(false)), nil, ton.ErrProofPublicKey}, // 322 bits
		{"the key at W5 final's offset", withData(cell.BeginCell().
			MustStoreBoolBit(true).MustStoreUInt(0, 32).MustStoreUInt(0, 32).
			MustStoreSlice(pub, 256).MustStoreUInt(0, 49)), func(a *ton.ConnectAccount, _ *ton.Proof, _ *ton.ProofPolicy) {
			a.PublicKey = "" // the key is read at bit 113, so it is another one
		}, ton.ErrProofSignature},
		{"the W5 beta code hash one bit off", walletWithStateInit(t, key, &tlb.StateInit{
			Code: libraryOf(t, "e4cf3b2f4c6d6a61ea0f2b5447d266785b26af3637db2deee6bcd1aa826f3413"),
			Data: w5BetaData(pub, wallet.MainnetGlobalID, 0).EndCell(),
		}), nil, ton.ErrProofUnknownWallet},
		// tonutils-go (v1.18) no longer builds or parses a library cell with
		// a ref, so the crafted cell arrives in the BOC and the BOC is refused.
		{"a library cell with a ref", withLibraryWithRef(t, key, w5BetaData(pub, wallet.MainnetGlobalID, 0).EndCell()),
			nil, ton.ErrProofStateInit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acc, proof, pol := tt.w.account(false), tt.w.sign("pay.example.com", t0.Unix(), "p"), testPolicy(false)
			if tt.mut != nil {
				tt.mut(&acc, &proof, &pol)
			}
			_, err := ton.VerifyProof(ctx, acc, proof, pol)
			if !errors.Is(err, tt.want) || (tt.want != nil) != (err != nil) || (err != nil && !errors.Is(err, ton.ErrProof)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// A state init of a known code never falls back to the chain,
			// not even when its data is bad.
			if errors.Is(tt.want, ton.ErrProofPublicKey) {
				keys := &fakeKeys{key: pub}
				pol.Keys = keys
				if _, err := ton.VerifyProof(ctx, acc, proof, pol); !errors.Is(err, tt.want) || keys.n != 0 {
					t.Fatalf("with a chain: err = %v, calls %d", err, keys.n)
				}
			}
		})
	}
}

// TestVerifyProofBuiltStateInits signs proofs with state inits laid out by
// hand (the code is tonutils-go's: there is no other copy) and checks them
// against tonutils-go's, in ordinary and library form.
func TestVerifyProofBuiltStateInits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x71}, 32))
	pub := key.Public().(ed25519.PublicKey)
	codeOf := func(ver wallet.VersionConfig) *cell.Cell {
		si, err := wallet.GetStateInit(pub, ver, wallet.DefaultSubwallet)
		if err != nil {
			t.Fatal(err)
		}
		return si.Code
	}
	v3r2Data := cell.BeginCell().
		MustStoreUInt(0, 32).                               // seqno
		MustStoreUInt(uint64(wallet.DefaultSubwallet), 32). // subwallet
		MustStoreSlice(pub, 256).
		EndCell()
	w5 := wallet.ConfigV5R1Final{NetworkGlobalID: wallet.MainnetGlobalID}
	sub := uint32(wallet.DefaultSubwallet)
	w5ID := wallet.V5R1ID{NetworkGlobalID: wallet.MainnetGlobalID, SubwalletNumber: uint16(sub)} // as tonutils-go truncates it
	w5Data := cell.BeginCell().
		MustStoreBoolBit(true).                       // signature allowed
		MustStoreUInt(0, 32).                         // seqno
		MustStoreUInt(uint64(w5ID.Serialized()), 32). // wallet_id
		MustStoreSlice(pub, 256).
		MustStoreBoolBit(false). // extensions: empty dict
		EndCell()
	w5Code := codeOf(w5)
	w5Lib := libraryOf(t, hex.EncodeToString(w5Code.Hash()))

	tests := []struct {
		name string
		si   *tlb.StateInit
		same wallet.VersionConfig // tonutils-go's state init this must equal; nil when none
	}{
		{"v3r2", &tlb.StateInit{Code: codeOf(wallet.V3R2), Data: v3r2Data}, wallet.V3R2},
		{"w5 final", &tlb.StateInit{Code: w5Code, Data: w5Data}, w5},
		{"w5 final as library", &tlb.StateInit{Code: w5Lib, Data: w5Data}, nil},
		{"w5 final as library of the known hash", &tlb.StateInit{
			Code: libraryOf(t, "20834b7b72b112147e1b2fb457b84e74d1a30f04f737d4f62a668e9552d2b72f"), Data: w5Data,
		}, nil},
		{"v3r2 as library", &tlb.StateInit{Code: libraryCell(codeOf(wallet.V3R2)), Data: v3r2Data}, nil},
		{"v4r1", &tlb.StateInit{Code: codeOf(wallet.V4R1), Data: cell.BeginCell().
			MustStoreUInt(0, 32).MustStoreUInt(uint64(wallet.DefaultSubwallet), 32).MustStoreSlice(pub, 256).MustStoreDict(nil).EndCell(),
		}, wallet.V4R1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := walletWithStateInit(t, key, tt.si)
			if tt.same != nil {
				theirs, err := wallet.GetStateInit(pub, tt.same, wallet.DefaultSubwallet)
				if err != nil {
					t.Fatal(err)
				}
				if !w.addr.Equals(walletWithStateInit(t, key, theirs).addr) {
					t.Fatal("state init built by hand is not tonutils-go's")
				}
			}
			pol := testPolicy(false)
			keys := noChain()
			pol.Keys = keys
			addr, err := ton.VerifyProof(ctx, w.account(false), w.sign("pay.example.com", t0.Unix(), "p"), pol)
			if err != nil || !addr.Equals(w.addr) || keys.n != 0 {
				t.Fatalf("addr %v, err %v, chain asked %d times", addr, err, keys.n)
			}
			bad := w.sign("pay.example.com", t0.Unix(), "p")
			bad.Signature = flipB64(t, bad.Signature, 63)
			if _, err := ton.VerifyProof(ctx, w.account(false), bad, pol); !errors.Is(err, ton.ErrProofSignature) {
				t.Fatalf("flipped signature: %v", err)
			}
		})
	}
}

// TestVerifyProofUnknownCode: only a code we do not know asks the chain's
// get_public_key; when the chain cannot give the key, the refusal says why.
func TestVerifyProofUnknownCode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x81}, 32))
	pub := key.Public().(ed25519.PublicKey)
	// Some wallet we do not know, its key where a V4 has it.
	unknownCode := cell.BeginCell().MustStoreUInt(0xfeedface, 32).EndCell()
	data := cell.BeginCell().MustStoreUInt(0, 64).MustStoreSlice(pub, 256).EndCell()
	forms := []struct {
		name string
		code *cell.Cell
	}{
		{"ordinary", unknownCode},
		{"library", libraryOf(t, hex.EncodeToString(unknownCode.Hash()))},
	}
	notDeployed := tonapi.ContractExecError{Code: tonapi.ErrCodeContractNotInitialized}
	for _, form := range forms {
		w := walletWithStateInit(t, key, &tlb.StateInit{Code: form.code, Data: data})
		proof := w.sign("pay.example.com", t0.Unix(), "p")
		run := func(keys ton.PublicKeyFetcher) error {
			pol := testPolicy(false)
			pol.Keys = keys
			addr, err := ton.VerifyProof(ctx, w.account(false), proof, pol)
			if err == nil && !addr.Equals(w.addr) {
				t.Fatalf("address %s, want %s", addr, w.addr)
			}
			return err
		}
		t.Run(form.name+"/chain gives the key", func(t *testing.T) {
			keys := &fakeKeys{key: pub}
			if err := run(keys); err != nil || keys.n != 1 {
				t.Fatalf("err = %v, calls %d", err, keys.n)
			}
		})
		t.Run(form.name+"/chain gives another key", func(t *testing.T) {
			acc := w.account(false)
			acc.PublicKey = ""
			pol := testPolicy(false)
			pol.Keys = &fakeKeys{key: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x82}, 32)).Public().(ed25519.PublicKey)}
			if _, err := ton.VerifyProof(ctx, acc, proof, pol); !errors.Is(err, ton.ErrProofSignature) {
				t.Fatalf("err = %v", err)
			}
		})
		for _, fail := range []struct {
			name string
			err  error
		}{
			{"wallet not deployed", notDeployed},
			{"wallet not deployed, wrapped", fmt.Errorf("get_public_key: %w", notDeployed)},
			{"no get_public_key", tonapi.ContractExecError{Code: 11}},
			{"no key in the result", fmt.Errorf("get_public_key: %w", tonapi.ErrIncorrectResultType)},
		} {
			t.Run(form.name+"/chain has no key: "+fail.name, func(t *testing.T) {
				keys := &fakeKeys{err: fail.err}
				err := run(keys)
				if !errors.Is(err, ton.ErrProofUnknownWallet) || !errors.Is(err, ton.ErrProof) || keys.n != 1 {
					t.Fatalf("err = %v, calls %d", err, keys.n)
				}
				msg := err.Error()
				for _, want := range []string{"code", "is not one we know", "the chain could not give its key", fail.err.Error()} {
					if !strings.Contains(msg, want) {
						t.Fatalf("%q does not say %q", msg, want)
					}
				}
			})
		}
		t.Run(form.name+"/chain unreachable", func(t *testing.T) {
			outage := errors.New("liteserver down")
			err := run(&fakeKeys{err: outage})
			// An outage is not a bad proof (the Mini App answers 503, try
			// again), but it still says what was tried.
			if !errors.Is(err, outage) || errors.Is(err, ton.ErrProof) {
				t.Fatalf("err = %v", err)
			}
			if msg := err.Error(); !strings.Contains(msg, "is not one we know") || !strings.Contains(msg, "could not be asked") {
				t.Fatalf("%q does not say why the chain was asked", msg)
			}
		})
		t.Run(form.name+"/no chain", func(t *testing.T) {
			err := run(nil)
			if !errors.Is(err, ton.ErrProofUnknownWallet) || !strings.Contains(err.Error(), "is not one we know") {
				t.Fatalf("err = %v", err)
			}
		})
		t.Run(form.name+"/keys of the wrong length", func(t *testing.T) {
			for _, k := range []ed25519.PublicKey{nil, {}, pub[:31], append(bytes.Clone(pub), 0), make(ed25519.PublicKey, 64)} {
				acc := w.account(false)
				acc.PublicKey = ""
				pol := testPolicy(false)
				pol.Keys = &fakeKeys{key: k}
				if _, err := ton.VerifyProof(ctx, acc, proof, pol); !errors.Is(err, ton.ErrProofPublicKey) {
					t.Fatalf("key of %d bytes: err = %v", len(k), err)
				}
			}
		})
	}

	t.Run("no state init, wallet not deployed", func(t *testing.T) {
		w := newTestWallet(t, 0x83, wallet.V4R2)
		acc := w.account(false)
		acc.WalletStateInit = ""
		pol := testPolicy(false)
		pol.Keys = &fakeKeys{err: notDeployed}
		_, err := ton.VerifyProof(ctx, acc, w.sign("pay.example.com", t0.Unix(), "p"), pol)
		if !errors.Is(err, ton.ErrProofStateInit) || !strings.Contains(err.Error(), "the chain could not give its key") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestVerifyProofLimits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := w5BetaWallet(t, 0x91, wallet.MainnetGlobalID)
	host := func(n int) string { return strings.Repeat("a", n-len(".example.com")) + ".example.com" }
	pol := testPolicy(false)
	pol.Domains = append(pol.Domains, host(128), host(129), host(100))

	t.Run("domain", func(t *testing.T) {
		if _, err := ton.VerifyProof(ctx, w.account(false), w.sign(host(128), t0.Unix(), "p"), pol); err != nil {
			t.Fatalf("128 bytes: %v", err)
		}
		_, err := ton.VerifyProof(ctx, w.account(false), w.sign(host(129), t0.Unix(), "p"), pol)
		if !errors.Is(err, ton.ErrProofTooLong) || !errors.Is(err, ton.ErrProof) || !strings.Contains(err.Error(), "129 bytes") {
			t.Fatalf("129 bytes: %v", err)
		}
	})

	iss := ton.NewProofIssuer(bytes.Repeat([]byte("k"), 32), 5*time.Minute)
	payload, err := iss.Payload(t0)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("issued payload", func(t *testing.T) {
		if _, _, err := iss.VerifyProof(ctx, w.account(false), w.sign(host(128), t0.Unix(), payload), pol); err != nil {
			t.Fatalf("128-byte domain and our payload: %v", err)
		}
	})
	for _, tt := range []struct {
		name            string
		domain, payload string
	}{
		{"payload of 129 bytes", "pay.example.com", strings.Repeat("p", 129)},
		{"payload of 128 bytes and a domain of 100", host(100), payload + strings.Repeat("p", 128-len(payload))},
		{"domain of 129 bytes", host(129), payload},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := iss.VerifyProof(ctx, w.account(false), w.sign(tt.domain, t0.Unix(), tt.payload), pol)
			if !errors.Is(err, ton.ErrProofTooLong) || !errors.Is(err, ton.ErrProof) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("check", func(t *testing.T) {
		if _, _, err := iss.Check(strings.Repeat("A", 129), t0); !errors.Is(err, ton.ErrProofTooLong) {
			t.Fatalf("err = %v", err)
		}
		if _, _, err := iss.Check(strings.Repeat("A", 128), t0); !errors.Is(err, ton.ErrProofPayload) {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestVerifyProofCraftedW5Beta flips every bit of a W5 beta state init and
// offers each as the state init of its own hash: nothing may panic, nothing
// may verify (the proof is signed by a key no state init holds).
func TestVerifyProofCraftedW5Beta(t *testing.T) {
	t.Parallel()
	w := w5BetaWallet(t, 0xa1, wallet.MainnetGlobalID)
	stranger := w
	stranger.key = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0xa2}, 32))
	proof := stranger.sign("pay.example.com", t0.Unix(), "p")
	boc, err := base64.StdEncoding.DecodeString(w.stateInit)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(boc)*8; i++ {
		b := bytes.Clone(boc)
		b[i/8] ^= 1 << (i % 8)
		addr := w.addr.StringRaw()
		if root, err := ton.ParseBOC(b); err == nil {
			addr = "0:" + hex.EncodeToString(root.Hash())
		}
		for _, keys := range []ton.PublicKeyFetcher{nil, &fakeKeys{key: make([]byte, 5)}} {
			pol := testPolicy(false)
			pol.Keys = keys
			acc := ton.ConnectAccount{Address: addr, Chain: ton.ChainMainnet, WalletStateInit: base64.StdEncoding.EncodeToString(b)}
			if _, err := ton.VerifyProof(context.Background(), acc, proof, pol); err == nil {
				t.Fatalf("bit %d: verified", i)
			}
		}
	}
}

// tonutils-go (v1.13+) has a ton_proof verifier of its own; VerifyProof is
// kept (see its comment). The library's is a second implementation of the
// digest: it must accept what ours accepts on the third-party fixtures and
// on proofs of the wallets its own codes cover. Where ours does better, the
// case is pinned here, so that an upgrade that closes the gap is noticed.
func TestProofAgainstTonutilsVerifier(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	libVerify := func(addrRaw, domain string, p ton.Proof, stateInit string) error {
		t.Helper()
		addr, err := address.ParseRawAddr(addrRaw)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := base64.StdEncoding.DecodeString(p.Signature)
		if err != nil {
			t.Fatal(err)
		}
		si, err := base64.StdEncoding.DecodeString(stateInit)
		if err != nil {
			t.Fatal(err)
		}
		var lp wallet.TonConnectProof
		lp.Timestamp, lp.Signature, lp.Payload = int64(p.Timestamp), sig, p.Payload
		lp.Domain.LengthBytes, lp.Domain.Value = p.Domain.LengthBytes, p.Domain.Value
		// Its clock cannot be set: a window wide enough for the proof's age.
		ttl := time.Since(time.Unix(int64(p.Timestamp), 0)) + time.Hour
		return wallet.NewTonConnectVerifier(domain, ttl, nil).VerifyProof(ctx, addr, lp, p.Payload, si)
	}

	for _, v := range proofVectors(t) {
		if !v.Valid {
			continue
		}
		if _, err := ton.VerifyProof(ctx, v.account(), v.Proof, v.policy()); err != nil {
			t.Fatalf("%s: ours: %v", v.Name, err)
		}
		if err := libVerify(v.Address, v.Proof.Domain.Value, v.Proof, v.Proof.StateInit); err != nil {
			t.Fatalf("%s: tonutils-go refuses a fixture ours accepts: %v", v.Name, err)
		}
		bad := v.Proof
		bad.Signature = flipB64(t, bad.Signature, 3)
		if err := libVerify(v.Address, v.Proof.Domain.Value, bad, v.Proof.StateInit); err == nil {
			t.Fatalf("%s: tonutils-go accepts a flipped signature", v.Name)
		}
	}

	now := time.Now()
	pol := testPolicy(false)
	pol.Now = now
	for _, w := range []testWallet{
		newTestWallet(t, 0x21, wallet.V4R2),
		newTestWallet(t, 0x22, wallet.ConfigV5R1Final{NetworkGlobalID: wallet.MainnetGlobalID}),
		w5BetaWallet(t, 0x23, wallet.MainnetGlobalID),
	} {
		proof := w.sign("pay.example.com", now.Unix(), "p")
		if _, err := ton.VerifyProof(ctx, w.account(false), proof, pol); err != nil {
			t.Fatalf("%s: ours: %v", w.addr.StringRaw(), err)
		}
		if err := libVerify(w.addr.StringRaw(), "pay.example.com", proof, w.stateInit); err != nil {
			t.Fatalf("%s: tonutils-go: %v", w.addr.StringRaw(), err)
		}
	}

	// W5 final sent as a library cell, as wallets deploy it.
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{0x24}, 32))
	si, err := wallet.GetStateInit(key.Public().(ed25519.PublicKey), wallet.ConfigV5R1Final{NetworkGlobalID: wallet.MainnetGlobalID}, wallet.DefaultSubwallet)
	if err != nil {
		t.Fatal(err)
	}
	si.Code = libraryCell(si.Code)
	w := walletWithStateInit(t, key, si)
	proof := w.sign("pay.example.com", now.Unix(), "p")
	if _, err := ton.VerifyProof(ctx, w.account(false), proof, pol); err != nil {
		t.Fatalf("W5 as a library cell: ours: %v", err)
	}
	if err := libVerify(w.addr.StringRaw(), "pay.example.com", proof, w.stateInit); err == nil {
		t.Fatal("tonutils-go now verifies W5 sent as a library cell: see whether ton.VerifyProof can use its verifier")
	}

	// A timestamp ahead of the clock: ours allows Skew, the library its
	// whole window.
	ahead := now.Add(5 * time.Minute).Unix()
	w = newTestWallet(t, 0x25, wallet.V4R2)
	proof = w.sign("pay.example.com", ahead, "p")
	if _, err := ton.VerifyProof(ctx, w.account(false), proof, pol); !errors.Is(err, ton.ErrProofTimestamp) {
		t.Fatalf("ours, 5 min ahead: %v", err)
	}
	var lp wallet.TonConnectProof
	lp.Timestamp, lp.Payload = ahead, "p"
	lp.Domain.LengthBytes, lp.Domain.Value = proof.Domain.LengthBytes, proof.Domain.Value
	lp.Signature, _ = base64.StdEncoding.DecodeString(proof.Signature)
	si2, _ := base64.StdEncoding.DecodeString(w.stateInit)
	if err := wallet.NewTonConnectVerifier("pay.example.com", 15*time.Minute, nil).VerifyProof(ctx, w.addr, lp, "p", si2); err != nil {
		t.Fatalf("tonutils-go no longer accepts a proof 5 min ahead with a 15 min window (%v): see whether ton.VerifyProof can use its verifier", err)
	}
}
