// Package tlsfront serves the service over HTTPS with certificates it
// obtains and renews itself from an ACME CA (TLS_DOMAIN).
package tlsfront

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// Front serves an http.Handler (the Mini App, APIs and webhooks) over
// HTTPS with certificates it obtains and renews from an ACME CA (Let's
// Encrypt unless ACME_DIRECTORY_URL says otherwise), cached in the data
// directory. Its plain HTTP listener answers the CA's HTTP-01 challenge
// and redirects everything else to https.
type Front struct {
	handler   http.Handler
	closing   func() // ends long-lived responses (event streams) before shutdown
	manager   *autocert.Manager
	domain    string
	publicURL string // https://domain[:port], where the plain listener redirects
	httpsAddr string
	httpAddr  string
	log       *slog.Logger
}

// Options are the TLS settings of the configuration.
type Options struct {
	Domain        string         // TLS_DOMAIN: the only name a certificate is asked for
	Email         string         // TLS_EMAIL, for the CA's notices
	ACMEDirectory string         // ACME_DIRECTORY_URL
	ACMERoots     *x509.CertPool // ACME_CA_FILE: roots to trust for the directory; the system's when nil
	CacheDir      string         // where certificates are kept
	PublicURL     string         // https://domain[:port], where plain HTTP is redirected
	HTTPSAddr     string         // HTTPS_ADDR
	HTTPAddr      string         // HTTP_ADDR: the HTTP-01 challenge and the redirect
	UserAgent     string         // sent to the CA
}

// New is a front for handler; closing ends its long-lived responses
// (event streams) before shutdown.
func New(o Options, handler http.Handler, closing func(), log *slog.Logger) *Front {
	client := &acme.Client{DirectoryURL: o.ACMEDirectory, UserAgent: o.UserAgent}
	if o.ACMERoots != nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = &tls.Config{RootCAs: o.ACMERoots, MinVersion: tls.VersionTLS12}
		client.HTTPClient = &http.Client{Transport: tr}
	}
	domain := o.Domain
	return &Front{
		handler: handler,
		closing: closing,
		manager: &autocert.Manager{
			Prompt: autocert.AcceptTOS,
			Cache:  autocert.DirCache(o.CacheDir),
			// Only our domain: a scanner's SNI must not make us ask the CA
			// for certificates (and use up its rate limits). The Host of a
			// challenge request on another port than 80 carries the port.
			HostPolicy: func(_ context.Context, host string) error {
				if h, _, err := net.SplitHostPort(host); err == nil {
					host = h
				}
				if !strings.EqualFold(strings.TrimSuffix(host, "."), domain) {
					return fmt.Errorf("tonpay serves %s only, not %q", domain, host)
				}
				return nil
			},
			Email:  o.Email,
			Client: client,
		},
		domain:    domain,
		publicURL: strings.TrimRight(o.PublicURL, "/"),
		httpsAddr: o.HTTPSAddr,
		httpAddr:  o.HTTPAddr,
		log:       log,
	}
}

// Run listens on both addresses, asks for the certificate at once (so a
// DNS or firewall problem shows in the log at start, not at the first
// visitor), and serves until ctx ends; then it shuts both down gracefully.
func (f *Front) Run(ctx context.Context) error {
	httpsLn, err := listen("HTTPS_ADDR", f.httpsAddr)
	if err != nil {
		return err
	}
	httpLn, err := listen("HTTP_ADDR", f.httpAddr)
	if err != nil {
		httpsLn.Close()
		return err
	}
	tlsCfg := f.manager.TLSConfig() // GetCertificate; h2, http/1.1 and acme-tls/1 (the TLS-ALPN-01 challenge)
	tlsCfg.MinVersion = tls.VersionTLS12
	// Handshake errors from scanners and expired clients are routine:
	// debug level, not the standard logger's stderr.
	errLog := log.New(slogWriter{f.log}, "", 0)
	secure := &http.Server{
		Handler:           f.handler,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errLog,
	}
	plain := &http.Server{
		Handler:           f.manager.HTTPHandler(http.HandlerFunc(f.redirect)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errLog,
	}
	errc := make(chan error, 2)
	go func() { errc <- secure.ServeTLS(httpsLn, "", "") }()
	go func() { errc <- plain.Serve(httpLn) }()
	f.log.Info("serving https", "domain", f.domain, "https", httpsLn.Addr().String(), "http", httpLn.Addr().String(),
		"acme", f.manager.Client.DirectoryURL)
	go f.warmUp()

	var runErr error
	select {
	case runErr = <-errc:
	case <-ctx.Done():
	}
	if f.closing != nil {
		f.closing()
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = errors.Join(secure.Shutdown(shutdown), plain.Shutdown(shutdown))
	if runErr != nil && !errors.Is(runErr, http.ErrServerClosed) {
		return runErr
	}
	return err
}

// warmUp obtains (or loads from the cache) the certificate, as a browser's
// first visit would, and says how it went.
func (f *Front) warmUp() {
	hello := &tls.ClientHelloInfo{
		ServerName: f.domain,
		// An ECDSA-capable client, as every browser and Telegram is: the
		// certificate it gets is the one visitors will need.
		CipherSuites:     []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
		SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256},
		SupportedCurves:  []tls.CurveID{tls.CurveP256},
	}
	cert, err := f.manager.GetCertificate(hello)
	if err != nil {
		f.log.Error("no certificate yet", "domain", f.domain, "err", err,
			"fix", "the DNS record of "+f.domain+" must point at this server and ports 80 and 443 be open to the internet; tonpay tries again at the next https connection")
		return
	}
	leaf := cert.Leaf
	if leaf == nil && len(cert.Certificate) > 0 {
		leaf, _ = x509.ParseCertificate(cert.Certificate[0])
	}
	if leaf != nil {
		f.log.Info("certificate ready", "domain", f.domain, "issuer", leaf.Issuer.CommonName, "valid_until", leaf.NotAfter.UTC())
	}
}

// redirect sends plain HTTP visitors to the https URL of what they asked
// for. A form or API call over plain HTTP already exposed its content: it is
// refused rather than repeated.
func (f *Front) redirect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "use https: "+f.publicURL, http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, f.publicURL+r.URL.RequestURI(), http.StatusMovedPermanently)
}

// listen opens a listening socket, explaining the usual failure of ports
// below 1024.
func listen(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	if errors.Is(err, syscall.EACCES) {
		return nil, fmt.Errorf("%s %s: %w: ports below 1024 need CAP_NET_BIND_SERVICE (the systemd unit in deploy/ grants it; "+
			"by hand: setcap cap_net_bind_service=+ep %s)", name, addr, err, executable())
	}
	return nil, fmt.Errorf("%s %s: %w", name, addr, err)
}

func executable() string {
	if p, err := os.Executable(); err == nil {
		return p
	}
	return "tonpay"
}

// slogWriter turns the http.Server's error log into debug records.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Debug(strings.TrimSpace(string(p)))
	return len(p), nil
}
