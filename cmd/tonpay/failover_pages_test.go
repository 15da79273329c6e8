package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
)

// page is what a Mini App page connected to one node shows of its user:
// the node's event stream (/api/events) feeds it, and when the stream
// comes back after it ended (a "resync", a dropped connection) the page
// reads its open withdrawals once, as the real page does. It reconnects
// until the test ends.
type page struct {
	node string
	base string // the node's http://host:port
	user int64
	auth string

	mu          sync.Mutex
	opens       int              // streams opened
	resyncs     int              // "resync" events
	replaced    int              // "replaced" events (none expected)
	balance     string           // the native coin's balance, in units, of the last balance event
	shown       map[string]bool  // every such balance shown
	withdrawals map[int64]string // id -> the status last shown
	bad         []string         // events that could not be read
}

var pageClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

func openPage(ctx context.Context, t *testing.T, node, addr, token string, user int64) *page {
	p := &page{node: node, base: "http://" + addr, user: user, auth: tma(t, token, user),
		shown: map[string]bool{}, withdrawals: map[int64]string{}}
	go func() {
		for ctx.Err() == nil {
			p.stream(ctx)
			select { // a page waits a moment before it reconnects
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	return p
}

// stream reads one connection of the event stream until it ends.
func (p *page) stream(ctx context.Context) {
	req, _ := http.NewRequestWithContext(ctx, "GET", p.base+"/api/events", nil)
	req.Header.Set("Authorization", p.auth)
	resp, err := pageClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return // a node starting, a limit: try again
	}
	p.mu.Lock()
	p.opens++
	again := p.opens > 1
	var open []int64
	for id, st := range p.withdrawals {
		if !withdrawalDone(st) {
			open = append(open, id)
		}
	}
	p.mu.Unlock()
	if again {
		// The stream is subscribed once its headers arrive: what is read
		// now is at least as new, and what changes later comes on it.
		for _, id := range open {
			p.catchUp(ctx, id)
		}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var event, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if event != "" {
				p.event(event, data)
			}
			event, data = "", ""
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func (p *page) catchUp(ctx context.Context, id int64) {
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/withdrawals/%d", p.base, id), nil)
	req.Header.Set("Authorization", p.auth)
	resp, err := pageClient.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var body struct {
		Withdrawal struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"withdrawal"`
	}
	if resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&body) == nil && body.Withdrawal.ID == id {
		p.mu.Lock()
		p.withdrawals[id] = body.Withdrawal.Status
		p.mu.Unlock()
	}
}

func (p *page) event(kind, data string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch kind {
	case "resync":
		p.resyncs++
	case "replaced":
		p.replaced++
	case "balance":
		var d struct {
			Balances []struct{ Asset, Amount string } `json:"balances"`
		}
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			p.bad = append(p.bad, data)
			return
		}
		for _, b := range d.Balances {
			if b.Asset == store.TON.Symbol {
				p.balance = b.Amount
				p.shown[b.Amount] = true
			}
		}
	case "withdrawal":
		var d struct {
			Withdrawal struct {
				ID     int64  `json:"id"`
				Status string `json:"status"`
			} `json:"withdrawal"`
		}
		if err := json.Unmarshal([]byte(data), &d); err != nil || d.Withdrawal.ID == 0 {
			p.bad = append(p.bad, data)
			return
		}
		p.withdrawals[d.Withdrawal.ID] = d.Withdrawal.Status
	}
}

func withdrawalDone(status string) bool {
	switch status {
	case store.WithdrawalConfirmed, store.WithdrawalFailed, store.WithdrawalRefunded, store.WithdrawalRejected:
		return true
	}
	return false
}

// pageState is what a page should show: its user's balance and the status
// of each of their withdrawals.
type pageState struct {
	balance     store.Amount
	withdrawals map[int64]string
}

// differs says how p's view differs from want; "" when it shows it.
func (p *page) differs(want pageState) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	if p.balance != want.balance.Units() {
		out = append(out, fmt.Sprintf("balance %q, want %d", p.balance, want.balance))
	}
	ids := make([]int64, 0, len(want.withdrawals))
	for id := range want.withdrawals {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if got, ok := p.withdrawals[id]; !ok {
			out = append(out, fmt.Sprintf("withdrawal %d never shown (want %s)", id, want.withdrawals[id]))
		} else if got != want.withdrawals[id] {
			out = append(out, fmt.Sprintf("withdrawal %d %s, want %s", id, got, want.withdrawals[id]))
		}
	}
	if len(p.bad) > 0 {
		out = append(out, fmt.Sprintf("unreadable events %q", p.bad))
	}
	if p.replaced > 0 {
		out = append(out, "replaced by another stream")
	}
	if len(out) == 0 {
		return ""
	}
	return fmt.Sprintf("page of user %d on %s: %s", p.user, p.node, strings.Join(out, "; "))
}

// waitPages waits until every page shows what want says of its user,
// and fails with how they differ if they do not within d.
func waitPages(t *testing.T, d time.Duration, pages []*page, want func(user int64) pageState) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var diff []string
		for _, p := range pages {
			if s := p.differs(want(p.user)); s != "" {
				diff = append(diff, s)
			}
		}
		if len(diff) == 0 {
			return
		}
		if time.Now().After(deadline) {
			n := len(diff)
			if n > 10 {
				diff = append(diff[:10], fmt.Sprintf("... and %d more", n-10))
			}
			t.Fatalf("%d of %d pages do not show their user's state within %v:\n%s", n, len(pages), d, strings.Join(diff, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// withApplicationName is the database URL with the connections' name set.
func withApplicationName(t *testing.T, dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}
