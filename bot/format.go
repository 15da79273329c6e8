package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"rsc.io/qr"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// amount renders a in whole units of asset with all its decimals (the
// registry's), e.g. "1.5 GRAM". An asset the registry does not know is shown
// in smallest units.
// An event queued before the native coin was renamed names it TON: shown
// as GRAM.
func (b *Bot) amount(a store.Amount, asset string) string {
	asset = symbol(asset)
	if as, ok := b.reg.Lookup(asset); ok {
		return a.Format(as.Decimals) + " " + asset
	}
	return a.Units() + " " + asset
}

// symbol is an asset code as the bot shows it: the native coin's former
// code TON (in events queued before the rename) as GRAM.
func symbol(s string) string {
	if store.IsNativeSymbol(s) {
		return store.NativeSymbol
	}
	return s
}

// signed renders a with an explicit sign, as history lines show it.
func (b *Bot) signed(a store.Amount, asset string) string {
	if a > 0 {
		return "+" + b.amount(a, asset)
	}
	return b.amount(a, asset)
}

// units parses a decimal string of smallest units from an event payload.
func units(s string) store.Amount {
	a, err := store.ParseUnits(s)
	if err != nil {
		return 0
	}
	return a
}

// balanceBlock lists the user's balance in every asset, zeros included.
func (b *Bot) balanceBlock(ctx context.Context, l lang, userID int64) (string, error) {
	bals, err := b.db.Balances(ctx, store.UserAccount(userID))
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	sb.WriteString(l.t("balance_title"))
	for _, s := range b.symbols {
		sb.WriteString("\n• <b>" + esc(b.amount(bals[s], s)) + "</b>")
	}
	return sb.String(), nil
}

// friendly shows a raw address in the user-friendly form of the network;
// anything unparsable is shown as it is.
func (b *Bot) friendly(raw string) string {
	if raw == "" {
		return "—"
	}
	a, err := ton.ParseAddress(raw, b.cfg.Testnet)
	if err != nil {
		return raw
	}
	return ton.FormatAddress(a, b.cfg.Testnet)
}

// txLink is the explorer link of a transaction hash, or "" when h is not
// one.
func (b *Bot) txLink(h string) string {
	if !isHash(h) {
		return ""
	}
	return ton.TxLink(b.cfg.Testnet, h)
}

func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }

func parseID(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0
}

// qrPNG is a QR code of text as a PNG image.
func qrPNG(text string) ([]byte, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	c.Scale = 8
	return c.PNG(), nil
}

// assetArg finds a configured asset by symbol, in any case (TON names
// Gram: store.CanonicalSymbol).
func (b *Bot) assetArg(s string) (store.Asset, bool) {
	a, ok := b.assets[store.CanonicalSymbol(s)]
	return a, ok
}

// onChain tells whether an asset lives on chain (Gram or a jetton) and so
// can be deposited by hand and withdrawn.
func onChain(a store.Asset) bool { return store.OnChain(a) }
