package ton

// Deposit wallets: one standard wallet per owner, derived from the hot
// wallet's seed and the owner alone.
//
// Why a key per owner and not one key with a subwallet number per owner:
// W5's subwallet number has 15 bits (32,768 addresses) and V4's 32 bits
// would need a number handed out by the database per user (Telegram user ids
// pass 2^32), so the address would depend on the database, not on the seed
// alone. A key per owner has no limit, needs no counter and re-derives from
// the seed phrase only: secret = HMAC-SHA256(hot key seed, "tonpay deposit
// wallets v1"), the owner's key = Ed25519 from HMAC-SHA256(secret, owner),
// owner "user:<telegram id>" or "operator:0". The contract is wallet W5
// (v5r1, the standard wallet of today's apps), workchain 0, subwallet 0.
// Deriving one address costs two HMACs, one Ed25519 key and one state-init
// hash (BenchmarkDepositAddress).

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/store"
)

// DepositKeys derives deposit wallets. It holds a secret derived from the
// hot wallet's key, never the phrase.
type DepositKeys struct {
	secret  []byte
	testnet bool
}

// NewDepositKeys derives the deposit wallets' secret from the hot wallet's
// seed phrase.
func NewDepositKeys(words []string, testnet bool) (*DepositKeys, error) {
	key, err := seedKey(words)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, key.Seed())
	mac.Write([]byte("tonpay deposit wallets v1"))
	return &DepositKeys{secret: mac.Sum(nil), testnet: testnet}, nil
}

// Key is the private key of owner's deposit wallet.
func (k *DepositKeys) Key(owner store.DepositOwner) ed25519.PrivateKey {
	mac := hmac.New(sha256.New, k.secret)
	mac.Write([]byte(owner.String()))
	return ed25519.NewKeyFromSeed(mac.Sum(nil))
}

// config is the deposit wallets' contract: W5 (v5r1) on the service's
// network, workchain 0, subwallet 0.
func (k *DepositKeys) config() wallet.ConfigV5R1Final {
	id := wallet.MainnetGlobalID
	if k.testnet {
		id = wallet.TestnetGlobalID
	}
	return wallet.ConfigV5R1Final{NetworkGlobalID: int32(id), Workchain: 0}
}

// Wallet opens owner's deposit wallet for signing (api nil: address only).
func (k *DepositKeys) Wallet(api wallet.TonAPI, owner store.DepositOwner) (*wallet.Wallet, error) {
	return wallet.FromPrivateKey(api, k.Key(owner), k.config())
}

// Address is owner's deposit address.
func (k *DepositKeys) Address(owner store.DepositOwner) (*address.Address, error) {
	w, err := k.Wallet(nil, owner)
	if err != nil {
		return nil, err
	}
	return w.WalletAddress(), nil
}

// Deriver is what the store records addresses with (store.DepositDeriver):
// the raw form.
func (k *DepositKeys) Deriver() store.DepositDeriver {
	return func(owner store.DepositOwner) (string, error) {
		a, err := k.Address(owner)
		if err != nil {
			return "", err
		}
		return a.StringRaw(), nil
	}
}

// DepositAddressText is how a deposit address is shown to a person: the
// non-bounceable form, which wallets and exchanges send to an address not
// deployed yet without the transfer coming back.
func DepositAddressText(raw string, testnet bool) (string, error) {
	a, err := address.ParseRawAddr(raw)
	if err != nil {
		return "", err
	}
	return FormatAddress(a, testnet), nil
}

// SweepExternal signs owner's deposit wallet's external message carrying
// msgs: seqno as the wallet's state says, valid until validUntil by the
// chain's clock (a block's time, never this machine's), the state init
// attached while the wallet is not deployed (its first message deploys it).
func (k *DepositKeys) SweepExternal(owner store.DepositOwner, seqno uint32, deployed bool, validUntil int64, msgs []*wallet.Message) (*tlb.ExternalMessage, error) {
	key := k.Key(owner)
	cfg := k.config()
	actions, err := wallet.PackV5OutActions(msgs)
	if err != nil {
		return nil, err
	}
	id := wallet.V5R1ID{NetworkGlobalID: cfg.NetworkGlobalID, WorkChain: cfg.Workchain}
	payload := cell.BeginCell().MustStoreUInt(0x7369676e, 32).MustStoreUInt(uint64(id.Serialized()), 32).
		MustStoreUInt(uint64(validUntil), 32).MustStoreUInt(uint64(seqno), 32).MustStoreBuilder(actions)
	sig := ed25519.Sign(key, payload.EndCell().Hash())
	body := cell.BeginCell().MustStoreBuilder(payload).MustStoreSlice(sig, 512).EndCell()
	w, err := k.Wallet(nil, owner)
	if err != nil {
		return nil, err
	}
	ext := &tlb.ExternalMessage{DstAddr: w.WalletAddress(), Body: body}
	if !deployed {
		if ext.StateInit, err = wallet.GetStateInit(key.Public().(ed25519.PublicKey), cfg, 0); err != nil {
			return nil, err
		}
	}
	return ext, nil
}

// DepositWalletSeqno reads a W5 deposit wallet's seqno from its state (0
// while it is not deployed) and whether it is deployed.
func DepositWalletSeqno(acc *tlb.Account) (seqno uint32, deployed bool, err error) {
	if acc == nil || !acc.IsActive || acc.State == nil || acc.State.Status != tlb.AccountStatusActive || acc.Data == nil {
		return 0, false, nil
	}
	s, err := acc.Data.BeginParse()
	if err != nil {
		return 0, true, err
	}
	if _, err := s.LoadBoolBit(); err != nil { // is_signature_allowed
		return 0, true, err
	}
	v, err := s.LoadUInt(32)
	return uint32(v), true, err
}
