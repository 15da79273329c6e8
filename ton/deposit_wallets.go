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
	"github.com/xssnick/tonutils-go/ton/wallet"

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
