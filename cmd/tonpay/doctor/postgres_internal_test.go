package doctor

import (
	"strings"
	"testing"
	"time"
)

// The server's version: refused below what the migrations use, a warning
// past the PostgreSQL project's end of life, fine otherwise.
func TestPostgresVersion(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		num     int
		version string
		want    verdict
		says    string
	}{
		{110022, "11.22", vFail, "PostgreSQL 11.22 is too old: tonpay runs on PostgreSQL 12 and newer"},
		{90624, "9.6.24", vFail, "too old"},
		{130018, "13.18", vWarn, "stopped fixing 13 on 2025-11-13"},
		{140015, "14.15", vWarn, "stopped fixing 14 on 2026-11-12"},
		{150018, "15.18 (Debian 15.18-0+deb12u1)", vOK, "PostgreSQL 15.18 (tonpay runs on PostgreSQL 12 and newer, tested on 15; fixed upstream until 2027-11-11)"},
		{170002, "17.2", vOK, "until 2029-11-08"},
		{990000, "99.0", vOK, "newer than tonpay was tested on"},
	} {
		v, detail, fix := postgresVersion(tt.num, tt.version, now)
		if v != tt.want || !strings.Contains(detail, tt.says) || (v != vOK) != (fix != "") {
			t.Errorf("%s: %s %q (fix %q), want %s saying %q", tt.version, v, detail, fix, tt.want, tt.says)
		}
	}
}
