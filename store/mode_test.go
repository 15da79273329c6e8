//go:build unix

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/store/storetest"
)

// The database, its journals and its backups are the owner's only, under
// the usual umask 022 (which would leave them world-readable), and an
// existing file readable by others is tightened when opened. Not parallel:
// the umask is the process's.
func TestDatabaseFilesPrivate(t *testing.T) {
	storetest.SQLiteOnly(t, "the SQLite file and its journals are private")
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "tonpay.db")
	db := storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
	if _, err := db.UpsertUser(ctx, store.User{ID: 1}); err != nil {
		t.Fatal(err)
	}
	mode := func(p string) os.FileMode {
		t.Helper()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if m := mode(p); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), m)
		}
	}
	backup := filepath.Join(dir, "copy.db")
	if _, err := store.BackupFile(ctx, path, backup); err != nil {
		t.Fatal(err)
	}
	if m := mode(backup); m != 0o600 {
		t.Errorf("backup: mode %o, want 600", m)
	}
	db.Close()

	// A file an older version left readable by all.
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	db = storetest.OpenWith(t, storetest.Config{Path: path, Assets: []store.Asset{}})
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if _, err := os.Stat(p); os.IsNotExist(err) {
			continue
		}
		if m := mode(p); m != 0o600 {
			t.Errorf("reopened %s: mode %o, want 600", filepath.Base(p), m)
		}
	}
}
