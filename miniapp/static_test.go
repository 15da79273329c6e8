package miniapp_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/tonpay/tonpay/miniapp"
)

// precompressedEnv serves a page whose build wrote brotli and gzip copies
// (their bytes stand for the encodings: the server never decodes them).
func precompressedEnv(t *testing.T) *env {
	return newEnv(t, func(c *miniapp.Config) {
		c.Static = fstest.MapFS{
			"index.html":                  {Data: []byte("<!doctype html><title>tonpay</title>" + strings.Repeat(" ", 400))},
			"index.html.br":               {Data: []byte("BR index")},
			"index.html.gz":               {Data: []byte("GZ index!")},
			"assets/index-Ab12Cd34.js":    {Data: []byte("console.log(1);" + strings.Repeat("//", 200))},
			"assets/index-Ab12Cd34.js.br": {Data: []byte("BR js")},
			"assets/index-Ab12Cd34.js.gz": {Data: []byte("GZ js!")},
			"assets/only-gz-1.css":        {Data: []byte("body{}" + strings.Repeat(" ", 300))},
			"assets/only-gz-1.css.gz":     {Data: []byte("GZ css")},
			"icon.png":                    {Data: []byte("\x89PNG not compressed")},
			"assets/big-1.js":             {Data: []byte(strings.Repeat("let a = 1;\n", 10000))},
			"assets/big-1.js.br":          {Data: []byte(strings.Repeat("b", 20000))},
		}
	})
}

func TestStaticServesPrecompressedByAcceptEncoding(t *testing.T) {
	t.Parallel()
	e := precompressedEnv(t)
	const js = "/assets/index-Ab12Cd34.js"
	cases := []struct {
		name, path, accept string
		wantEncoding       string
		wantBody           string
	}{
		{"brotli preferred", js, "gzip, deflate, br, zstd", "br", "BR js"},
		{"gzip only", js, "gzip", "gzip", "GZ js!"},
		{"x-gzip alias", js, "x-gzip", "gzip", "GZ js!"},
		{"brotli refused by q=0", js, "br;q=0, gzip;q=0.5", "gzip", "GZ js!"},
		{"nothing acceptable named", js, "deflate, zstd", "", "console.log(1);"},
		{"no header", js, "", "", "console.log(1);"},
		{"identity only", js, "identity", "", "console.log(1);"},
		{"star", js, "*", "br", "BR js"},
		{"star but not br", js, "br;q=0, *;q=0.1", "gzip", "GZ js!"},
		{"star refused", js, "*;q=0, identity", "", "console.log(1);"},
		{"case and spaces", js, " GZIP ; Q=1 ", "gzip", "GZ js!"},
		{"unreadable weight", js, "br;q=x, gzip", "gzip", "GZ js!"},
		{"only a gzip copy", "/assets/only-gz-1.css", "br, gzip", "gzip", "GZ css"},
		{"index page", "/", "br", "br", "BR index"},
		{"a page route gets index", "/history", "gzip", "gzip", "GZ index!"},
	}
	for _, c := range cases {
		r := e.do("GET", c.path, "", nil, "Accept-Encoding", c.accept)
		if r.status != 200 {
			t.Fatalf("%s: status %d", c.name, r.status)
		}
		if got := r.header.Get("Content-Encoding"); got != c.wantEncoding {
			t.Errorf("%s: Content-Encoding %q, want %q", c.name, got, c.wantEncoding)
		}
		if !strings.HasPrefix(string(r.body), c.wantBody) {
			t.Errorf("%s: body %q, want %q", c.name, r.body, c.wantBody)
		}
		if got := r.header.Get("Content-Length"); got != strconv.Itoa(len(r.body)) {
			t.Errorf("%s: Content-Length %q for %d bytes", c.name, got, len(r.body))
		}
		if !strings.Contains(r.header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: Vary %q", c.name, r.header.Get("Vary"))
		}
		wantType := "text/javascript; charset=utf-8"
		switch {
		case strings.HasSuffix(c.path, ".css"):
			wantType = "text/css; charset=utf-8"
		case !strings.Contains(c.path, "."):
			wantType = "text/html; charset=utf-8"
		}
		if got := r.header.Get("Content-Type"); got != wantType {
			t.Errorf("%s: Content-Type %q, want %q", c.name, got, wantType)
		}
	}
}

func TestStaticPrecompressedCachingAndETags(t *testing.T) {
	t.Parallel()
	e := precompressedEnv(t)
	const js = "/assets/index-Ab12Cd34.js"
	tags := map[string]string{}
	for _, enc := range []string{"br", "gzip", "identity"} {
		r := e.do("GET", js, "", nil, "Accept-Encoding", enc)
		if !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
			t.Fatalf("%s: hashed asset Cache-Control %q", enc, r.header.Get("Cache-Control"))
		}
		tag := r.header.Get("ETag")
		if tag == "" {
			t.Fatalf("%s: no ETag", enc)
		}
		for other, ot := range tags {
			if ot == tag {
				t.Fatalf("%s and %s share the ETag %s", enc, other, tag)
			}
		}
		tags[enc] = tag
		// Revalidation with the tag of the same encoding: 304, still with Vary.
		r2 := e.do("GET", js, "", nil, "Accept-Encoding", enc, "If-None-Match", tag)
		if r2.status != http.StatusNotModified || !strings.Contains(r2.header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("%s revalidation: %d %v", enc, r2.status, r2.header)
		}
	}
	// A cached gzip copy is not valid for a brotli request.
	if r := e.do("GET", js, "", nil, "Accept-Encoding", "br", "If-None-Match", tags["gzip"]); r.status != 200 || string(r.body) != "BR js" {
		t.Fatalf("br request with the gzip ETag: %d %q", r.status, r.body)
	}
	// index.html is revalidated every time, whichever encoding.
	for _, enc := range []string{"br", "gzip", ""} {
		if r := e.do("GET", "/", "", nil, "Accept-Encoding", enc); r.header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("index (%q) Cache-Control %q", enc, r.header.Get("Cache-Control"))
		}
	}
	// A file without copies is served as it is, with no Vary.
	r := e.do("GET", "/icon.png", "", nil, "Accept-Encoding", "br, gzip")
	if r.status != 200 || r.header.Get("Content-Encoding") != "" || r.header.Get("Vary") != "" {
		t.Fatalf("icon: %d %v", r.status, r.header)
	}
}

func TestStaticPrecompressedHeadRangeAndHiddenCopies(t *testing.T) {
	t.Parallel()
	e := precompressedEnv(t)
	const js = "/assets/index-Ab12Cd34.js"
	// HEAD: the headers of the GET, no body.
	req, _ := http.NewRequest("HEAD", e.ts.URL+js, nil)
	req.Header.Set("Accept-Encoding", "br")
	res, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "br" || res.ContentLength != 5 {
		t.Fatalf("HEAD: %d %d %v", res.StatusCode, res.ContentLength, res.Header)
	}
	r := e.do("HEAD", js, "", nil, "Accept-Encoding", "br")
	if len(r.body) != 0 {
		t.Fatalf("HEAD body %q", r.body)
	}
	// A range is of the representation sent: the encoded bytes.
	r = e.do("GET", js, "", nil, "Accept-Encoding", "gzip", "Range", "bytes=0-1")
	if r.status != http.StatusPartialContent || string(r.body) != "GZ" || r.header.Get("Content-Encoding") != "gzip" ||
		r.header.Get("Content-Range") != "bytes 0-1/6" {
		t.Fatalf("range: %d %v %q", r.status, r.header, r.body)
	}
	r = e.do("GET", js, "", nil, "Accept-Encoding", "identity", "Range", "bytes=0-6")
	if r.status != http.StatusPartialContent || string(r.body) != "console" || r.header.Get("Content-Encoding") != "" {
		t.Fatalf("identity range: %d %v %q", r.status, r.header, r.body)
	}
	// A body too large to buffer still goes out with its length, not chunked.
	r = e.do("GET", "/assets/big-1.js", "", nil, "Accept-Encoding", "br")
	if r.status != 200 || r.header.Get("Content-Length") != "20000" || len(r.body) != 20000 || r.header.Get("Content-Encoding") != "br" {
		t.Fatalf("large asset: %d %v", r.status, r.header)
	}
	// The copies are not files of the page.
	for _, p := range []string{js + ".br", js + ".gz", "/index.html.gz"} {
		if r := e.do("GET", p, "", nil, "Accept-Encoding", "br, gzip"); r.status != 404 {
			t.Fatalf("%s: %d", p, r.status)
		}
	}
	if r := e.do("POST", js, "", nil); r.status != http.StatusMethodNotAllowed {
		t.Fatalf("POST: %d", r.status)
	}
}
