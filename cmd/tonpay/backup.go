package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tonpay/tonpay/cmd/tonpay/doctor"
	"github.com/tonpay/tonpay/store"
)

// errBackupBad is backup's answer when the copy was made but does not
// verify: exit code 1, the copy kept for inspection.
var errBackupBad = errors.New("the copy does not verify")

// openDB opens the database, copying it first when this version has a
// migration to apply to it (into BACKUP_DIR, else beside the database);
// copied is told where the copy went.
func openDB(ctx context.Context, cfg *Config, copied func(store.BackupReport)) (*store.DB, error) {
	return store.Open(ctx, cfg.Database(), store.WithMigrationBackup(cfg.BackupDir, copied))
}

// printCopied tells a command's user about the copy openDB made.
func printCopied(w io.Writer) func(store.BackupReport) {
	return func(r store.BackupReport) {
		fmt.Fprintf(w, "copied the database (schema %s) to %s before migrating it\n", r.Schema, r.Path)
	}
}

// backupCmd is `tonpay backup FILE`: a consistent copy of the database,
// made while the service may be running, then verified. FILE may be a
// directory: the copy is named tonpay-<UTC time>.db inside it.
func backupCmd(ctx context.Context, cfg *Config, dst string, stdout io.Writer) error {
	if err := cfg.errNotSQLite("tonpay backup"); err != nil {
		return err
	}
	if _, err := os.Stat(cfg.DBPath); err != nil {
		return fmt.Errorf("database %s: %v (set DB_PATH as the service has it)", cfg.DBPath, unwrapPath(err))
	}
	if info, err := os.Stat(dst); err == nil && info.IsDir() {
		name := backupName(cfg.DBPath, time.Now())
		path := filepath.Join(dst, name)
		for i := 2; ; i++ { // two copies within a second
			if _, err := os.Lstat(path); err != nil {
				break
			}
			path = filepath.Join(dst, fmt.Sprintf("%s-%d.db", strings.TrimSuffix(name, ".db"), i))
		}
		dst = path
	}
	start := time.Now()
	report, err := store.BackupFile(ctx, cfg.DBPath, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s in %s\n%s\n", report.Path, doctor.HumanBytes(report.Size), time.Since(start).Round(time.Millisecond), describeBackup(report))
	if err := report.Err(); err != nil {
		return fmt.Errorf("%w: %s; it is kept at %s for inspection", errBackupBad, strings.ReplaceAll(err.Error(), "\n", "; "), report.Path)
	}
	return nil
}

// describeBackup says what a verified copy holds, in one line.
func describeBackup(r store.BackupReport) string {
	schema := r.Schema + " (current)"
	if len(r.Pending) > 0 {
		schema = fmt.Sprintf("%s (%d migration(s) behind this tonpay: they run when the copy is opened)", r.Schema, len(r.Pending))
	}
	ledger := "entries sum to zero per asset, cached balances equal their entries"
	if len(r.Problems) > 0 {
		ledger = fmt.Sprintf("%d problem(s): %s", len(r.Problems), strings.Join(r.Problems, "; "))
	}
	return fmt.Sprintf("integrity %s; schema %s; ledger: %d transfers, %d entries; %s", r.Integrity, schema, r.Transfers, r.Entries, ledger)
}

// backupName names a scheduled backup of the database at dbPath taken at t:
// tonpay-20260714T101500Z.db.
func backupName(dbPath string, t time.Time) string {
	return backupBase(dbPath) + "-" + t.UTC().Format(store.BackupTimeLayout) + ".db"
}

func backupBase(dbPath string) string {
	return strings.TrimSuffix(filepath.Base(dbPath), filepath.Ext(dbPath))
}

// backups copies the database into BACKUP_DIR every BACKUP_EVERY, verifies
// each copy and keeps the newest BACKUP_KEEP. A failed backup is logged and
// tried again at the next time; it never stops the service.
type backups struct {
	src   string
	dir   string
	every time.Duration
	keep  int
	log   *slog.Logger
	now   func() time.Time

	lastOK   prometheus.Gauge
	lastSize prometheus.Gauge
	failures prometheus.Counter
}

func newBackups(cfg *Config, log *slog.Logger) *backups {
	return &backups{
		src: cfg.DBPath, dir: cfg.BackupDir, every: cfg.BackupEvery, keep: cfg.BackupKeep, log: log, now: time.Now,
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_backup_last_success_timestamp_seconds",
			Help: "When the last verified scheduled backup was made (unix seconds)."}),
		lastSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_backup_last_size_bytes",
			Help: "Size of the last verified scheduled backup."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_backup_failures_total",
			Help: "Scheduled backups that failed or did not verify."}),
	}
}

// Collectors are the backups' metrics.
func (b *backups) Collectors() []prometheus.Collector {
	return []prometheus.Collector{b.lastOK, b.lastSize, b.failures}
}

// Run backs up at once when the newest backup is older than BACKUP_EVERY
// (or none exists), then every BACKUP_EVERY, until ctx ends. A BACKUP_DIR
// that cannot be created or written stops the service at start.
func (b *backups) Run(ctx context.Context) error {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return fmt.Errorf("BACKUP_DIR: %w", err)
	}
	probe, err := os.CreateTemp(b.dir, ".write-test-*")
	if err != nil {
		return fmt.Errorf("BACKUP_DIR %s is not writable: %w", b.dir, unwrapPath(err))
	}
	probe.Close()
	os.Remove(probe.Name())

	next := b.now()
	if files := b.files(); len(files) > 0 {
		next = files[len(files)-1].at.Add(b.every)
	}
	for {
		timer := time.NewTimer(max(0, next.Sub(b.now())))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		b.once(ctx)
		next = b.now().Add(b.every)
	}
}

// once takes one scheduled backup and, when it verifies, deletes the
// oldest beyond BACKUP_KEEP.
func (b *backups) once(ctx context.Context) {
	dst := filepath.Join(b.dir, backupName(b.src, b.now()))
	start := time.Now()
	report, err := store.BackupFile(ctx, b.src, dst)
	if err != nil {
		if ctx.Err() == nil {
			b.failures.Inc()
			b.log.Error("backup failed", "file", dst, "err", err)
		}
		return
	}
	if err := report.Err(); err != nil {
		// Renamed out of the rotation, so it never pushes a good backup out.
		b.failures.Inc()
		bad := dst + ".failed"
		os.Rename(dst, bad)
		b.log.Error("backup does not verify: older backups are kept", "file", bad, "err", err)
		return
	}
	b.lastOK.Set(float64(b.now().Unix()))
	b.lastSize.Set(float64(report.Size))
	b.log.Info("backup", "file", dst, "bytes", report.Size, "took", time.Since(start).Round(time.Millisecond),
		"transfers", report.Transfers)
	b.rotate()
}

type backupFile struct {
	path string
	at   time.Time
}

// files are the scheduled backups in BACKUP_DIR, oldest first. Other files
// (a copy taken before a migration, a .failed one, the operator's own) are
// never listed, so never deleted.
func (b *backups) files() []backupFile {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return nil
	}
	prefix := backupBase(b.src) + "-"
	var out []backupFile
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		stamp, ok = strings.CutSuffix(stamp, ".db")
		at, err := time.Parse(store.BackupTimeLayout, stamp)
		if !ok || err != nil {
			continue
		}
		out = append(out, backupFile{path: filepath.Join(b.dir, e.Name()), at: at})
	}
	slices.SortFunc(out, func(x, y backupFile) int { return x.at.Compare(y.at) })
	return out
}

func (b *backups) rotate() {
	files := b.files()
	for len(files) > b.keep {
		if err := os.Remove(files[0].path); err != nil {
			b.log.Warn("backup rotation", "err", err)
		}
		files = files[1:]
	}
}
