package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"

	"github.com/tonpay/tonpay/bot/botapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
	"github.com/tonpay/tonpay/ton/tonrig"
	"github.com/tonpay/tonpay/ton/tontest"
)

// BenchmarkAPIMeNodes measures authenticated GET /api/me (valid initData)
// served by the built binary on PostgreSQL: 64 keep-alive connections
// against one node, then the same 64 split across two nodes of the same
// database (one leads, the other only serves), reporting req/s and the
// 99th percentile of each. The load comes from this process, so on a
// machine with few cores the client, both nodes and PostgreSQL share them.
// Requests carry X-Forwarded-For as from a proxy (tonpay trusts it from
// loopback without TLS_DOMAIN), one address per user, and the users are
// many, so the per-IP and per-user limits refuse none of them.
//
//	deploy/pgtest.sh go test -run '^$' -bench APIMeNodes -benchtime 1x ./cmd/tonpay/
func BenchmarkAPIMeNodes(b *testing.B) {
	const (
		conns = 64
		users = 2048
		token = "123456:BENCH"
	)
	pg := storetest.Schema(b)
	bin := buildBinary(b)
	ctx := context.Background()

	chain := tonrig.Chain(b, tontest.Options{})
	chain.AutoMine(time.Second)
	db, err := store.Open(ctx, pg)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	work := b.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + work,
		"BOT_TOKEN=" + token, "TELEGRAM_API_URL=" + botapi.New(b).URL,
		"DATABASE_URL=" + pg, "DB_PATH=" + work + "/unused.db",
		"TON_LITESERVERS=" + chain.LiteServers(), "TON_PROOF_CHECK=unsafe", "TON_RPS=0",
		"HOT_WALLET_MNEMONIC=" + strings.Join(tonrig.Seed(), " "), "LOG_LEVEL=warn",
	}
	var bases []string
	for _, name := range []string{"n1", "n2"} {
		addr := freeAddr(b)
		cmd := exec.Command(bin, "serve")
		cmd.Dir = work
		cmd.Env = append(append([]string(nil), env...), "NODE_NAME="+name, "HTTP_ADDR="+addr)
		log := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			if b.Failed() {
				b.Logf("node %s log:\n%s", name, log.String())
			}
		})
		bases = append(bases, "http://"+addr)
	}
	for _, base := range bases {
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err := http.Get(base + "/healthz")
			if err == nil {
				res.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s did not answer within 60 s: %v", base, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// Users with a balance; each one's initData, and an address of its own
	// as a proxy would report it.
	auths := make([]string, users)
	ips := make([]string, users)
	now := time.Now()
	for i := range users {
		id := int64(20_000 + i)
		if _, err := db.UpsertUser(ctx, store.User{ID: id}); err != nil {
			b.Fatal(err)
		}
		qs := url.Values{"auth_date": {strconv.FormatInt(now.Unix(), 10)},
			"user": {fmt.Sprintf(`{"id":%d,"first_name":"U%d","language_code":"en"}`, id, i)}}.Encode()
		hash, err := initdata.SignQueryString(qs, token, now)
		if err != nil {
			b.Fatal(err)
		}
		auths[i] = "tma " + qs + "&hash=" + hash
		ips[i] = fmt.Sprintf("10.1.%d.%d", i/256, i%256)
	}

	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns,
		DialContext: (&net.Dialer{KeepAlive: time.Minute}).DialContext}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	get := func(base string, u int) (int, error) {
		req, _ := http.NewRequest("GET", base+"/api/me", nil)
		req.Header.Set("Authorization", auths[u])
		req.Header.Set("X-Forwarded-For", ips[u])
		res, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}
	// Warm-up: every node has seen every user once (initData checked,
	// the user's first screen read).
	for _, base := range bases {
		for u := range users {
			if code, err := get(base, u); err != nil || code != 200 {
				b.Fatalf("warm-up %s user %d: %d %v", base, u, code, err)
			}
		}
	}

	// run makes n requests over conns connections, connection w going to
	// nodes[w % len(nodes)].
	run := func(nodes []string, n int) (rps float64, p99 time.Duration) {
		var next atomic.Int64
		lat := make([][]time.Duration, conns)
		var wg sync.WaitGroup
		start := time.Now()
		for w := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				base := nodes[w%len(nodes)]
				for {
					i := next.Add(1)
					if i > int64(n) {
						return
					}
					t0 := time.Now()
					code, err := get(base, int(i)%users)
					if err != nil || code != 200 {
						b.Errorf("%s/api/me: %d %v", base, code, err)
						return
					}
					lat[w] = append(lat[w], time.Since(t0))
				}
			}()
		}
		wg.Wait()
		el := time.Since(start)
		all := slices.Concat(lat...)
		slices.Sort(all)
		if len(all) < n {
			b.Fatalf("%d of %d requests completed", len(all), n)
		}
		return float64(len(all)) / el.Seconds(), all[len(all)*99/100]
	}
	n := max(b.N, 20_000)
	b.ResetTimer()
	one, p99One := run(bases[:1], n)
	two, p99Two := run(bases, n)
	b.StopTimer()
	b.ReportMetric(one, "1node-req/s")
	b.ReportMetric(float64(p99One.Microseconds())/1000, "1node-p99-ms")
	b.ReportMetric(two, "2nodes-req/s")
	b.ReportMetric(float64(p99Two.Microseconds())/1000, "2nodes-p99-ms")
	b.ReportMetric(0, "ns/op")
}
