package miniapp

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tonpay/tonpay/store"
)

// Config is what the HTTP face needs from the service configuration.
type Config struct {
	Addr   string
	Static fs.FS // the built web app; nil serves none
}

// Server is the HTTP server: Mini App API, merchant API and the web app.
type Server struct {
	cfg  Config
	db   *store.DB
	log  *slog.Logger
	echo *echo.Echo
}

// New builds the server and its routes.
func New(cfg Config, db *store.DB, log *slog.Logger) *Server {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	s := &Server{cfg: cfg, db: db, log: log, echo: e}
	e.GET("/healthz", s.health)
	if cfg.Static != nil {
		e.GET("/*", echo.WrapHandler(http.FileServerFS(cfg.Static)))
	}
	return s
}

// Handler is the server's http.Handler (tests use it with httptest).
func (s *Server) Handler() http.Handler { return s.echo }

// Run serves until ctx ends, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{
		Addr:              s.cfg.Addr,
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) health(c echo.Context) error {
	if _, err := s.db.CountUsers(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"ok": false})
	}
	return c.JSON(http.StatusOK, map[string]any{"ok": true})
}
