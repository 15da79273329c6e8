package doctor

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/tonpay/tonpay/store"
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

// The replication and archiving lines for what the throwaway test cluster
// cannot show (a standby attached, a standby server, archiving on or
// failing), from the figures the server would give.
func TestReplicationAndArchivingLines(t *testing.T) {
	t.Parallel()
	now := time.Now()
	for _, tt := range []struct {
		name string
		srv  store.PostgresServer
		want []string // the lines, in order: verdict, name, and a part of the detail
	}{
		{"a streaming standby, caught up", store.PostgresServer{User: "tonpay", ArchiveMode: "on", Archived: 42, LastArchivedWAL: "00000001000000000000002A",
			LastArchived: now.Add(-90 * time.Second), Standbys: []store.Standby{{Name: "replica1", Client: "10.0.0.2", State: "streaming", SyncState: "async",
				Visible: true, WriteLag: 1200 * time.Microsecond, WriteLagOK: true, ReplayLag: 3400 * time.Microsecond, ReplayLagOK: true, ReplayBytes: 8192}}},
			[]string{"ok    replication  replica1 (10.0.0.2, streaming, async): write lag 1.2ms, replay lag 3.4ms, 8.0 KiB of WAL not replayed yet",
				"ok    backups      WAL archiving on: 42 segments archived, the last (00000001000000000000002A) 1m30s ago"}},
		{"an idle standby, a lagging one, a hidden one", store.PostgresServer{User: "tonpay", ArchiveMode: "on", Standbys: []store.Standby{
			{Name: "idle", Client: "10.0.0.2", State: "streaming", SyncState: "sync", Visible: true},
			{Name: "slow", Client: "10.0.0.3", State: "streaming", SyncState: "async", Visible: true, ReplayLag: 3 * time.Minute, ReplayLagOK: true, ReplayBytes: 3 << 30},
			{Name: "hidden", Client: "10.0.0.4"}}},
			[]string{"ok    replication  idle (10.0.0.2, streaming, sync): write lag none (idle), replay lag none (idle)",
				"warn  replication  slow (10.0.0.3, streaming, async): write lag none (idle), replay lag 3m0s, 3.0 GiB of WAL not replayed yet -- fix: the standby falls behind",
				"warn  replication  hidden (10.0.0.4): attached, but its state and lag are hidden from role tonpay -- fix: GRANT pg_read_all_stats TO tonpay",
				"warn  backups      WAL archiving is on, nothing archived yet"}},
		{"a standby server, archiving failing", store.PostgresServer{Standby: true, ReplayedAt: now.Add(-2 * time.Second), ReplayedAtOK: true,
			ArchiveMode: "on", Archived: 5, LastArchived: now.Add(-time.Hour), Failed: 3, LastFailed: now.Add(-time.Minute), LastFailedWAL: "000000010000000000000006"},
			[]string{"warn  replication  this server is a standby: the last transaction it replayed was committed 2",
				"FAIL  backups      WAL archiving fails: segment 000000010000000000000006 could not be archived 1m0s ago (3 failures; the last success 1h0m0s ago) -- fix: look at the server's log"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			d := &doctor{out: &out}
			d.replication(tt.srv)
			d.archiving(tt.srv)
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tt.want), out.String())
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("line %d:\n%s\nwant it to start\n%s", i, lines[i], want)
				}
			}
		})
	}
}
