package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// pebble is Debian's ACME test server (apt-get install pebble) with its
// companion DNS server, running for one test.
type pebble struct {
	dir     string // ACME directory URL
	mgmt    string // management address: its roots
	caFile  string // the CA of pebble's own https listener
	trusted *x509.CertPool
	cmds    []*exec.Cmd
}

// startPebble runs pebble-challtestsrv as the DNS server answering
// 127.0.0.1 for every name, and pebble validating challenges on httpPort
// (HTTP-01) and tlsPort (TLS-ALPN-01) of whatever that DNS says, that is
// on this machine's listeners. It skips the test when pebble is not
// installed, unless TONPAY_REQUIRE_PEBBLE=1.
func startPebble(t *testing.T, httpPort, tlsPort string) *pebble {
	t.Helper()
	bin, err1 := exec.LookPath("pebble")
	dnsBin, err2 := exec.LookPath("pebble-challtestsrv")
	if err1 != nil || err2 != nil {
		if os.Getenv("TONPAY_REQUIRE_PEBBLE") == "1" {
			t.Fatalf("pebble and pebble-challtestsrv are required (TONPAY_REQUIRE_PEBBLE=1): apt-get install -y pebble")
		}
		t.Skip("pebble (Debian's ACME test server) is not installed: apt-get install -y pebble; set TONPAY_REQUIRE_PEBBLE=1 to fail instead")
	}
	dir := t.TempDir()
	// pebble's own https listener needs a certificate: a throwaway CA's.
	caPEM, certPEM, keyPEM := testCertificate(t, "tonpay test CA", []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	p := &pebble{caFile: filepath.Join(dir, "ca.pem"), trusted: x509.NewCertPool()}
	p.trusted.AppendCertsFromPEM(caPEM)
	os.WriteFile(p.caFile, caPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600)

	listen, mgmt, dns := freeAddr(t), freeAddr(t), freeAddr(t)
	p.dir, p.mgmt = "https://"+listen+"/dir", mgmt
	port := func(s string) int { _, pt, _ := net.SplitHostPort(s); n := 0; json.Unmarshal([]byte(pt), &n); return n }
	cfg, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress":                  listen,
		"managementListenAddress":        mgmt,
		"certificate":                    filepath.Join(dir, "cert.pem"),
		"privateKey":                     filepath.Join(dir, "key.pem"),
		"httpPort":                       port(httpPort),
		"tlsPort":                        port(tlsPort),
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}})
	os.WriteFile(filepath.Join(dir, "pebble.json"), cfg, 0o600)

	start := func(name string, env []string, args ...string) {
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), env...)
		log, _ := os.Create(filepath.Join(dir, filepath.Base(name)+".log"))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		p.cmds = append(p.cmds, cmd)
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			log.Close()
			if t.Failed() {
				b, _ := os.ReadFile(log.Name())
				t.Logf("%s log:\n%s", filepath.Base(name), b)
			}
		})
	}
	start(dnsBin, nil, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", dns,
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-management", freeAddr(t))
	// No random validation sleeps, no rejected nonces: quick and deterministic.
	start(bin, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"}, "-config", filepath.Join(dir, "pebble.json"), "-dnsserver", dns)

	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.trusted}}}
	waitFor(t, 15*time.Second, func() bool {
		resp, err := c.Get(p.dir)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// stop ends pebble (not its DNS server).
func (p *pebble) stop() {
	last := p.cmds[len(p.cmds)-1]
	last.Process.Kill()
	last.Wait()
}

// root is the root of the certificates pebble issues (new at every start).
func (p *pebble) root(t *testing.T) *x509.CertPool {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.trusted}}}
	resp, err := c.Get("https://" + p.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("pebble's root: %s %q", resp.Status, b)
	}
	return pool
}

// testCertificate makes a CA and a certificate it signs for the names.
func testCertificate(t *testing.T, caName string, dns []string, ips []net.IP) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: caName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: dns[0]}, DNSNames: dns, IPAddresses: ips,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TestAutomaticHTTPSWithPebble runs the whole service with TLS_DOMAIN
// against Debian's pebble ACME server, which validates the challenge on the
// service's own listeners (its DNS says the domain is 127.0.0.1): the
// service obtains a certificate, serves /healthz over https with it (pebble's
// root trusted), redirects plain HTTP to https, caches the certificate in
// the data directory, and after a restart serves it from there with pebble
// gone. The TLS-ALPN-01 challenge is answered on HTTPS_ADDR; when it cannot
// be (pebble checks another port), HTTP-01 is answered on HTTP_ADDR.
func TestAutomaticHTTPSWithPebble(t *testing.T) {
	t.Parallel()
	t.Run("TLS-ALPN-01 on HTTPS_ADDR", func(t *testing.T) {
		httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
		testAutomaticHTTPS(t, httpAddr, httpsAddr, httpsAddr)
	})
	t.Run("HTTP-01 on HTTP_ADDR", func(t *testing.T) {
		httpAddr, httpsAddr := freeAddr(t), freeAddr(t)
		testAutomaticHTTPS(t, httpAddr, httpsAddr, freeAddr(t)) // nothing listens where pebble tries TLS-ALPN-01
	})
}

// testAutomaticHTTPS runs the service on httpAddr and httpsAddr with pebble
// validating HTTP-01 on httpAddr's port and TLS-ALPN-01 on alpnAddr's.
func testAutomaticHTTPS(t *testing.T, httpAddr, httpsAddr, alpnAddr string) {
	const domain = "pay.tonpay.test"
	acme := startPebble(t, httpAddr, alpnAddr)

	chain := tonrig.Chain(t, tontest.Options{})
	chain.AutoMine(100 * time.Millisecond)
	dir := t.TempDir()
	_, httpsPort, _ := net.SplitHostPort(httpsAddr)
	base := "https://" + domain + ":" + httpsPort
	env := map[string]string{
		"BOT_TOKEN":           "123456:TLS",
		"TELEGRAM_API_URL":    fakeBotAPI(t).URL,
		"DB_PATH":             filepath.Join(dir, "tonpay.db"),
		"TLS_DOMAIN":          domain,
		"TLS_EMAIL":           "ops@tonpay.test",
		"ACME_DIRECTORY_URL":  acme.dir,
		"ACME_CA_FILE":        acme.caFile,
		"HTTP_ADDR":           httpAddr,
		"HTTPS_ADDR":          httpsAddr,
		"TON_LITESERVERS":     chain.LiteServers(),
		"TON_PROOF_CHECK":     "unsafe",
		"HOT_WALLET_MNEMONIC": strings.Join(tonrig.Seed(), " "),
		"LOG_LEVEL":           "info",
	}
	svc := runService(t, env)

	// A client that trusts pebble's root only and finds the domain on
	// this machine.
	root := acme.root(t)
	client := &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: root},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, httpsAddr)
			},
		},
		CheckRedirect: noRedirects,
	}
	var leaf *x509.Certificate
	healthy := func() bool {
		resp, err := client.Get(base + "/healthz")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.TLS == nil {
			return false
		}
		leaf = resp.TLS.PeerCertificates[0]
		return true
	}
	start := time.Now()
	deadline := time.Now().Add(60 * time.Second)
	for !healthy() {
		if time.Now().After(deadline) {
			t.Fatalf("no https /healthz within 60 s; service log:\n%s", svc.log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("certificate issued by %q for %v, served %v after start", leaf.Issuer.CommonName, leaf.DNSNames, time.Since(start).Round(time.Millisecond))
	if !slices.Contains(leaf.DNSNames, domain) || !strings.Contains(strings.ToLower(leaf.Issuer.CommonName), "pebble") {
		t.Fatalf("served certificate for %v from %q", leaf.DNSNames, leaf.Issuer.CommonName)
	}
	// The manifest names the https URL derived from TLS_DOMAIN.
	resp, err := client.Get(base + "/tonconnect-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ URL string }
	json.NewDecoder(resp.Body).Decode(&m)
	resp.Body.Close()
	if m.URL != base {
		t.Fatalf("manifest url %q, want %q", m.URL, base)
	}

	// Plain HTTP: everything but the challenge goes to https.
	plain := &http.Client{Timeout: 5 * time.Second, CheckRedirect: noRedirects}
	resp, err = plain.Get("http://" + httpAddr + "/api/me?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != base+"/api/me?x=1" {
		t.Fatalf("plain http: %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	resp, err = plain.Post("http://"+httpAddr+"/api/withdrawals", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain http POST: %s, want 400", resp.Status)
	}

	// The certificate is cached in the data directory...
	cached, _ := os.ReadDir(filepath.Join(dir, "acme"))
	var names []string
	for _, e := range cached {
		names = append(names, e.Name())
	}
	if !slices.Contains(names, domain) {
		t.Fatalf("acme cache holds %v, want %s", names, domain)
	}
	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, svc.log())
	}

	// ...so a restart serves it with the CA gone.
	acme.stop()
	svc = runService(t, env)
	first := leaf.SerialNumber
	waitFor(t, 15*time.Second, healthy)
	if leaf.SerialNumber.Cmp(first) != 0 {
		t.Fatalf("after a restart a new certificate %v was served, not the cached %v", leaf.SerialNumber, first)
	}
	if code := svc.stop(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, svc.log())
	}
}

func TestTLSConfig(t *testing.T) {
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{"BOT_TOKEN": "1:x", "TLS_DOMAIN": "Pay.Example.com", "DB_PATH": "/var/lib/tonpay/tonpay.db"}[k]
	}, forServe)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSDomain != "pay.example.com" || cfg.HTTPSAddr != ":443" || cfg.HTTPAddr != ":80" ||
		cfg.PublicURL.String() != "https://pay.example.com" || cfg.TLSCacheDir != "/var/lib/tonpay/acme" ||
		cfg.ACMEDirectory != "https://acme-v02.api.letsencrypt.org/directory" {
		t.Fatalf("%+v", cfg)
	}
	const token = "123456:ABC"
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"domain with a scheme", map[string]string{"TLS_DOMAIN": "https://pay.example.com"}, "TLS_DOMAIN"},
		{"domain with a port", map[string]string{"TLS_DOMAIN": "pay.example.com:443"}, "TLS_DOMAIN"},
		{"bare host", map[string]string{"TLS_DOMAIN": "localhost"}, "TLS_DOMAIN"},
		{"email without domain", map[string]string{"TLS_EMAIL": "ops@example.com"}, "TLS_DOMAIN"},
		{"https address without domain", map[string]string{"HTTPS_ADDR": ":8443"}, "TLS_DOMAIN"},
		{"bad email", map[string]string{"TLS_DOMAIN": "pay.example.com", "TLS_EMAIL": "ops"}, "TLS_EMAIL"},
		{"http directory", map[string]string{"TLS_DOMAIN": "pay.example.com", "ACME_DIRECTORY_URL": "http://ca.example.com/dir"}, "ACME_DIRECTORY_URL"},
		{"missing CA file", map[string]string{"TLS_DOMAIN": "pay.example.com", "ACME_CA_FILE": "/nonexistent.pem"}, "ACME_CA_FILE"},
		{"bad https address", map[string]string{"TLS_DOMAIN": "pay.example.com", "HTTPS_ADDR": "443"}, "HTTPS_ADDR"},
		{"public url of another host", map[string]string{"TLS_DOMAIN": "pay.example.com", "PUBLIC_URL": "https://other.example.com"}, "PUBLIC_URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"BOT_TOKEN": token}
			for k, v := range tt.env {
				env[k] = v
			}
			code, _, stderr := tonpay(t, t.TempDir(), env, "serve")
			if code == 0 || !strings.Contains(oneLine(t, stderr), tt.want+":") {
				t.Fatalf("exit %d: %q does not name %s", code, stderr, tt.want)
			}
		})
	}
}
