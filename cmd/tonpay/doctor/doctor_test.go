package doctor_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/cmd/tonpay/doctor"
)

// A configuration that did not load is the first finding, a failure with
// its fix naming the variable; nothing else is checked.
func TestConfigErrorIsTheFirstFinding(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		fix  string
	}{
		{"a variable", &doctor.ConfigError{Var: "BOT_TOKEN", Err: errors.New("BOT_TOKEN: required")},
			"fix: set BOT_TOKEN in the environment or the .env file"},
		{"no variable named", &doctor.ConfigError{Err: errors.New(".env: unreadable")}, "fix: see README.md, Configuration"},
		{"a plain error", errors.New("something else"), "fix: see README.md, Configuration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			code := doctor.Run(context.Background(), nil, tt.err, &out, doctor.Deps{})
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if code != 1 || len(lines) != 2 {
				t.Fatalf("exit %d, output:\n%s", code, out.String())
			}
			if !strings.HasPrefix(lines[0], "FAIL  config ") || !strings.Contains(lines[0], tt.err.Error()) || !strings.Contains(lines[0], tt.fix) {
				t.Errorf("finding: %q", lines[0])
			}
			if lines[1] != "1 check(s) failed, 0 warning(s)" {
				t.Errorf("summary: %q", lines[1])
			}
		})
	}
}

func TestHumanBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 bytes", 1023: "1023 bytes", 1024: "1.0 KiB", 1536: "1.5 KiB",
		5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := doctor.HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// The token's secret part never shows.
func TestRedact(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"123456:AAE-secret": "123456:***", "no-colon-secret": "***", ":secret": "***"} {
		if got := doctor.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
