package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for the admin connection
)

// The environment of the PostgreSQL runs.
const (
	// PostgresEnv is the URL of a PostgreSQL server the tests may create
	// schemas in (deploy/pgtest.sh starts a throwaway one and sets it).
	PostgresEnv = "TONPAY_TEST_POSTGRES"
	// RequireEnv=1 makes a missing PostgreSQL a failure instead of a skip
	// (CI sets it).
	RequireEnv = "TONPAY_REQUIRE_POSTGRES"
	// engineEnv=postgres marks the run of a package's tests on PostgreSQL
	// (Main sets it in the process it starts).
	engineEnv = "TONPAY_TEST_ENGINE"
)

// OnPostgres reports whether this is a package's PostgreSQL run: Open
// then gives stores on PostgreSQL.
func OnPostgres() bool { return os.Getenv(engineEnv) == "postgres" }

// SQLiteOnly skips a test of something only SQLite has (its file, its
// backups) in the PostgreSQL run, saying why.
func SQLiteOnly(t testing.TB, why string) {
	t.Helper()
	if OnPostgres() {
		t.Skipf("SQLite only: %s", why)
	}
}

// Main runs a package's tests (m.Run) and, when TONPAY_TEST_POSTGRES is
// set, the same tests on PostgreSQL: it starts the test binary anew with
// the same flags, in which Open gives stores on PostgreSQL. The two runs go
// at the same time (each package's tests mostly wait, and the longest ones
// would otherwise run one after the other); the PostgreSQL run's output
// follows the first run's, whole. Benchmarks run one engine after the
// other, so that neither slows the other's figures. Without
// TONPAY_TEST_POSTGRES the second run is skipped, saying so, or fails when
// TONPAY_REQUIRE_POSTGRES=1. A package calls it from its TestMain:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
func Main(m *testing.M) { MainOn(m, "") }

// MainOn is Main whose PostgreSQL run takes only the tests that the -run
// pattern run matches ("" for all), unless -test.run names tests itself: a
// package whose tests mostly do not touch the store runs on PostgreSQL
// only those that book money.
func MainOn(m *testing.M, run string) {
	if OnPostgres() || os.Getenv(childEnv) != "" {
		os.Exit(m.Run())
	}
	if os.Getenv(PostgresEnv) == "" {
		code := m.Run()
		if os.Getenv(RequireEnv) == "1" {
			fmt.Printf("FAIL: %s=1 but %s is not set: the PostgreSQL run of these tests cannot run\n", RequireEnv, PostgresEnv)
			os.Exit(1)
		}
		fmt.Printf("SKIP: the PostgreSQL run of these tests: %s is not set (deploy/pgtest.sh sets it)\n", PostgresEnv)
		os.Exit(code)
	}
	var args []string
	parallel, bench := false, false
	for _, a := range os.Args[1:] {
		name, value, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch name {
		case "test.parallel":
			parallel = true
		case "test.run":
			run = ""
		case "test.bench":
			bench = value != ""
		case "test.testlogfile", "test.coverprofile", "test.gocoverdir", "test.cpuprofile", "test.memprofile",
			"test.blockprofile", "test.mutexprofile", "test.trace", "test.outputdir":
			continue // files of the first run
		}
		args = append(args, a)
	}
	if run != "" {
		args = append(args, "-test.run="+run)
	}
	if !parallel {
		// The tests wait on the server more than they compute: run more
		// of them at once than there are CPUs.
		args = append(args, fmt.Sprintf("-test.parallel=%d", max(runtime.GOMAXPROCS(0), 8)))
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), engineEnv+"=postgres")
	if bench {
		code := m.Run()
		fmt.Println("=== the same tests on PostgreSQL")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Printf("FAIL: the PostgreSQL run: %v\n", err)
			code = 1
		}
		os.Exit(code)
	}
	// Its output goes to a file, shown once the first run ended: two
	// streams interleaved would mix the lines go test -json reads.
	out, err := os.CreateTemp("", "pgrun-*.out")
	if err != nil {
		fmt.Printf("FAIL: the PostgreSQL run: %v\n", err)
		os.Exit(1)
	}
	cmd.Stdout, cmd.Stderr = out, out
	dieWithParent(cmd)
	started := cmd.Start()
	code := m.Run()
	if started == nil {
		started = cmd.Wait()
	}
	fmt.Println("=== the same tests on PostgreSQL")
	if _, err := out.Seek(0, io.SeekStart); err == nil {
		io.Copy(os.Stdout, out)
	}
	out.Close()
	if started != nil {
		fmt.Printf("FAIL: the PostgreSQL run: %v\n", started)
		code = 1
	}
	os.Remove(out.Name())
	os.Exit(code)
}

// childEnv marks a process a test started from its own binary (Child).
const childEnv = "TONPAY_TEST_CHILD"

// PostgresURL is the URL of the test PostgreSQL server; without one the
// test is skipped, saying so, or fails when TONPAY_REQUIRE_POSTGRES=1.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(PostgresEnv)
	if u == "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s=1 but %s is not set", RequireEnv, PostgresEnv)
		}
		t.Skipf("needs PostgreSQL: %s is not set (deploy/pgtest.sh sets it)", PostgresEnv)
	}
	return u
}

// Schema is the URL of a fresh, empty schema of the test PostgreSQL
// server (see PostgresURL), dropped when the test ends.
func Schema(t testing.TB) string {
	t.Helper()
	return schemaURL(t, "")
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
	schemas   sync.Map // schema name -> dropped at the end of its first test
)

// schemaURL is the URL of the schema that stands for the SQLite file at
// path (a fresh one when path is ""): created when missing, dropped when
// the test ends.
func schemaURL(t testing.TB, path string) string {
	t.Helper()
	base := PostgresURL(t)
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("pgx", base)
		if adminErr == nil {
			admin.SetMaxOpenConns(4)
			adminErr = admin.Ping()
		}
	})
	if adminErr != nil {
		t.Fatalf("PostgreSQL at %s: %v", base, adminErr)
	}
	name := schemaName(path)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA IF NOT EXISTS `+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	if _, loaded := schemas.LoadOrStore(name, true); loaded {
		return withSchema(t, base, name) // a reopened store: dropped by the first
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return withSchema(t, base, name)
}

// schemaName is the schema standing for the SQLite file at path, a fresh
// one when path is "".
func schemaName(path string) string {
	if path == "" {
		b := make([]byte, 8)
		rand.Read(b)
		return "t_" + hex.EncodeToString(b)
	}
	h := sha256.Sum256([]byte(path))
	return "t_" + hex.EncodeToString(h[:8])
}

// RawURL is, in the PostgreSQL run, the URL of the schema that a store
// opened with Config.Path = path uses; "" in the SQLite run. Tests that
// reach below the store (to prove the database itself refuses a change)
// open it with the "pgx" driver.
func RawURL(t testing.TB, path string) string {
	t.Helper()
	if !OnPostgres() {
		return ""
	}
	return withSchema(t, PostgresURL(t), schemaName(path))
}

// withSchema is the URL base with name as its search_path.
func withSchema(t testing.TB, base, name string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}
