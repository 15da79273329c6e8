package miniapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	initdata "github.com/telegram-mini-apps/init-data-golang"

	"github.com/tonpay/tonpay/miniapp"
)

func TestAuthRejectsBadInitDataAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	valid := initData(t, 42, botToken, now)

	tampered := strings.Replace(valid, "ann42", "mallory", 1)
	if tampered == valid {
		t.Fatal("tampering changed nothing")
	}
	q, _ := url.ParseQuery(valid)
	q.Set("auth_date", "1") // hash kept: the signature no longer matches
	tamperedDate := q.Encode()

	cases := []struct {
		name   string
		header string
	}{
		{"missing header", ""},
		{"tampered user", "tma " + tampered},
		{"tampered auth_date", "tma " + tamperedDate},
		{"expired", "tma " + initData(t, 42, botToken, now.Add(-25*time.Hour))},
		{"other bot's token", "tma " + initData(t, 42, otherToken, now)},
		{"no hash", "tma " + strings.Split(valid, "&hash=")[0]},
		{"wrong scheme", "Bearer " + valid},
		{"scheme only", "tma "},
		{"garbled", "tma %zz;;&&=="},
		{"forged hash", "tma user=%7B%22id%22%3A42%7D&auth_date=1700000000&hash=00ff"},
		{"huge", "tma " + strings.Repeat("a", 20000)},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			for _, route := range []struct{ method, path string }{{"GET", "/api/me"}, {"POST", "/api/deposits"}, {"GET", "/api/events"}} {
				r := e.do(route.method, route.path, tt.header, `{"asset":"TON","amount":"1"}`)
				if r.status != 401 || r.errCode() != "unauthorized" || r.errMessage() == "" {
					t.Fatalf("%s %s: %d %s", route.method, route.path, r.status, r.body)
				}
			}
		})
	}
	ctx := context.Background()
	if n, err := e.db.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("rejected requests wrote users: %d %v", n, err)
	}

	r := e.do("GET", "/api/me", "tma "+valid, nil)
	if r.status != 200 {
		t.Fatalf("valid: %d %s", r.status, r.body)
	}
	me := r.json(t)
	u := me["user"].(map[string]any)
	if u["id"].(float64) != 42 || u["first_name"] != "Ann + Bob" || u["username"] != "ann42" {
		t.Fatalf("user: %v", u)
	}
	stored, err := e.db.User(ctx, 42)
	if err != nil || stored.FirstName != "Ann + Bob" || stored.Comment == "" {
		t.Fatalf("stored user: %+v %v", stored, err)
	}
	// The cache answers the same string again, and an expired one still fails.
	if r := e.do("GET", "/api/me", "tma "+valid, nil); r.status != 200 {
		t.Fatalf("again: %d", r.status)
	}
}

type fixtureVectors struct {
	Vectors []struct {
		Name     string `json:"name"`
		BotToken string `json:"bot_token"`
		UserID   int64  `json:"user_id"`
		AuthDate int64  `json:"auth_date"`
		InitData string `json:"init_data"`
	} `json:"vectors"`
}

func TestSharedInitDataFixturesValidate(t *testing.T) {
	raw, err := os.ReadFile("../../shared/fixtures/init_data.json")
	if err != nil {
		t.Skipf("shared fixtures not present: %v", err)
	}
	var f fixtureVectors
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			if err := initdata.Validate(v.InitData, v.BotToken, 0); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if err := initdata.Validate(v.InitData, v.BotToken, time.Second); !errors.Is(err, initdata.ErrExpired) {
				t.Fatalf("1s TTL: %v", err)
			}
			if err := initdata.Validate(v.InitData, botToken, 0); !errors.Is(err, initdata.ErrSignInvalid) {
				t.Fatalf("our token: %v", err)
			}
			// Through the server, with a TTL that reaches back to the fixture.
			age := time.Since(time.Unix(v.AuthDate, 0)) + time.Hour
			e := newEnv(t, func(c *miniapp.Config) { c.BotToken, c.InitDataTTL = v.BotToken, age })
			r := e.do("GET", "/api/me", "tma "+v.InitData, nil)
			if r.status != 200 {
				t.Fatalf("me: %d %s", r.status, r.body)
			}
			if id := r.json(t)["user"].(map[string]any)["id"].(float64); int64(id) != v.UserID {
				t.Fatalf("user id %v, want %d", id, v.UserID)
			}
			// The same data with the default 24 h TTL is expired.
			e2 := newEnv(t, func(c *miniapp.Config) { c.BotToken = v.BotToken })
			if r := e2.do("GET", "/api/me", "tma "+v.InitData, nil); r.status != 401 {
				t.Fatalf("expired fixture: %d", r.status)
			}
		})
	}
}
