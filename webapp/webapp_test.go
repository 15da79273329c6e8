package webapp_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"path"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/webapp"
)

func TestFSHasIndex(t *testing.T) {
	b, err := fs.ReadFile(webapp.FS(), "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	if !strings.Contains(string(b), `<div id="root">`) {
		t.Fatalf("index.html has no app root:\n%s", b)
	}
	// Every asset the page references must be embedded too.
	for _, part := range strings.Split(string(b), `"./`)[1:] {
		name := part[:strings.IndexByte(part, '"')]
		if _, err := fs.Stat(webapp.FS(), name); err != nil {
			t.Errorf("index.html references %s: %v", name, err)
		}
	}
}

// TestPrecompressedCopiesMatch: every gzip copy the build wrote is the file
// beside it, every compressible file has its brotli and gzip copies, and no
// copy is left of a file that is gone. (Brotli has no decoder in the standard
// library; its copies are written by the same step, from the same bytes.)
func TestPrecompressedCopiesMatch(t *testing.T) {
	fsys := webapp.FS()
	var compressible int
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch path.Ext(name) {
		case ".gz", ".br":
			orig := strings.TrimSuffix(name, path.Ext(name))
			raw, err := fs.ReadFile(fsys, orig)
			if err != nil {
				t.Errorf("%s without %s", name, orig)
				return nil
			}
			if path.Ext(name) == ".gz" {
				b, _ := fs.ReadFile(fsys, name)
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return nil
				}
				got, err := io.ReadAll(zr)
				if err != nil || !bytes.Equal(got, raw) {
					t.Errorf("%s does not decompress to %s (%v)", name, orig, err)
				}
			}
		case ".js", ".css", ".html":
			compressible++
			st, _ := fs.Stat(fsys, name)
			for _, ext := range []string{".br", ".gz"} {
				c, err := fs.Stat(fsys, name+ext)
				if err != nil {
					t.Errorf("%s has no %s copy", name, ext)
				} else if c.Size() >= st.Size() {
					t.Errorf("%s%s is not smaller (%d >= %d)", name, ext, c.Size(), st.Size())
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if compressible < 3 {
		t.Fatalf("only %d compressible files in dist", compressible)
	}
}

// tonAsCoin finds "TON" used as the native coin's name. The coin is Gram
// (GRAM); TON stays the network's name: "TON Connect", "on TON", "TON
// network", a TON address or wallet (one on the network), "ton://" links,
// and the asset code "TON" quoted in code (the API's alias for GRAM).
func tonAsCoin(text string) []string {
	allowedAfter := []string{" Connect", "Connect", "_CONNECT", " network", " address", " wallet", "-кошел", " кошел", "-адрес", " (EQ", "://"}
	allowedBefore := []string{"on ", "адрес ", "сети ", "в сети "}
	var bad []string
	for i := 0; ; {
		j := strings.Index(text[i:], "TON")
		if j < 0 {
			return bad
		}
		at := i + j
		i = at + 3
		before, after := text[:at], text[at+3:]
		isLetter := func(r byte) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '_' }
		if (len(before) > 0 && isLetter(before[len(before)-1])) || (len(after) > 0 && isLetter(after[0])) {
			continue // part of a longer word
		}
		// A quoted asset code in code: "TON", 'TON', `TON`.
		if len(before) > 0 && len(after) > 0 && strings.ContainsRune("\"'`", rune(before[len(before)-1])) && after[0] == before[len(before)-1] {
			continue
		}
		ok := false
		for _, a := range allowedAfter {
			ok = ok || strings.HasPrefix(after, a)
		}
		for _, b := range allowedBefore {
			ok = ok || strings.HasSuffix(before, b)
		}
		if !ok {
			lo, hi := max(0, at-40), min(len(text), at+40)
			bad = append(bad, text[lo:hi])
		}
	}
}

func TestTonAsCoinFinds(t *testing.T) {
	for _, s := range []string{"Pay 1.5 TON", "Balance: 3 TON.", "fee 0.05 TON", "Top up TON", "в TON"} {
		if len(tonAsCoin(s)) != 1 {
			t.Errorf("%q not caught", s)
		}
	}
	for _, s := range []string{"TON Connect", "payments on TON", "a TON address", "Connect a TON wallet", "TON-кошелёк", "адрес TON",
		"a===`TON`", `x=="TON"`, "TONCOIN_X", "tonconnect", "TON_CONNECT_UI", "Pay 1.5 GRAM"} {
		if bad := tonAsCoin(s); len(bad) != 0 {
			t.Errorf("%q caught: %q", s, bad)
		}
	}
}

// TestBuiltPageSaysGram: the page's own code and words (index.html, the app
// and wallet chunks) never name the coin TON. The library chunks (React,
// the TON Connect SDK, whose own texts are the SDK's) are not ours to word.
func TestBuiltPageSaysGram(t *testing.T) {
	fsys := webapp.FS()
	names, err := fs.Glob(fsys, "assets/*.js")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, name := range append(names, "index.html") {
		base := path.Base(name)
		if strings.HasPrefix(base, "vendor-") || strings.HasPrefix(base, "tonconnect-") || strings.HasPrefix(base, "rolldown-") {
			continue
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, s := range tonAsCoin(string(b)) {
			t.Errorf("%s names the coin TON: …%s…", name, s)
		}
	}
	if checked < 2 {
		t.Fatalf("checked %d files; the app chunk is missing", checked)
	}
}
