package miniapp

import (
	"context"
	"encoding/hex"
	"sort"
	"time"

	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// JSON shapes of the API. Amounts are decimal strings of smallest units,
// with "formatted" the same number in whole units.

type assetJSON struct {
	Symbol   string `json:"symbol"`
	Decimals int    `json:"decimals"`
}

// balanceJSON is an amount in the one money shape (asset, amount, formatted).
type balanceJSON = httpapi.Money

type invoiceJSON struct {
	ID        string `json:"id"`
	Asset     string `json:"asset"`
	Amount    string `json:"amount"`
	Formatted string `json:"formatted"`
	Paid      string `json:"paid"`
	Status    string `json:"status"`
	Comment   string `json:"comment"`
	Address   string `json:"address"`
	ExpiresAt string `json:"expires_at"`
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// chainAsset is a configured asset users can deposit and withdraw.
func (s *Server) chainAsset(symbol string) (store.Asset, bool) {
	for _, a := range s.cfg.Assets {
		if a.Symbol == symbol {
			return a, true
		}
	}
	return store.Asset{}, false
}

// format renders an amount in whole units of its asset (the registry's decimals).
func (s *Server) format(_ context.Context, asset string, a store.Amount) string {
	return s.assets.Format(store.Money{Asset: asset, Amount: a})
}

// money is an amount as the Mini App's JSON shows it.
func (s *Server) money(asset string, a store.Amount) httpapi.Money {
	return httpapi.MoneyOf(asset, s.assets.Decimals(asset), a)
}

// balances are the user's balances: every configured asset (zero included)
// in configuration order, then any other asset held (credits).
func (s *Server) balances(ctx context.Context, userID int64) ([]balanceJSON, error) {
	m, err := s.db.Balances(ctx, store.UserAccount(userID))
	if err != nil {
		return nil, err
	}
	return s.balancesOf(m), nil
}

// balancesOf is balances of the amounts held by asset (m is emptied).
func (s *Server) balancesOf(m map[string]store.Amount) []balanceJSON {
	out := make([]balanceJSON, 0, len(s.cfg.Assets)+len(m))
	for _, a := range s.cfg.Assets {
		v := m[a.Symbol]
		out = append(out, httpapi.MoneyOf(a.Symbol, a.Decimals, v))
		delete(m, a.Symbol)
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		out = append(out, s.money(k, m[k]))
	}
	return out
}

func (s *Server) depositAddress() string { return ton.FormatAddress(s.cfg.Hot, s.cfg.Testnet) }

// payTo is where an invoice is paid and with which comment: the hot wallet
// and the invoice's comment, or the invoice's own address and none.
func (s *Server) payTo(inv store.Invoice) (*address.Address, string) {
	if inv.Address != "" {
		if a, err := address.ParseRawAddr(inv.Address); err == nil {
			return a, ""
		}
	}
	return s.cfg.Hot, inv.Comment
}

func (s *Server) invoiceJSON(inv store.Invoice) invoiceJSON {
	d := s.assets.Decimals(inv.Asset)
	to, comment := s.payTo(inv)
	return invoiceJSON{
		ID:        inv.ID,
		Asset:     inv.Asset,
		Amount:    inv.Amount.Units(),
		Formatted: inv.Amount.Format(d),
		Paid:      inv.Paid.Units(),
		Status:    inv.Status,
		Comment:   comment,
		Address:   ton.FormatAddress(to, s.cfg.Testnet),
		ExpiresAt: rfc3339(inv.ExpiresAt),
	}
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
