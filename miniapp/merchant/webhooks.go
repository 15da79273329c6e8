package merchant

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/tonpay/tonpay/store"
)

// WebhookConfig says how merchant webhooks are delivered. Zero values take
// the defaults in brackets.
type WebhookConfig struct {
	// Merchant renders the invoice and payout objects in event data exactly
	// as the merchant API shows them: pass the API's Config.
	Merchant Config

	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses: for development and tests only. Off, the address every
	// connection dials (after DNS) is checked, so DNS rebinding cannot
	// smuggle an internal target in.
	AllowPrivate bool

	Timeout     time.Duration // one delivery, connect to last byte [10s]
	MaxAge      time.Duration // retry an event this long after it was created, then give up [24h]
	BackoffBase time.Duration // first retry delay; doubles on each failure [30s]
	BackoffMax  time.Duration // longest retry delay [1h]
	Workers     int           // merchants served at once, one delivery in flight each [32]
	Poll        time.Duration // longest sleep between looks at the outbox [5s]
	UserAgent   string        // ["tonpay-webhooks/1"]
}

// Webhooks delivers the webhook topic of the outbox to merchants: each event
// POSTed as {"id","type","created_at","data"}, signed with the merchant's
// secret in Tonpay-Signature, at least once, each merchant's events one at a
// time in order. Merchants are served independently: a slow receiver holds
// its own merchant's queue only, never another merchant's.
//
// Events of a merchant without a webhook URL are marked done: there is
// nothing to deliver them to (the merchant reads state through the API).
// Events of a merchant whose webhook is disabled are given up with the
// reason "webhook disabled" and stay in the outbox for admins.
type Webhooks struct {
	cfg    WebhookConfig
	db     *store.DB
	log    *slog.Logger
	view   *merchantView
	client *http.Client
	wake   chan struct{}
}

// webhookBatch is how many due events one round reads.
const webhookBatch = 100

// NewWebhooks builds the dispatcher; Run starts it.
func NewWebhooks(cfg WebhookConfig, db *store.DB, log *slog.Logger) *Webhooks {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 24 * time.Hour
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 30 * time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = time.Hour
	}
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffBase)
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "tonpay-webhooks/1"
	}
	if log == nil {
		log = slog.Default()
	}
	dialer := &net.Dialer{Timeout: min(cfg.Timeout, 5*time.Second), KeepAlive: 30 * time.Second}
	if !cfg.AllowPrivate {
		dialer.Control = webhookDialControl
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   min(cfg.Timeout, 5*time.Second),
		ResponseHeaderTimeout: cfg.Timeout,
		MaxIdleConns:          32,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		// A redirect is an answer, not a delivery: it is retried like any
		// non-2xx, and its target (perhaps internal) is never visited.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Webhooks{cfg: cfg, db: db, log: log, view: newMerchantView(cfg.Merchant, db), client: client, wake: make(chan struct{}, 1)}
}

// Run delivers events until ctx ends. It wakes when the store commits a
// merchant's change, when the next retry is due, when a merchant's
// deliveries end, and every Poll at least. Each merchant with due events
// gets a goroutine of its own (Workers at once) that delivers them in order
// while Run goes on serving the others: a receiver that answers slowly (up
// to Timeout per event) delays no other merchant.
func (w *Webhooks) Run(ctx context.Context) error {
	wake := func() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	unsubscribe := w.db.Subscribe(func(c store.Change) {
		if c.MerchantID != 0 || c.Kind == store.ChangeResync {
			wake()
		}
	})
	defer unsubscribe()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		busy = map[int64]bool{} // merchants with a delivery goroutine
	)
	defer wg.Wait()
	busyIDs := func() []int64 {
		mu.Lock()
		defer mu.Unlock()
		ids := make([]int64, 0, len(busy))
		for id := range busy {
			ids = append(ids, id)
		}
		return ids
	}
	for {
		except := busyIDs()
		free := w.cfg.Workers - len(except)
		full := false
		if free > 0 {
			events, err := w.db.DueWebhookEvents(ctx, webhookBatch, except...)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				w.log.Warn("webhooks: reading the outbox failed", "err", err)
			}
			order, byMerchant := groupByMerchant(events)
			for _, id := range order {
				if free == 0 {
					full = true
					break
				}
				free--
				mu.Lock()
				busy[id] = true
				mu.Unlock()
				wg.Add(1)
				go func(id int64, evs []store.Event) {
					defer wg.Done()
					w.deliverMerchant(ctx, id, evs)
					mu.Lock()
					delete(busy, id)
					mu.Unlock()
					wake() // its next events, or a merchant waiting for a worker
				}(id, byMerchant[id])
			}
			if len(events) == webhookBatch && !full {
				continue // more are waiting
			}
		}
		wait := w.cfg.Poll
		if free > 0 && !full {
			if next, err := w.db.NextWebhookAt(ctx, busyIDs()...); err == nil && !next.IsZero() {
				wait = min(wait, max(next.Sub(w.db.Now()), 10*time.Millisecond))
			}
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-w.wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// groupByMerchant splits events by merchant, merchants in the order of
// their first event, each merchant's events in order.
func groupByMerchant(events []store.Event) ([]int64, map[int64][]store.Event) {
	var order []int64
	byMerchant := map[int64][]store.Event{}
	for _, ev := range events {
		if _, ok := byMerchant[ev.MerchantID]; !ok {
			order = append(order, ev.MerchantID)
		}
		byMerchant[ev.MerchantID] = append(byMerchant[ev.MerchantID], ev)
	}
	return order, byMerchant
}

// DeliverDue makes one round: it reads the due events and delivers them,
// merchants in parallel (Workers at once), each merchant's events in order;
// it returns when the round is over, with the number of events it read.
// (Run does not wait for rounds: see there.)
func (w *Webhooks) DeliverDue(ctx context.Context) (int, error) {
	events, err := w.db.DueWebhookEvents(ctx, webhookBatch)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	order, byMerchant := groupByMerchant(events)
	sem := make(chan struct{}, w.cfg.Workers)
	var wg sync.WaitGroup
	for _, id := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			w.deliverMerchant(ctx, id, byMerchant[id])
		}()
	}
	wg.Wait()
	return len(events), nil
}

// deliverMerchant delivers one merchant's due events in order, stopping at
// the first that fails: the later ones wait for its retry.
func (w *Webhooks) deliverMerchant(ctx context.Context, merchantID int64, events []store.Event) {
	m, err := w.db.Merchant(ctx, merchantID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		w.log.Warn("webhooks: reading merchant failed", "merchant", merchantID, "err", err)
		return
	}
	for _, ev := range events {
		if ctx.Err() != nil {
			return
		}
		var err error
		switch {
		case merchantID == 0 || m.ID == 0 || m.WebhookURL == "":
			err = w.db.MarkEventDone(ctx, ev.ID) // no endpoint: nothing to deliver
		case m.WebhookDisabled:
			err = w.db.FailEvent(ctx, ev.ID, "webhook disabled")
		default:
			if !w.deliver(ctx, m, ev) {
				return
			}
		}
		if err != nil {
			w.log.Warn("webhooks: recording an event failed", "event", ev.ID, "err", err)
			return
		}
	}
}

// deliver POSTs one event and records the outcome. It reports whether the
// merchant's next event may go (after a manual send, whatever its outcome).
func (w *Webhooks) deliver(ctx context.Context, m store.Merchant, ev store.Event) bool {
	log := w.log.With("merchant", m.ID, "event", ev.ID, "type", ev.Type, "attempt", ev.Attempts+1)
	body, err := w.body(ctx, ev)
	if err != nil {
		log.Warn("webhooks: building the body failed", "err", err)
		return false
	}
	reason := w.post(ctx, m, body)
	if ctx.Err() != nil {
		return false // shutting down: this attempt does not count
	}
	if reason == "" {
		if err := w.db.MarkEventDone(ctx, ev.ID); err != nil {
			log.Warn("webhooks: delivered but not recorded; it will be sent again", "err", err)
			return false
		}
		log.Debug("webhook delivered")
		return true
	}
	if ev.Manual {
		// An owner's test event or redelivery: one attempt, its outcome shown
		// in the dashboard; it never holds the queue nor disables the webhook.
		if err := w.db.FailEvent(ctx, ev.ID, reason); err != nil {
			log.Warn("webhooks: recording a failed manual send failed", "err", err)
		}
		log.Warn("manual webhook send failed", "reason", reason)
		return true
	}
	now := w.db.Now()
	deadline := ev.CreatedAt.Add(w.cfg.MaxAge)
	if !now.Before(deadline) {
		if err := w.db.GiveUpWebhook(ctx, ev.ID, m.ID, reason); err != nil {
			log.Warn("webhooks: giving up failed", "err", err)
			return false
		}
		log.Error("webhook disabled: deliveries failed for too long", "url", m.WebhookURL, "since", ev.CreatedAt, "reason", reason)
		return false
	}
	next := now.Add(w.backoff(ev.Attempts))
	if next.After(deadline) {
		next = deadline // one last try at the deadline
	}
	if err := w.db.RetryEvent(ctx, ev.ID, next, reason); err != nil {
		log.Warn("webhooks: scheduling a retry failed", "err", err)
		return false
	}
	log.Warn("webhook delivery failed; will retry", "reason", reason, "next", next)
	return false
}

// backoff is the delay after the attempts-th failure: base doubling up to
// the cap.
func (w *Webhooks) backoff(attempts int) time.Duration {
	d := w.cfg.BackoffBase
	for range attempts {
		if d >= w.cfg.BackoffMax/2 {
			return w.cfg.BackoffMax
		}
		d *= 2
	}
	return min(d, w.cfg.BackoffMax)
}

// post sends body to the merchant's URL, signed now. It returns "" when the
// merchant acknowledged (2xx), otherwise why not.
func (w *Webhooks) post(ctx context.Context, m store.Merchant, body []byte) string {
	u, err := url.Parse(m.WebhookURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "webhook url is not an http(s) URL"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return "webhook url is not usable"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.cfg.UserAgent)
	req.Header.Set("Tonpay-Signature", webhookSignature(m.WebhookSecret, w.db.Now().Unix(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		var refused *webhookRefusedError
		if errors.As(err, &refused) {
			return refused.Error()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is known; keep the cause
		}
		return webhookTruncate("request failed: "+err.Error(), 300)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return ""
	}
	return "HTTP " + strconv.Itoa(resp.StatusCode)
}

func webhookTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// webhookSignature is the Tonpay-Signature header:
// t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>.
func webhookSignature(secret string, t int64, body []byte) string {
	ts := strconv.FormatInt(t, 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// webhookEnvelope is the body of every webhook. Every field comes from the
// outbox row or from fields of the invoice/payout that never change, so the
// body is the same on every retry. The asset codes come from the event's
// payload: the native coin's code changed from TON to GRAM (migration
// 0008_gram.sql rewrote the invoices and payouts, not the events), so an
// event made before that upgrade is redelivered byte for byte as it was
// first signed, "TON" included, and later events say GRAM.
type webhookEnvelope struct {
	ID        int64           `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// body renders an event: invoice.* and payout.* data are the invoice or
// payout object of the API as of the event; other types carry their payload.
func (w *Webhooks) body(ctx context.Context, ev store.Event) ([]byte, error) {
	data := ev.Payload
	switch {
	case ev.Type.IsInvoice():
		var p store.InvoiceEvent
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return nil, fmt.Errorf("invoice event payload: %w", err)
		}
		inv, err := w.db.Invoice(ctx, p.InvoiceID)
		if err != nil {
			return nil, err
		}
		// The event's state, not the invoice's state now.
		inv.Status, inv.Late, inv.Duplicate = p.Status, p.Late, p.Duplicate
		if paid, err := store.ParseUnits(p.Paid); err == nil {
			inv.Paid = paid
		}
		if p.Status != store.InvoicePaid {
			inv.PaidAt = time.Time{}
		}
		obj := w.view.invoice(inv)
		obj.TxHash = p.TxHash
		if p.Asset != "" {
			obj.Asset = p.Asset // the code as of the event
		}
		if data, err = json.Marshal(obj); err != nil {
			return nil, err
		}
	case ev.Type.IsPayout():
		var p store.WithdrawalEvent
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return nil, fmt.Errorf("payout event payload: %w", err)
		}
		wd, err := w.db.Withdrawal(ctx, p.WithdrawalID)
		if err != nil {
			return nil, err
		}
		wd.Status, wd.TxHash, wd.Error = p.Status, p.TxHash, p.Error
		obj := w.view.payout(wd)
		if p.Asset != "" {
			obj.Asset = p.Asset // the codes as of the event
		}
		if p.FeeAsset != "" {
			obj.FeeAsset = p.FeeAsset
		}
		if data, err = json.Marshal(obj); err != nil {
			return nil, err
		}
	}
	return json.Marshal(webhookEnvelope{ID: ev.ID, Type: string(ev.Type), CreatedAt: ev.CreatedAt.UTC(), Data: data})
}

// webhookRefusedError is a connection the SSRF guard stopped.
type webhookRefusedError struct {
	ip     netip.Addr
	reason string
}

func (e *webhookRefusedError) Error() string {
	return "refused to connect to " + e.ip.String() + ": " + e.reason + " address (webhooks reach public addresses only)"
}

// webhookDialControl runs for every connection attempt, on the address
// about to be dialed: after DNS, so a name that resolves (or re-resolves)
// to an internal address is refused as well.
func webhookDialControl(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &webhookRefusedError{reason: "unparsable"}
	}
	if reason := webhookBlocked(ip); reason != "" {
		return &webhookRefusedError{ip: ip, reason: reason}
	}
	return nil
}

// webhookSpecial are ranges beyond the net/netip predicates that must not
// be reachable from a webhook: shared and reserved space, and IPv6 prefixes
// that embed an IPv4 address (which could be an internal one).
var webhookSpecial = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",       // "this network"
		"100.64.0.0/10",   // carrier-grade NAT
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"240.0.0.0/4",     // reserved, broadcast
		"::/96",           // IPv4-compatible (deprecated)
		"64:ff9b::/96",    // NAT64
		"64:ff9b:1::/48",  // local NAT64
		"100::/64",        // discard
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4
		"fec0::/10",       // site-local (deprecated)
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// webhookBlocked says why ip may not be dialed, or "" when it may.
func webhookBlocked(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLoopback():
		return "loopback"
	case ip.IsPrivate():
		return "private"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "multicast"
	}
	for _, p := range webhookSpecial {
		if p.Contains(ip) {
			return "reserved"
		}
	}
	return ""
}
