package cli

import (
	"context"
	"fmt"
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

// Backups copies the database into BACKUP_DIR every BACKUP_EVERY, verifies
// each copy and keeps the newest BACKUP_KEEP. A failed backup is logged and
// tried again at the next time; it never stops the service.
type Backups struct {
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

// NewBackups backs the database at src up into dir every every, keeping
// the newest keep.
func NewBackups(src, dir string, every time.Duration, keep int, log *slog.Logger) *Backups {
	return &Backups{
		src: src, dir: dir, every: every, keep: keep, log: log, now: time.Now,
		lastOK: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_backup_last_success_timestamp_seconds",
			Help: "When the last verified scheduled backup was made (unix seconds)."}),
		lastSize: prometheus.NewGauge(prometheus.GaugeOpts{Name: "tonpay_backup_last_size_bytes",
			Help: "Size of the last verified scheduled backup."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "tonpay_backup_failures_total",
			Help: "Scheduled backups that failed or did not verify."}),
	}
}

// Collectors are the backups' metrics.
func (b *Backups) Collectors() []prometheus.Collector {
	return []prometheus.Collector{b.lastOK, b.lastSize, b.failures}
}

// Run backs up at once when the newest backup is older than BACKUP_EVERY
// (or none exists), then every BACKUP_EVERY, until ctx ends. A BACKUP_DIR
// that cannot be created or written stops the service at start.
func (b *Backups) Run(ctx context.Context) error {
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
func (b *Backups) once(ctx context.Context) {
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
func (b *Backups) files() []backupFile {
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

func (b *Backups) rotate() {
	files := b.files()
	for len(files) > b.keep {
		if err := os.Remove(files[0].path); err != nil {
			b.log.Warn("backup rotation", "err", err)
		}
		files = files[1:]
	}
}

// ScheduledBackups are the backups the service's schedule made of dbPath
// in dir, oldest first.
func ScheduledBackups(dbPath, dir string) []doctor.Backup {
	b := &Backups{src: dbPath, dir: dir}
	var out []doctor.Backup
	for _, f := range b.files() {
		out = append(out, doctor.Backup{Path: f.path, At: f.at})
	}
	return out
}
