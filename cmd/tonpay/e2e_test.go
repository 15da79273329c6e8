package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"
	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/tlb"
	tonapi "github.com/xssnick/tonutils-go/ton"
	"github.com/xssnick/tonutils-go/ton/wallet"
	"github.com/xssnick/tonutils-go/tvm/cell"

	"github.com/tonpay/tonpay/bot/botapi"
	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
	"github.com/tonpay/tonpay/ton/tontest"
)

// fakeBotAPI is the tests' Bot API stand-in: it answers what the service
// calls, records what it sends and delivers queued commands.
func fakeBotAPI(t *testing.T) *botapi.API { return botapi.New(t) }

// signer plays the user's wallet app for the page: it proves ownership with
// a real ton_proof and signs real external messages, which it broadcasts to
// the fake chain as a wallet would.
type signer struct {
	t      *testing.T
	chain  *tontest.Chain
	api    tonapi.APIClientWrapped
	wallet *tontest.Wallet
}

func (s *signer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err error
	var out any
	switch r.URL.Path {
	case "/connect":
		out, err = s.connect(r)
	case "/send":
		out, err = s.send(r)
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.t.Logf("signer %s: %v", r.URL.Path, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	json.NewEncoder(w).Encode(out)
}

func (s *signer) connect(r *http.Request) (any, error) {
	var req struct{ Payload, Domain string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, err
	}
	key := s.wallet.PrivateKey()
	pub := key.Public().(ed25519.PublicKey)
	si, err := wallet.GetStateInit(pub, wallet.V4R2, wallet.DefaultSubwallet)
	if err != nil {
		return nil, err
	}
	siCell, err := tlb.ToCell(si)
	if err != nil {
		return nil, err
	}
	addr := s.wallet.Address()
	ts := time.Now().Unix()
	var inner bytes.Buffer
	inner.WriteString("ton-proof-item-v2/")
	binary.Write(&inner, binary.BigEndian, int32(addr.Workchain()))
	inner.Write(addr.Data())
	binary.Write(&inner, binary.LittleEndian, uint32(len(req.Domain)))
	inner.WriteString(req.Domain)
	binary.Write(&inner, binary.LittleEndian, uint64(ts))
	inner.WriteString(req.Payload)
	innerHash := sha256.Sum256(inner.Bytes())
	digest := sha256.Sum256(append(append([]byte{0xff, 0xff}, "ton-connect"...), innerHash[:]...))
	return map[string]any{"items": []any{
		map[string]any{"name": "ton_addr", "address": addr.StringRaw(), "network": "-3",
			"walletStateInit": base64.StdEncoding.EncodeToString(siCell.ToBOC()), "publicKey": hex.EncodeToString(pub)},
		map[string]any{"name": "ton_proof", "proof": map[string]any{
			"timestamp": ts, "domain": map[string]any{"lengthBytes": len(req.Domain), "value": req.Domain},
			"payload": req.Payload, "signature": base64.StdEncoding.EncodeToString(ed25519.Sign(key, digest[:]))}},
	}}, nil
}

func (s *signer) send(r *http.Request) (any, error) {
	var req struct {
		Messages []struct{ Address, Amount, Payload string }
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		return nil, err
	}
	var msgs []*wallet.Message
	for _, m := range req.Messages {
		to, err := address.ParseAddr(m.Address)
		if err != nil {
			return nil, err
		}
		amt, ok := new(big.Int).SetString(m.Amount, 10)
		if !ok {
			return nil, fmt.Errorf("amount %q", m.Amount)
		}
		body := cell.BeginCell().EndCell()
		if m.Payload != "" {
			raw, err := base64.StdEncoding.DecodeString(m.Payload)
			if err != nil {
				return nil, err
			}
			if body, err = cell.FromBOC(raw); err != nil {
				return nil, err
			}
		}
		msgs = append(msgs, &wallet.Message{Mode: wallet.PayGasSeparately + wallet.IgnoreErrors, InternalMessage: &tlb.InternalMessage{
			IHRDisabled: true, Bounce: to.IsBounceable(), DstAddr: to, Amount: tlb.FromNanoTON(amt), Body: body}})
	}
	w, err := wallet.FromPrivateKey(s.api, s.wallet.PrivateKey(), wallet.V4R2)
	if err != nil {
		return nil, err
	}
	ext, err := w.BuildExternalMessageForMany(r.Context(), msgs)
	if err != nil {
		return nil, err
	}
	c, err := tlb.ToCell(ext)
	if err != nil {
		return nil, err
	}
	boc := c.ToBOC()
	if err := s.chain.SendExternal(boc); err != nil {
		return nil, err
	}
	return map[string]any{"boc": base64.StdEncoding.EncodeToString(boc)}, nil
}

// TestMiniAppTopUpInBrowser drives the real page in headless Chromium
// against the whole service on the offline chain: connect a wallet with
// ton_proof, top up 1.5 TON, see paid and the balance pushed by the server.
func TestMiniAppTopUpInBrowser(t *testing.T) {
	t.Parallel()
	const token = "123456:E2E-secret"
	e := newE2E(t, token, 400*time.Millisecond, nil)
	ctx := context.Background()
	api, err := e.chain.Client(ctx)
	if err != nil {
		t.Fatal(err)
	}
	user, err := e.chain.NewWallet(wallet.V4R2, 100_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	signerSrv := httptest.NewServer(&signer{t: t, chain: e.chain, api: api, wallet: user})
	defer signerSrv.Close()
	e.start()

	authDate := time.Now()
	qs := url.Values{
		"auth_date":     {strconv.FormatInt(authDate.Unix(), 10)},
		"user":          {`{"id":777001,"first_name":"Ada","last_name":"","username":"ada","language_code":"en"}`},
		"query_id":      {"AAE-e2e"},
		"chat_instance": {"-1"},
		"chat_type":     {"sender"},
	}.Encode()
	hash, err := initdata.SignQueryString(qs, token, authDate)
	if err != nil {
		t.Fatal(err)
	}
	signed := qs + "&hash=" + hash
	var res struct {
		OK      bool   `json:"ok"`
		Polls   int    `json:"polls"`
		Balance string `json:"balance"`
		Error   string `json:"error"`
		Step    string `json:"step"`
		// The top-up screen's own deposit address and its line.
		OwnAddress   string `json:"own_address"`
		OwnNoComment string `json:"own_address_no_comment"`
	}
	last, err := e.driver("topup.mjs", []string{"INIT_DATA=" + signed, "SIGNER_URL=" + signerSrv.URL, "AMOUNT=1.5", "MAX_POLLS=0"}, &res)
	if err != nil || !res.OK {
		t.Fatalf("browser run failed (%v): %s\nservice log:\n%s", err, last, e.svc.log())
	}
	if res.Polls != 0 || res.Balance != "1.5" {
		t.Fatalf("polls %d (want 0: the stream must carry the status), balance %q", res.Polls, res.Balance)
	}

	// The server's own record agrees with the page.
	db := e.db
	if b, _ := db.Balance(ctx, store.UserAccount(777001), store.TON.Symbol); b != 1_500_000_000 {
		t.Fatalf("ledger balance %d", b)
	}
	if w, err := db.WalletOf(ctx, 777001); err != nil || w.Address != user.Address().StringRaw() {
		t.Fatalf("linked wallet %+v %v", w, err)
	}
	// The page showed the user's own deposit address, the one on record.
	dw, err := db.DepositWallet(ctx, store.UserOwner(777001))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := ton.DepositAddressText(dw.Address, true); res.OwnAddress != want || !strings.Contains(res.OwnNoComment, "No comment needed") {
		t.Fatalf("top-up screen showed %q (%q); the user's deposit address is %q", res.OwnAddress, res.OwnNoComment, want)
	}
	t.Logf("browser e2e: %s", last)
}
