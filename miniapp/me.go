package miniapp

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

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
	User         userJSON        `json:"user"`
	Wallet       *walletJSON     `json:"wallet"`
	Network      string          `json:"network"`
	Assets       []assetJSON     `json:"assets"`
	Balances     []balanceJSON   `json:"balances"`
	Deposit      depositInfoJSON `json:"deposit"`
	TWAReturnURL string          `json:"twa_return_url,omitempty"`
	Roles        rolesJSON       `json:"roles"`
	Blocked      bool            `json:"blocked"` // an administrator blocked the user: every other call is refused
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
// Two indexed reads; everything else is in memory.
func (s *Server) me(c echo.Context) error {
	ctx := c.Request().Context()
	u := user(c)
	out := meJSON{
		User:         userJSON{ID: u.ID, FirstName: u.FirstName, Username: u.Username},
		Network:      s.network(),
		Assets:       s.assetList,
		TWAReturnURL: s.cfg.TWAReturnURL,
		Roles:        rolesJSON{Admin: s.IsAdmin(u.ID), Merchants: []ownedMerchant{}},
		Blocked:      u.Blocked,
		Deposit: depositInfoJSON{
			Address: s.depositAddress(),
			Comment: u.Comment,
		},
	}
	if s.cfg.Hot != nil {
		out.Deposit.Link = ton.TransferLink(s.cfg.Hot, s.cfg.Testnet, 0, u.Comment)
	}
	owned, err := s.db.OwnedMerchants(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, m := range owned {
		out.Roles.Merchants = append(out.Roles.Merchants, ownedMerchant{ID: m.ID, Name: m.Name})
	}
	w, err := s.db.WalletOf(ctx, u.ID)
	switch {
	case err == nil:
		out.Wallet = s.walletJSON(w.Address)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if out.Balances, err = s.balances(ctx, u.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) network() string {
	if s.cfg.Testnet {
		return "testnet"
	}
	return "mainnet"
}
