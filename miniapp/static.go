package miniapp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
)

// contentSecurityPolicy allows what the Mini App needs and nothing else:
//   - scripts, styles and fonts from this origin (the bundle carries
//     telegram-web-app and TON Connect; no CDN); inline styles because the
//     TON Connect UI injects its own;
//   - images from anywhere over https: the TON Connect modal shows wallet
//     icons hosted by the wallets;
//   - connections to this origin and to any https origin: TON Connect talks to
//     each wallet's own HTTP bridge (tonapi, tonhub, MyTonWallet, Bitget, ...),
//     and the list changes with the wallets, so no fixed host list holds;
//   - framing only by Telegram's web clients (web.telegram.org/k and /a);
//     the mobile and desktop apps show the page in a webview, not a frame.
const contentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self'; " +
	"style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob: https:; " +
	"font-src 'self' data:; " +
	"connect-src 'self' https:; " +
	"frame-ancestors 'self' https://web.telegram.org https://*.telegram.org; " +
	"object-src 'none'; base-uri 'self'; form-action 'self'"

// secure sets the security headers on every answer.
func (s *Server) secure(next echo.HandlerFunc) echo.HandlerFunc {
	hsts := s.cfg.PublicURL != nil && s.cfg.PublicURL.Scheme == "https"
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Cross-Origin-Resource-Policy", "cross-origin") // wallets load the icon from their origin
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// staticFiles serves the built web app: files as they are, hashed assets
// cached for good, and index.html (never cached without revalidation) for
// any other path so that the page's own routes load it.
//
// The build writes brotli (.br) and gzip (.gz) copies beside each
// compressible file (webapp/tools/precompress.mjs); a request gets the
// smallest one its Accept-Encoding allows (br, then gzip, then the file
// itself), with Content-Encoding, Vary: Accept-Encoding, the original's
// Content-Type and an ETag of its own. The copies are not served by their
// own names.
type staticFiles struct {
	fsys  fs.FS
	etags sync.Map // name of the file served (name, name.br or name.gz) -> quoted ETag
}

// encodings the server has copies for, in the order it prefers them.
var encodings = []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

func (sf *staticFiles) serve(c echo.Context) error {
	r := c.Request()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return echo.ErrMethodNotAllowed
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if ext := path.Ext(name); (ext == ".br" || ext == ".gz") && sf.isFile(strings.TrimSuffix(name, ext)) {
		return echo.ErrNotFound // a precompressed copy, not a file of the page
	}
	if !sf.isFile(name) {
		// A missing file with an extension is a missing file (a stale
		// asset link must not get HTML); anything else is a page route.
		if path.Ext(name) != "" {
			return echo.ErrNotFound
		}
		name = "index.html"
		if !sf.isFile(name) {
			return echo.ErrNotFound
		}
	}
	h := c.Response().Header()
	switch {
	case strings.HasPrefix(name, "assets/"):
		// Vite puts a content hash in every name under assets/.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	case name == "index.html":
		h.Set("Cache-Control", "no-cache")
	default:
		h.Set("Cache-Control", "public, max-age=3600")
	}
	file, encoding := name, ""
	if sf.hasVariants(name) {
		// Caches must key the answer by Accept-Encoding whichever one this is.
		h.Add("Vary", "Accept-Encoding")
		accepted := acceptedEncodings(r.Header.Get("Accept-Encoding"))
		for _, e := range encodings {
			if accepted[e.token] && sf.isFile(name+e.ext) {
				file, encoding = name+e.ext, e.token
				break
			}
		}
	}
	if tag := sf.etag(file); tag != "" {
		h.Set("ETag", tag)
	}
	f, err := sf.fsys.Open(file)
	if err != nil {
		return echo.ErrNotFound
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		rs = bytes.NewReader(b)
	}
	if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
		h.Set("Content-Type", ct)
	}
	// ServeContent answers If-None-Match from the ETag set above, ranges
	// (of the encoded bytes, the representation sent) and Content-Length.
	// It leaves Content-Length out when it sees a Content-Encoding, so the
	// encoding is added only as the status goes out.
	var w http.ResponseWriter = c.Response()
	if encoding != "" {
		w = &encodedWriter{ResponseWriter: w, encoding: encoding}
	}
	http.ServeContent(w, r, name, st.ModTime(), rs)
	return nil
}

// encodedWriter sets Content-Encoding on a successful answer when its
// status is written.
type encodedWriter struct {
	http.ResponseWriter
	encoding string
}

func (w *encodedWriter) WriteHeader(code int) {
	if code < 300 || code == http.StatusNotModified {
		w.Header().Set("Content-Encoding", w.encoding)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *encodedWriter) Write(b []byte) (int, error) { return w.ResponseWriter.Write(b) }

// hasVariants reports whether the build wrote any precompressed copy of name.
func (sf *staticFiles) hasVariants(name string) bool {
	for _, e := range encodings {
		if sf.isFile(name + e.ext) {
			return true
		}
	}
	return false
}

// acceptedEncodings reads an Accept-Encoding header (RFC 9110 12.5.3): the
// codings with a q-value above zero; "*" stands for any coding not named.
func acceptedEncodings(header string) map[string]bool {
	named := map[string]bool{}
	ok := map[string]bool{}
	star, starSet := false, false
	for _, part := range strings.Split(header, ",") {
		token, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		token = strings.ToLower(strings.TrimSpace(token))
		if token == "" {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, found := strings.Cut(strings.TrimSpace(p), "=")
			if found && strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					q = f
				} else {
					q = 0 // an unreadable weight is not a yes
				}
			}
		}
		if token == "*" {
			star, starSet = q > 0, true
			continue
		}
		if token == "x-gzip" {
			token = "gzip"
		}
		named[token] = true
		ok[token] = q > 0
	}
	if starSet {
		for _, e := range encodings {
			if !named[e.token] {
				ok[e.token] = star
			}
		}
	}
	return ok
}

func (sf *staticFiles) isFile(name string) bool {
	if !fs.ValidPath(name) {
		return false
	}
	st, err := fs.Stat(sf.fsys, name)
	return err == nil && st.Mode().IsRegular()
}

func (sf *staticFiles) etag(name string) string {
	if v, ok := sf.etags.Load(name); ok {
		return v.(string)
	}
	b, err := fs.ReadFile(sf.fsys, name)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	tag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	sf.etags.Store(name, tag)
	return tag
}

// manifest is tonconnect-manifest.json, which wallets fetch from their own
// origin (so it is served with CORS open).
type manifest struct {
	URL     string `json:"url"`
	Name    string `json:"name"`
	IconURL string `json:"iconUrl"`
}

// baseURL is PUBLIC_URL without a trailing slash; without one configured it
// is derived from the request (development only).
func (s *Server) baseURL(c echo.Context) string {
	if u := s.cfg.PublicURL; u != nil {
		return strings.TrimRight((&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String(), "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

func (s *Server) manifest(c echo.Context) error {
	base := s.baseURL(c)
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=300")
	return c.JSON(http.StatusOK, manifest{URL: base, Name: s.cfg.Name, IconURL: base + "/icon.png"})
}

func (s *Server) icon(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/png", appIcon())
}

// appIcon is the 180x180 PNG wallets show for the app (TON Connect asks for
// 180x180): a white TON diamond on a blue disc, drawn once.
var appIcon = sync.OnceValue(func() []byte {
	const n = 180
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	blue := color.NRGBA{0x00, 0x98, 0xEA, 0xFF}
	white := color.NRGBA{0xFF, 0xFF, 0xFF, 0xFF}
	c := float64(n) / 2
	// The TON mark: the outline of a triangle pointing down, split by a
	// vertical stroke.
	tri := func(x, y, top, bottom, halfTop float64) bool {
		if y < top || y > bottom {
			return false
		}
		return math.Abs(x-c) <= halfTop*(bottom-y)/(bottom-top)
	}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			fx, fy := float64(x)+0.5, float64(y)+0.5
			switch {
			case math.Hypot(fx-c, fy-c) > c:
				continue // transparent corner
			case tri(fx, fy, 50, 138, 48) && (!tri(fx, fy, 59, 122, 34) || math.Abs(fx-c) < 4.5):
				img.SetNRGBA(x, y, white)
			default:
				img.SetNRGBA(x, y, blue)
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err) // encoding an in-memory image cannot fail
	}
	return buf.Bytes()
})
