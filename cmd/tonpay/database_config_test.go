package main

import (
	"errors"
	"strings"
	"testing"
)

// DATABASE_URL chooses PostgreSQL; unset, the SQLite file at DB_PATH (the
// default) is the database. What is not a PostgreSQL URL, or scheduled
// backups of a SQLite file beside it, is refused with the variable named.
func TestDatabaseURLChoosesTheEngine(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (*Config, error) {
		return loadConfig(func(k string) string { return env[k] }, forMigrate)
	}
	c, err := load(map[string]string{})
	if err != nil || c.Database() != "data/tonpay.db" || c.DatabaseName() != "data/tonpay.db" {
		t.Fatalf("default: %v %+v", err, c)
	}
	c, err = load(map[string]string{"DATABASE_URL": "postgres://tonpay:secret@db.example:5432/tonpay?sslmode=require"})
	if err != nil || c.Database() != "postgres://tonpay:secret@db.example:5432/tonpay?sslmode=require" {
		t.Fatalf("postgres: %v %+v", err, c)
	}
	if n := c.DatabaseName(); strings.Contains(n, "secret") || !strings.Contains(n, "db.example:5432/tonpay") {
		t.Fatalf("shown as %q", n)
	}
	if err := c.errNotSQLite("tonpay backup"); err == nil {
		t.Fatal("tonpay backup accepted a PostgreSQL database")
	}
	for _, tt := range []struct {
		env map[string]string
		v   string
	}{
		{map[string]string{"DATABASE_URL": "mysql://db/tonpay"}, "DATABASE_URL"},
		{map[string]string{"DATABASE_URL": "/var/lib/tonpay/tonpay.db"}, "DATABASE_URL"},
		{map[string]string{"DATABASE_URL": "postgres://db/tonpay", "BACKUP_DIR": "/var/backups"}, "BACKUP_DIR"},
	} {
		_, err := load(tt.env)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Var != tt.v {
			t.Errorf("%v: %v, want a ConfigError on %s", tt.env, err, tt.v)
		}
	}
}
