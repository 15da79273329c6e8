package doctor

// The checks of a service on PostgreSQL (DATABASE_URL): the connection, the
// server's version, the schema, the ledger's invariants, the leader's lease,
// the replication it can see and the WAL archiving point-in-time recovery
// rests on. The SQLite file's checks (its disk, the scheduled backups) mean
// nothing there: the database lives on the server.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tonpay/tonpay/store"
)

// MinPostgres is the oldest PostgreSQL major version tonpay runs on.
const MinPostgres = store.MinPostgres

// TestedPostgres is the major version the tests and CI run on (Debian 12's).
const TestedPostgres = 15

// postgresEOL is when the PostgreSQL project stops fixing each major
// version (https://www.postgresql.org/support/versioning/).
var postgresEOL = map[int]string{
	12: "2024-11-21", 13: "2025-11-13", 14: "2026-11-12", 15: "2027-11-11",
	16: "2028-11-09", 17: "2029-11-08", 18: "2030-11-14",
}

// Replication lag above which a standby is reported as behind.
const StandbyLagWarn = time.Minute

// postgresVersion judges a server's version (server_version_num) at now:
// too old to run (fail), past its end of life (warn), or fine.
func postgresVersion(num int, version string, now time.Time) (v verdict, detail, fix string) {
	major := num / 10000
	name := "PostgreSQL " + strings.Fields(version + " ")[0]
	supported := fmt.Sprintf("tonpay runs on PostgreSQL %d and newer, tested on %d", MinPostgres, TestedPostgres)
	if major < MinPostgres {
		return vFail, fmt.Sprintf("%s is too old: %s (its migrations use jsonpath, new in PostgreSQL %d)", name, supported, MinPostgres),
			fmt.Sprintf("upgrade the server (pg_upgrade, or a managed PostgreSQL %d or newer)", TestedPostgres)
	}
	eol, known := postgresEOL[major]
	if !known {
		return vOK, fmt.Sprintf("%s, newer than tonpay was tested on (%s)", name, supported), ""
	}
	end, _ := time.Parse(time.DateOnly, eol)
	if !now.Before(end) {
		return vWarn, fmt.Sprintf("%s works, but the PostgreSQL project stopped fixing %d on %s: no more security fixes (%s)", name, major, eol, supported),
			"plan an upgrade to a supported major version (pg_upgrade, or the provider's major version upgrade)"
	}
	return vOK, fmt.Sprintf("%s (%s; fixed upstream until %s)", name, supported, eol), ""
}

// postgres checks the PostgreSQL database and its server.
func (d *doctor) postgres() {
	skip := func(names ...string) {
		for _, n := range names {
			d.report(vSkip, n, "skipped: no database to look at", "")
		}
	}
	name := d.cfg.DatabaseName
	ctx, cancel := context.WithTimeout(d.ctx, 15*time.Second)
	defer cancel()
	db, err := store.OpenReadOnly(ctx, d.cfg.DatabaseURL)
	if err != nil {
		if strings.Contains(err.Error(), "not a tonpay database") {
			d.report(vFail, "database", fmt.Sprintf("%s: %v", name, err),
				"DATABASE_URL must name tonpay's database: run tonpay migrate to create the schema (or tonpay migrate-to-postgres to move a SQLite database in)")
		} else {
			d.report(vFail, "database", fmt.Sprintf("cannot connect to %s: %v", name, err),
				"check DATABASE_URL (host, port, user, password, database name) and that this machine may connect (the server's pg_hba.conf, firewall, sslmode)")
		}
		skip("version", "schema", "invariants", "leader", "replication", "backups")
		return
	}
	d.db = db
	srv, err := db.PostgresServer(ctx)
	if err != nil {
		d.report(vFail, "database", fmt.Sprintf("%s: %v", name, err), "check that the role in DATABASE_URL may read the server's statistics views")
		skip("version", "replication", "backups")
	} else {
		role := "a read-write server (not a standby)"
		if srv.Standby {
			d.report(vFail, "database", fmt.Sprintf("%s is a read-only standby (database %s, %s): tonpay writes", name, srv.Database, HumanBytes(srv.Size)),
				"point DATABASE_URL at the primary (or at an address that follows the primary after a failover)")
		} else {
			d.ok("database", "connected to %s as %s: database %s (%s) on %s", name, srv.User, srv.Database, HumanBytes(srv.Size), role)
		}
		v, detail, fix := postgresVersion(srv.VersionNum, srv.Version, time.Now())
		d.report(v, "version", detail, fix)
	}
	d.schema()
	d.invariants()
	d.lease()
	if err == nil {
		d.replication(srv)
	}
	d.report(vSkip, "disk", "skipped: the ledger lives on the PostgreSQL server, not on this machine: watch the server's disk there", "")
	if err == nil {
		d.archiving(srv)
	}
}

// invariants checks the live ledger as tonpay backup checks a copy: entries
// sum to zero per asset, cached balances equal their entries, no user or
// merchant below zero (one read snapshot).
func (d *doctor) invariants() {
	problems, err := d.db.Audit(d.ctx)
	switch {
	case err != nil:
		d.report(vFail, "invariants", "reading the ledger: "+err.Error(), "see the database check above")
	case len(problems) > 0:
		d.report(vFail, "invariants", fmt.Sprintf("%d problem(s): %s", len(problems), strings.Join(problems, "; ")),
			"stop every node and restore the database from before the problem (point-in-time recovery; README.md, Past one machine)")
	default:
		d.ok("invariants", "the ledger's entries sum to zero per asset, cached balances equal their entries, none below zero")
	}
}

// lease checks the leader's lease: held and not expired, else nothing
// follows the chain, pays, sweeps or delivers webhooks.
func (d *doctor) lease() {
	l, err := d.db.Leader(d.ctx)
	now := time.Now()
	ttl := d.cfg.LeaseTTL
	switch {
	case errors.Is(err, store.ErrNotFound):
		d.report(vWarn, "leader", "no node has led yet: nothing follows the chain or pays",
			"start the service (tonpay serve with this DATABASE_URL): one node takes the lease")
	case err != nil:
		d.report(vFail, "leader", "reading the lease: "+err.Error(), "see the database check above")
	case !now.Before(l.Expires):
		d.report(vFail, "leader", fmt.Sprintf("no leader: the lease of %s (epoch %d) expired %v ago: nothing follows the chain, pays, sweeps or delivers webhooks",
			l.Holder, l.Epoch, now.Sub(l.Expires).Round(time.Second)),
			"start a node (systemctl start tonpay); if nodes run, look in their logs for \"leader's lease\" (a node that cannot write the database cannot lead)")
	case ttl > 0 && l.Expires.Sub(now) > ttl+ClockWarn:
		d.report(vWarn, "leader", fmt.Sprintf("%s (epoch %d), its lease expires in %v, longer than a lease lasts (%v)",
			l.Holder, l.Epoch, l.Expires.Sub(now).Round(time.Second), ttl),
			"the leader's clock is ahead of this machine's: sync the clocks of every node (timedatectl set-ntp true)")
	default:
		d.ok("leader", "%s leads (epoch %d), its lease expires in %v unless renewed", l.Holder, l.Epoch, l.Expires.Sub(now).Round(100*time.Millisecond))
	}
}

// replication reports the standbys a primary streams to, or how far a
// standby is behind.
func (d *doctor) replication(s store.PostgresServer) {
	if s.Standby {
		if !s.ReplayedAtOK {
			d.report(vWarn, "replication", "this server is a standby that has replayed no transaction yet", "point DATABASE_URL at the primary")
			return
		}
		d.report(vWarn, "replication", fmt.Sprintf("this server is a standby: the last transaction it replayed was committed %v ago", time.Since(s.ReplayedAt).Round(time.Millisecond)),
			"point DATABASE_URL at the primary")
		return
	}
	if len(s.Standbys) == 0 {
		d.report(vWarn, "replication", "no standby attached: losing the server's disk loses every transaction since the last archived WAL (or backup)",
			"attach a streaming standby (a managed PostgreSQL with high availability has one), so that a disk loss loses nothing committed")
		return
	}
	for _, st := range s.Standbys {
		who := st.Name
		if who == "" {
			who = "a standby"
		}
		who += " (" + st.Client
		if !st.Visible {
			d.report(vWarn, "replication", who+"): attached, but its state and lag are hidden from role "+s.User,
				"GRANT pg_read_all_stats TO "+s.User+" to let doctor see the lag")
			continue
		}
		who += ", " + st.State + ", " + st.SyncState + ")"
		lag := func(v time.Duration, ok bool) string {
			if !ok {
				return "none (idle)"
			}
			return v.Round(time.Microsecond).String()
		}
		detail := fmt.Sprintf("%s: write lag %s, replay lag %s, %s of WAL not replayed yet", who,
			lag(st.WriteLag, st.WriteLagOK), lag(st.ReplayLag, st.ReplayLagOK), HumanBytes(st.ReplayBytes))
		switch {
		case st.State != "streaming":
			d.report(vWarn, "replication", detail, "the standby is not streaming yet: look at its log (it catches up after a restart)")
		case st.ReplayLagOK && st.ReplayLag > StandbyLagWarn:
			d.report(vWarn, "replication", detail, "the standby falls behind: look at its disk and network; a failover to it now loses what it has not received")
		default:
			d.report(vOK, "replication", detail, "")
		}
	}
}

// archiving reports the WAL archiving point-in-time recovery rests on: on
// PostgreSQL the database's own backups are what counts (tonpay's
// scheduled copies are of the SQLite file).
func (d *doctor) archiving(s store.PostgresServer) {
	const pitr = "base backups (pg_basebackup, or pgBackRest / Barman) with archive_mode=on and an archive_command, or a managed PostgreSQL's point-in-time recovery (README.md, Past one machine)"
	switch {
	case s.ArchiveMode != "on" && s.ArchiveMode != "always":
		d.report(vWarn, "backups", "WAL archiving is off on this server: no point-in-time recovery from it (a managed service's own backups are not visible from here: check its console)",
			"set up "+pitr)
	case s.Failed > 0 && s.LastFailed.After(s.LastArchived):
		d.report(vFail, "backups", fmt.Sprintf("WAL archiving fails: segment %s could not be archived %v ago (%d failures; the last success %s)",
			s.LastFailedWAL, time.Since(s.LastFailed).Round(time.Second), s.Failed, ago(s.LastArchived)),
			"look at the server's log for the archive_command's error; until it works point-in-time recovery stops at the last archived segment and WAL piles up on the server's disk")
	case s.Archived == 0:
		d.report(vWarn, "backups", "WAL archiving is on, nothing archived yet",
			"a segment is archived when it fills or after archive_timeout: if none comes, check archive_command (and take a base backup)")
	default:
		d.ok("backups", "WAL archiving on: %d segments archived, the last (%s) %s; point-in-time recovery also needs a base backup, which doctor cannot see",
			s.Archived, s.LastArchivedWAL, ago(s.LastArchived))
	}
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return time.Since(t).Round(time.Second).String() + " ago"
}
