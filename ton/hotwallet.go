package ton

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/ton/wallet"
)

// The hot wallet is a Highload Wallet v3. Its subwallet id and message TTL are
// part of the contract's data, so changing either changes the address: they
// are constants, not configuration.
const (
	HotSubwallet  = 0x10ad
	HotMessageTTL = 300 // seconds an external message stays valid
)

// ErrBadMnemonic reports a seed phrase that is not 24 valid words.
var ErrBadMnemonic = errors.New("not a 24-word TON mnemonic")

// ParseMnemonic splits and checks a seed phrase.
func ParseMnemonic(s string) ([]string, error) {
	words := strings.Fields(s)
	if len(words) != 24 {
		return nil, fmt.Errorf("%w: got %d words", ErrBadMnemonic, len(words))
	}
	if _, err := seedKey(words); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMnemonic, err)
	}
	return words, nil
}

// LoadMnemonic reads the seed phrase from path. When the file does not exist
// and create is true, it generates a new phrase and writes it with mode 0600
// (the directory 0700); created reports that.
func LoadMnemonic(path string, create bool) (words []string, created bool, err error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		if info, serr := os.Stat(path); serr == nil && info.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("%s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
		}
		words, err := ParseMnemonic(string(raw))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return words, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !create {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	words = wallet.NewSeed()
	// O_EXCL: two processes starting at once must not each write a seed.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(strings.Join(words, " ") + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, err
	}
	return words, true, f.Close()
}

// MessageBuilder hands out the query id and created_at of the next external
// message; the payer reserves them in the store before anything is signed.
type MessageBuilder func(ctx context.Context, subwallet uint32) (queryID uint32, createdAt int64, err error)

// HotWallet opens the Highload v3 hot wallet. api may be nil when only the
// address is needed; build may be nil when nothing will be sent.
func HotWallet(api wallet.TonAPI, words []string, build MessageBuilder) (*wallet.Wallet, error) {
	cfg := wallet.ConfigHighloadV3{MessageTTL: HotMessageTTL}
	if build != nil {
		cfg.MessageBuilder = build
	}
	key, err := seedKey(words)
	if err != nil {
		return nil, err
	}
	w, err := wallet.FromPrivateKey(api, key, cfg)
	if err != nil {
		return nil, err
	}
	return w.GetSubwallet(HotSubwallet)
}

// seedKeys remembers the key of every phrase derived in this process: the
// derivation is 100,000 rounds of PBKDF2 and the address, the payer and the
// doctor each ask for the same phrase's key.
var seedKeys sync.Map // phrase → ed25519.PrivateKey

// seedKey is the private key of a seed phrase, derived once per process.
func seedKey(words []string) (ed25519.PrivateKey, error) {
	phrase := strings.Join(words, " ")
	if k, ok := seedKeys.Load(phrase); ok {
		return k.(ed25519.PrivateKey), nil
	}
	k, err := wallet.SeedToPrivateKeyWithOptions(words)
	if err != nil {
		return nil, err
	}
	seedKeys.Store(phrase, k)
	return k, nil
}

// HotWalletAddress is the hot wallet's address for a seed phrase.
func HotWalletAddress(words []string) (*address.Address, error) {
	w, err := HotWallet(nil, words, nil)
	if err != nil {
		return nil, err
	}
	return w.WalletAddress(), nil
}
