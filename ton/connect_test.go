package ton_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	"github.com/xssnick/tonutils-go/ton/jetton"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

var comments = []string{
	"",
	"hello",
	"order #42: 1.5 TON & more?",
	"юникод 🚀",
	strings.Repeat("long comment spanning several cells ", 20),
}

func TestCommentCell(t *testing.T) {
	t.Parallel()
	for _, c := range comments {
		msg := tlb.InternalMessage{Body: ton.CommentCell(c)}
		if got := msg.Comment(); got != c {
			t.Errorf("comment %q reads back as %q", c, got)
		}
		p := ton.CommentPayload(c)
		if !strings.HasPrefix(p, "te6cc") {
			t.Errorf("payload %q does not start with te6cc", p)
		}
		boc, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			t.Fatal(err)
		}
		root, err := ton.ParseBOC(boc)
		if err != nil || !bytes.Equal(root.Hash(), ton.CommentCell(c).Hash()) {
			t.Errorf("payload of %q is not its comment cell: %v", c, err)
		}
	}
}

func TestJettonTransferBody(t *testing.T) {
	t.Parallel()
	dest := address.MustParseRawAddr("0:" + strings.Repeat("11", 32))
	resp := address.MustParseRawAddr("0:" + strings.Repeat("22", 32))
	for _, c := range comments {
		for _, amount := range []store.Amount{0, 1, 1_500_000, math.MaxInt64} {
			body := ton.JettonTransferBody(77, amount, dest, resp, 1, c)
			var p jetton.TransferPayload
			if err := tlb.Parse(&p, body); err != nil {
				t.Fatalf("%q: %v", c, err)
			}
			if p.QueryID != 77 || p.Amount.Nano().Int64() != int64(amount) || !p.Destination.Equals(dest) ||
				!p.ResponseDestination.Equals(resp) || p.CustomPayload != nil || p.ForwardTONAmount.Nano().Int64() != 1 {
				t.Fatalf("%q: parsed %+v", c, p)
			}
			fwd := p.ForwardPayload.MustBeginParse()
			if c == "" {
				if body.RefsNum() != 0 || fwd.BitsLeft() != 0 {
					t.Fatalf("empty comment: forward payload %s", p.ForwardPayload.Dump())
				}
				continue
			}
			// The comment is in a ref, whatever its length.
			if body.RefsNum() != 1 || !bytes.Equal(body.MustPeekRef(0).Hash(), ton.CommentCell(c).Hash()) {
				t.Fatalf("%q: forward payload not in a ref", c)
			}
			if op, err := fwd.LoadUInt(32); err != nil || op != 0 {
				t.Fatalf("%q: op %d %v", c, op, err)
			}
			if s, err := fwd.LoadStringSnake(); err != nil || s != c {
				t.Fatalf("%q: forward comment %q %v", c, s, err)
			}
		}
	}

	// The same as tonutils-go's own serialization when it too chooses a ref.
	long := comments[len(comments)-1]
	ref, err := tlb.ToCell(jetton.TransferPayload{
		QueryID:             5,
		Amount:              tlb.FromNanoTONU(1000),
		Destination:         dest,
		ResponseDestination: resp,
		ForwardTONAmount:    tlb.FromNanoTONU(1),
		ForwardPayload:      ton.CommentCell(long),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ref.Hash(), ton.JettonTransferBody(5, 1000, dest, resp, 1, long).Hash()) {
		t.Fatal("differs from tonutils-go's TransferPayload")
	}

	a := ton.JettonTransferBody(9, 10, dest, resp, 1, "x")
	if !bytes.Equal(a.Hash(), ton.JettonTransferBody(9, 10, dest, resp, 1, "x").Hash()) {
		t.Fatal("not deterministic")
	}
	if bytes.Equal(a.Hash(), ton.JettonTransferBody(10, 10, dest, resp, 1, "x").Hash()) {
		t.Fatal("query id ignored")
	}

	var p jetton.TransferPayload
	if err := tlb.LoadFromCell(&p, ton.JettonTransferBody(1, 1, dest, nil, 0, "").MustBeginParse()); err != nil {
		t.Fatal(err)
	}
	if p.ResponseDestination != nil && !p.ResponseDestination.IsAddrNone() {
		t.Fatalf("nil response destination became %s", p.ResponseDestination)
	}

	for name, f := range map[string]func(){
		"nil destination": func() { ton.JettonTransferBody(1, 1, nil, resp, 0, "") },
		"negative amount": func() { ton.JettonTransferBody(1, -1, dest, resp, 0, "") },
		"negative fwd":    func() { ton.JettonTransferBody(1, 1, dest, resp, -1, "") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestConnectSendTransaction(t *testing.T) {
	t.Parallel()
	to := address.MustParseRawAddr("0:" + strings.Repeat("33", 32))
	jw := address.MustParseRawAddr("0:" + strings.Repeat("44", 32))
	body := ton.JettonTransferBody(1, 5_000_000, to, jw, 1, "order 7")
	tx := ton.NewSendTransaction(t0.Add(5*time.Minute), true,
		ton.TONMessage(to, true, 1_500_000_000, "order 7"),
		ton.TONMessage(to, true, 1, ""),
		ton.JettonMessage(jw, true, 50_000_000, body),
	)
	if err := tx.Validate(t0); err != nil {
		t.Fatal(err)
	}

	raw, err := json.Marshal(tx)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatal(err)
	}
	if len(generic) != 3 || generic["validUntil"] != float64(t0.Add(5*time.Minute).Unix()) || generic["network"] != "-3" {
		t.Fatalf("request %s", raw)
	}
	msgs := generic["messages"].([]any)
	want := []map[string]any{
		{"address": ton.FormatAddress(to, true), "amount": "1500000000", "payload": ton.CommentPayload("order 7")},
		{"address": ton.FormatAddress(to, true), "amount": "1"},
		{"address": ton.FormatBounceable(jw, true), "amount": "50000000", "payload": base64.StdEncoding.EncodeToString(body.ToBOC())},
	}
	for i, m := range msgs {
		m := m.(map[string]any)
		if len(m) != len(want[i]) {
			t.Errorf("message %d has keys %v", i, m)
		}
		for k, v := range want[i] {
			if m[k] != v {
				t.Errorf("message %d %s = %v, want %v", i, k, m[k], v)
			}
		}
	}
	if !strings.HasPrefix(msgs[0].(map[string]any)["address"].(string), "0Q") || !strings.HasPrefix(msgs[2].(map[string]any)["address"].(string), "kQ") {
		t.Errorf("testnet flags or bounce: %s", raw)
	}
	if mainnet := ton.NewSendTransaction(t0, false); mainnet.Network != ton.ChainMainnet {
		t.Errorf("mainnet network %q", mainnet.Network)
	}

	ok := ton.TONMessage(to, false, 1, "")
	tests := []struct {
		name string
		mut  func(*ton.SendTransaction)
	}{
		{"expired", func(s *ton.SendTransaction) { s.ValidUntil = t0.Unix() }},
		{"no messages", func(s *ton.SendTransaction) { s.Messages = nil }},
		{"five messages", func(s *ton.SendTransaction) { s.Messages = []ton.Message{ok, ok, ok, ok, ok} }},
		{"raw address", func(s *ton.SendTransaction) { s.Messages[0].Address = to.StringRaw() }},
		{"bad address", func(s *ton.SendTransaction) { s.Messages[0].Address = "UQ" + strings.Repeat("A", 46) }},
		{"testnet address on mainnet", func(s *ton.SendTransaction) { s.Messages[0].Address = ton.FormatAddress(to, true) }},
		{"decimal amount", func(s *ton.SendTransaction) { s.Messages[0].Amount = "1.5" }},
		{"negative amount", func(s *ton.SendTransaction) { s.Messages[0].Amount = "-1" }},
		{"empty amount", func(s *ton.SendTransaction) { s.Messages[0].Amount = "" }},
		{"url-safe payload", func(s *ton.SendTransaction) {
			s.Messages[0].Payload = strings.NewReplacer("+", "-", "/", "_").Replace(ton.CommentPayload(strings.Repeat("?>", 40)))
		}},
		{"unpadded payload", func(s *ton.SendTransaction) { s.Messages[0].Payload = strings.TrimRight(ton.CommentPayload("ab"), "=") }},
		{"not a boc", func(s *ton.SendTransaction) {
			s.Messages[0].Payload = base64.StdEncoding.EncodeToString([]byte("hello"))
		}},
		{"bad network", func(s *ton.SendTransaction) { s.Network = "mainnet" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ton.NewSendTransaction(t0.Add(time.Minute), false, ok)
			tt.mut(&s)
			if err := s.Validate(t0); !errors.Is(err, ton.ErrBadTransaction) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if p := ton.CommentPayload(strings.Repeat("?>", 40)); !strings.ContainsAny(p, "+/") || !strings.HasSuffix(ton.CommentPayload("ab"), "=") {
		t.Fatal("test payloads do not exercise the url-safe and padding cases")
	}
}

func TestTransferLink(t *testing.T) {
	t.Parallel()
	to := address.MustParseRawAddr("0:" + strings.Repeat("55", 32))
	master := address.MustParseRawAddr("0:" + strings.Repeat("66", 32))
	comment := "order #7 & co: 100% + = ? / ü"
	tests := []struct {
		name, got, want string
	}{
		{"ton", ton.TransferLink(to, false, 1_500_000_000, "hello world"),
			"ton://transfer/" + ton.FormatAddress(to, false) + "?amount=1500000000&text=hello%20world"},
		{"ton testnet", ton.TransferLink(to, true, 1, ""),
			"ton://transfer/" + ton.FormatAddress(to, true) + "?amount=1"},
		{"no amount", ton.TransferLink(to, false, 0, "x"),
			"ton://transfer/" + ton.FormatAddress(to, false) + "?text=x"},
		{"bare", ton.TransferLink(to, false, 0, ""),
			"ton://transfer/" + ton.FormatAddress(to, false)},
		{"jetton", ton.JettonTransferLink(to, master, false, 2_500_000, "hi"),
			"ton://transfer/" + ton.FormatAddress(to, false) + "?jetton=" + ton.FormatBounceable(master, false) + "&amount=2500000&text=hi"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, tt.got, tt.want)
		}
	}

	for _, link := range []string{ton.TransferLink(to, false, 5, comment), ton.JettonTransferLink(to, master, true, 5, comment)} {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "ton" || u.Host != "transfer" {
			t.Fatalf("%s: scheme %q host %q", link, u.Scheme, u.Host)
		}
		if _, err := ton.ParseAddress(strings.TrimPrefix(u.Path, "/"), true); err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil || q.Get("text") != comment || q.Get("amount") != "5" {
			t.Fatalf("%s: query %v %v", link, q, err)
		}
		// Wallets decode with decodeURIComponent: no "+" for a space.
		_, raw, _ := strings.Cut(u.RawQuery, "text=")
		if dec, err := url.PathUnescape(raw); err != nil || dec != comment || strings.Contains(raw, "+") {
			t.Fatalf("%s: text %q decodes to %q %v", link, raw, dec, err)
		}
		if strings.Contains(link, "jetton=") {
			if m, err := ton.ParseAddress(q.Get("jetton"), true); err != nil || !m.Equals(master) {
				t.Fatalf("%s: jetton %v", link, err)
			}
		}
	}
}
