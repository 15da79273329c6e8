package admin

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// view renders store values for admins: amounts with their asset's
// decimals, explorer links, who a withdrawal is for.
type view struct {
	db      *store.DB
	testnet bool
	symbols []string
	assets  *store.Assets
}

func newView(assets []store.Asset, reg *store.Assets, testnet bool, db *store.DB) *view {
	if reg == nil {
		reg = store.NewAssets(db, assets)
	}
	v := &view{db: db, testnet: testnet, assets: reg}
	for _, a := range assets {
		v.symbols = append(v.symbols, a.Symbol)
	}
	if len(v.symbols) == 0 {
		v.symbols = []string{store.TON.Symbol}
	}
	return v
}

// decimals of an asset, as the registry has it.
func (v *view) decimals(_ context.Context, sym string) int { return v.assets.Decimals(sym) }

func (v *view) money(ctx context.Context, sym string, a store.Amount) httpapi.Money {
	return httpapi.MoneyOf(sym, v.decimals(ctx, sym), a)
}

// order lists the configured chain assets first, then any other asset the
// totals name (credits, Stars).
func (v *view) order(ctx context.Context, totals map[string]*store.Totals) []string {
	syms := append([]string(nil), v.symbols...)
	for sym := range totals {
		if sym != "" && !slices.Contains(syms, sym) {
			syms = append(syms, sym)
		}
	}
	sortAssets(v.symbols, syms)
	return syms
}

func (v *view) balances(ctx context.Context, bals map[string]store.Amount) []httpapi.Money {
	syms := make([]string, 0, len(bals))
	for sym := range bals {
		syms = append(syms, sym)
	}
	sortAssets(v.symbols, syms)
	out := make([]httpapi.Money, 0, len(syms))
	for _, sym := range syms {
		out = append(out, v.money(ctx, sym, bals[sym]))
	}
	return out
}

type withdrawalJSON struct {
	ID          int64         `json:"id"`
	Asset       string        `json:"asset"`
	Amount      httpapi.Money `json:"amount"`
	Fee         httpapi.Money `json:"fee"`
	Destination string        `json:"destination"`
	Status      string        `json:"status"`
	UserID      *int64        `json:"user_id"`
	MerchantID  *int64        `json:"merchant_id"`
	Who         string        `json:"who"`
	TxHash      string        `json:"tx_hash,omitempty"`
	Link        string        `json:"link,omitempty"`
	Error       string        `json:"error,omitempty"`
	CreatedAt   time.Time     `json:"created_at"`
}

func (v *view) withdrawal(ctx context.Context, w store.Withdrawal) withdrawalJSON {
	out := withdrawalJSON{ID: w.ID, Asset: w.Asset, Amount: v.money(ctx, w.Asset, w.Amount), Fee: v.money(ctx, w.FeeAsset, w.Fee),
		Destination: w.Destination, Status: w.Status, TxHash: w.TxHash, Error: w.Error, CreatedAt: w.CreatedAt.UTC()}
	out.UserID, out.MerchantID, out.Who = v.whose(ctx, w.UserID, w.MerchantID)
	if w.TxHash != "" {
		out.Link = ton.TxLink(v.testnet, w.TxHash)
	}
	return out
}

// whose names the owner of money: a user or a merchant (the other id nil).
func (v *view) whose(ctx context.Context, userID, merchantID int64) (user, merchant *int64, who string) {
	switch {
	case userID != 0:
		return &userID, nil, v.db.UserLabel(ctx, userID)
	case merchantID != 0:
		return nil, &merchantID, v.merchantLabel(ctx, merchantID)
	}
	return nil, nil, ""
}

func (v *view) merchantLabel(ctx context.Context, id int64) string {
	m, err := v.db.Merchant(ctx, id)
	if err != nil {
		return "merchant " + strconv.FormatInt(id, 10)
	}
	return m.Name + " (merchant " + strconv.FormatInt(id, 10) + ")"
}

type resolutionJSON struct {
	Kind       string    `json:"kind"`
	UserID     *int64    `json:"user_id,omitempty"`
	MerchantID *int64    `json:"merchant_id,omitempty"`
	Who        string    `json:"who,omitempty"`
	RefundTx   string    `json:"refund_tx,omitempty"`
	RefundLink string    `json:"refund_link,omitempty"`
	By         int64     `json:"by"`
	At         time.Time `json:"at"`
}

type unmatchedJSON struct {
	ID         int64           `json:"id"`
	Kind       string          `json:"kind"`
	Amount     httpapi.Money   `json:"amount"`
	Sender     string          `json:"sender"`
	Comment    string          `json:"comment"`
	TxHash     string          `json:"tx_hash"`
	Link       string          `json:"link"`
	Note       string          `json:"note"`
	At         time.Time       `json:"at"`
	Resolution *resolutionJSON `json:"resolution"`
}

func (v *view) unmatched(ctx context.Context, u store.Unmatched) unmatchedJSON {
	e := u.Event
	out := unmatchedJSON{ID: e.ID, Kind: e.Kind, Amount: v.money(ctx, e.Asset, e.Amount), Sender: e.Sender, Comment: e.Comment,
		TxHash: e.Hash, Link: ton.TxLink(v.testnet, e.Hash), Note: e.Note, At: e.Time}
	if r := u.Resolution; r != nil {
		rj := &resolutionJSON{Kind: r.Kind, RefundTx: r.RefundTx, By: r.AdminID, At: r.CreatedAt}
		rj.UserID, rj.MerchantID, rj.Who = v.whose(ctx, r.UserID, r.MerchantID)
		if r.RefundTx != "" {
			rj.RefundLink = ton.TxLink(v.testnet, r.RefundTx)
		}
		out.Resolution = rj
	}
	return out
}

type userJSON struct {
	ID            int64           `json:"id"`
	Username      string          `json:"username"`
	FirstName     string          `json:"first_name"`
	Blocked       bool            `json:"blocked"`
	BlockedReason string          `json:"blocked_reason"`
	BlockedAt     *time.Time      `json:"blocked_at"`
	Balances      []httpapi.Money `json:"balances"`
	CreatedAt     time.Time       `json:"created_at"`
}

func (v *view) user(ctx context.Context, u store.UserRow) (userJSON, error) {
	bals, err := v.db.Balances(ctx, store.UserAccount(u.ID))
	if err != nil {
		return userJSON{}, err
	}
	out := userJSON{ID: u.ID, Username: u.Username, FirstName: u.FirstName, Blocked: u.Blocked, BlockedReason: u.BlockedReason,
		Balances: v.balances(ctx, bals), CreatedAt: u.CreatedAt}
	if u.Blocked {
		t := u.BlockedAt
		out.BlockedAt = &t
	}
	return out, nil
}

// historyJSON is a ledger entry of the user's, as the user's own history
// shows it: amount in smallest units, formatted in whole units.
type historyJSON struct {
	ID          int64     `json:"id"`
	Asset       string    `json:"asset"`
	Amount      string    `json:"amount"`
	Formatted   string    `json:"formatted"`
	Kind        string    `json:"kind"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
}
