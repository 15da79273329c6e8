package main

import (
	"strings"
	"testing"
)

// A password given as a query parameter of DATABASE_URL (libpq and pgx take
// password= and sslpassword= there) is hidden where the URL is printed (the
// service's start line, doctor, migrate-to-postgres), as one in the user
// information is.
func TestDatabaseNameHidesQueryPasswords(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"postgres://tonpay@db.example:5432/tonpay?password=s3cr3tpw&sslmode=require",
		"postgresql://db.example/tonpay?user=tonpay&password=s3cr3tpw",
		"postgres://tonpay@db.example/tonpay?sslmode=verify-full&sslpassword=s3cr3tpw",
	} {
		c, err := loadConfig(func(k string) string {
			if k == "DATABASE_URL" {
				return dsn
			}
			return ""
		}, forMigrate)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if n := c.DatabaseName(); strings.Contains(n, "s3cr3tpw") || !strings.Contains(n, "db.example") {
			t.Errorf("%s shown as %q", dsn, n)
		}
	}
}
