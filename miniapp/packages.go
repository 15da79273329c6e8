package miniapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/miniapp/httpapi"
	"github.com/tonpay/tonpay/store"
)

type packageJSON struct {
	Name      string `json:"name"`
	Asset     string `json:"asset"` // XTR: paid with Telegram Stars (POST /api/stars/invoices), not from the balance
	Price     string `json:"price"`
	Formatted string `json:"formatted"`
	Credits   int64  `json:"credits"`
	Period    int    `json:"period,omitempty"` // seconds: a monthly Stars subscription
}

type purchaseJSON struct {
	Package   string `json:"package"`
	Asset     string `json:"asset"`
	Price     string `json:"price"`
	Formatted string `json:"formatted"`
	Credits   int64  `json:"credits"`
}

// packages is GET /api/packages.
func (s *Server) packages(c echo.Context) error {
	ctx := c.Request().Context()
	pkgs := s.cfg.Policy.Packages()
	out := make([]packageJSON, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, s.packageJSON(ctx, p))
	}
	return c.JSON(http.StatusOK, map[string]any{"packages": out})
}

func (s *Server) packageJSON(ctx context.Context, p store.Package) packageJSON {
	return packageJSON{Name: p.Name, Asset: p.Asset, Price: p.Price.Units(), Formatted: s.format(ctx, p.Asset, p.Price),
		Credits: p.Credits, Period: p.Period}
}

// purchase is POST /api/purchases: buy a package from the balance in one
// ledger transaction. An optional Idempotency-Key makes a retry safe.
func (s *Server) purchase(c echo.Context) error {
	ctx := c.Request().Context()
	var req struct {
		Package string `json:"package"`
	}
	if err := httpapi.Decode(c, &req, false); err != nil {
		return err
	}
	key := strings.TrimSpace(c.Request().Header.Get("Idempotency-Key"))
	if len(key) > 128 {
		return httpapi.BadRequest(httpapi.CodeBadRequest, "Idempotency-Key is longer than 128 characters")
	}
	if key == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		key = "auto:" + hex.EncodeToString(b)
	}
	u := user(c)
	pkg, res, err := s.cfg.Policy.Buy(ctx, u.ID, req.Package, key)
	if err != nil {
		return err
	}
	bals, err := s.balances(ctx, u.ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	return c.JSON(status, map[string]any{
		"purchase": purchaseJSON{Package: pkg.Name, Asset: pkg.Asset, Price: pkg.Price.Units(),
			Formatted: s.format(ctx, pkg.Asset, pkg.Price), Credits: pkg.Credits},
		"balances": bals,
	})
}
