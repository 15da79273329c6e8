package sandbox

import (
	"net"
	"strings"
	"testing"
)

// The sandbox binds loopback only: every other form of HTTP_ADDR is refused
// with one line naming the rule; loopback ones listen where they say.
func TestSandboxAddrLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		":8080", ":0", "0.0.0.0:8080", "[::]:8080", "[::0]:8080", "[0:0:0:0:0:0:0:0]:8080",
		"[::ffff:0.0.0.0]:8080", "[::ffff:10.0.0.1]:8080", "10.0.0.1:8080", "192.168.1.2:8080",
		"example.com:8080", "localhost.example.com:8080", "127.0.0.1.nip.io:8080", "[fe80::1%lo]:8080",
		"[::1%lo]:8080", "8080", "127.0.0.1",
	} {
		_, err := sandboxAddr(bad)
		if err == nil {
			t.Errorf("%q: accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: more than one line: %v", bad, err)
		}
		if _, _, perr := net.SplitHostPort(bad); perr == nil && !strings.Contains(err.Error(), "loopback only") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	for want, host := range map[string]string{
		"":                     "127.0.0.1",
		"127.0.0.1:0":          "127.0.0.1",
		"127.0.0.2:0":          "127.0.0.2",
		"localhost:0":          "127.0.0.1",
		"LOCALHOST:0":          "127.0.0.1",
		"[::ffff:127.0.0.1]:0": "::ffff:127.0.0.1",
		"[::1]:0":              "::1",
	} {
		got, err := sandboxAddr(want)
		if want == "[::1]:0" && err != nil {
			t.Logf("no IPv6 loopback here: %v", err)
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", want, err)
			continue
		}
		h, _, _ := net.SplitHostPort(got)
		if h != host {
			t.Errorf("%q: listens on %q, want %q", want, got, host)
		}
		// Whatever it listens on really is loopback.
		ln, err := net.Listen("tcp", got)
		if err != nil {
			continue // the port was taken meanwhile
		}
		if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
			t.Errorf("%q: bound %v", want, ln.Addr())
		}
		ln.Close()
	}
}

func TestLoopbackHost(t *testing.T) {
	t.Parallel()
	for host, ok := range map[string]bool{
		"localhost": true, "LocalHost": true, "127.0.0.1": true, "127.1.2.3": true, "::1": true, "::ffff:127.0.0.1": true,
		"": false, "0.0.0.0": false, "::": false, "::ffff:0.0.0.0": false, "10.0.0.1": false, "evil.example": false,
		"localhost.": false, "localhost.evil.example": false, "127.0.0.1.nip.io": false, "::1%eth0": false, "[::1]": false,
	} {
		if got := loopbackHost(host); got != ok {
			t.Errorf("%q: %v, want %v", host, got, ok)
		}
	}
}
