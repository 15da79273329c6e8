package miniapp

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/xssnick/tonutils-go/address"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

type userJSON struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	Username  string `json:"username"`
}

type depositInfoJSON struct {
	Address string `json:"address"`
	Comment string `json:"comment"`
	Link    string `json:"link"`
}

type meJSON struct {
	User     userJSON        `json:"user"`
	Wallet   *walletJSON     `json:"wallet"`
	Network  string          `json:"network"`
	Assets   []assetJSON     `json:"assets"`
	Balances []balanceJSON   `json:"balances"`
	Deposit  depositInfoJSON `json:"deposit"`
	// The user's own deposit address (non-bounceable form): whatever
	// arrives there is theirs, no comment needed. Absent when the service
	// hands out no deposit addresses.
	DepositAddress string `json:"deposit_address,omitempty"`
	// DepositLink is the ton://transfer link of the native coin to it;
	// DepositLinks the link of every on-chain asset, by symbol (a jetton's
	// names its master).
	DepositLink  string            `json:"deposit_link,omitempty"`
	DepositLinks map[string]string `json:"deposit_links,omitempty"`
	TWAReturnURL string            `json:"twa_return_url,omitempty"`
	Roles        rolesJSON         `json:"roles"`
	Blocked      bool              `json:"blocked"` // an administrator blocked the user: every other call is refused
}

// rolesJSON is what dashboards the user sees.
type rolesJSON struct {
	Admin     bool            `json:"admin"`
	Merchants []ownedMerchant `json:"merchants"`
}

type ownedMerchant struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// me is GET /api/me: the user, their wallet, balances and deposit details.
// One statement (store.DB.Me) reads the user's standing and comment, the
// linked wallet, the deposit address, the merchants they own and their
// balances; with the authentication's cache (auth.go) that is the call's
// only round trip to the database. Everything else is in memory. The first
// call of a user also derives and records their deposit address (a write).
func (s *Server) me(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	v, err := s.db.Me(ctx, u.ID)
	if err != nil {
		return err
	}
	out := meJSON{
		User:         userJSON{ID: u.ID, FirstName: u.FirstName, Username: u.Username},
		Network:      s.network(),
		Assets:       s.assetList,
		TWAReturnURL: s.cfg.TWAReturnURL,
		Roles:        rolesJSON{Admin: s.IsAdmin(u.ID), Merchants: make([]ownedMerchant, 0, len(v.Merchants))},
		Blocked:      v.Blocked,
		Deposit: depositInfoJSON{
			Address: s.depositAddress(),
			Comment: v.Comment,
		},
	}
	if s.cfg.Hot != nil {
		out.Deposit.Link = ton.TransferLink(s.cfg.Hot, s.cfg.Testnet, 0, v.Comment)
	}
	for _, m := range v.Merchants {
		out.Roles.Merchants = append(out.Roles.Merchants, ownedMerchant{ID: m.ID, Name: m.Name})
	}
	if v.Wallet != nil {
		out.Wallet = s.walletJSON(v.Wallet.Address)
	}
	if v.Deposit == "" && s.db.DerivesDepositAddresses() {
		w, err := s.db.DepositWallet(ctx, store.UserOwner(u.ID))
		switch {
		case err == nil:
			v.Deposit = w.Address
		case !errors.Is(err, store.ErrNoDepositWallets):
			return err
		}
	}
	if v.Deposit != "" {
		if err := s.depositAddressJSON(&out, v.Deposit); err != nil {
			return err
		}
	}
	out.Balances = s.balancesOf(v.Balances)
	return c.JSON(http.StatusOK, out)
}

func (s *Server) network() string {
	if s.cfg.Testnet {
		return "testnet"
	}
	return "mainnet"
}

// depositAddressJSON fills the user's deposit address (raw) and its links.
func (s *Server) depositAddressJSON(out *meJSON, raw string) error {
	addr, err := address.ParseRawAddr(raw)
	if err != nil {
		return fmt.Errorf("deposit address %q: %w", raw, err)
	}
	out.DepositAddress = ton.FormatAddress(addr, s.cfg.Testnet)
	out.DepositLink = ton.TransferLink(addr, s.cfg.Testnet, 0, "")
	out.DepositLinks = map[string]string{store.TON.Symbol: out.DepositLink}
	for _, a := range s.cfg.Assets {
		if a.Master != "" {
			master, err := ton.ParseAddress(a.Master, true)
			if err != nil {
				return fmt.Errorf("jetton master of %s: %w", a.Symbol, err)
			}
			out.DepositLinks[a.Symbol] = ton.JettonTransferLink(addr, master, s.cfg.Testnet, 0, "")
		}
	}
	return nil
}
