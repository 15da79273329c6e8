// Package cli holds the commands an operator runs beside `tonpay serve`
// (migrate, wallet, merchant, reconcile, backup) and the backups serve
// schedules. Each takes what it needs of the configuration as an Env;
// cmd/tonpay parses the command line and the environment and calls them.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// Env is what the commands need of the configuration.
type Env struct {
	DBPath string
	// Database is what store.Open opens: DATABASE_URL (PostgreSQL) when
	// set, else DBPath; DatabaseName is it as messages show it (no
	// password); Postgres says which.
	Database     string
	DatabaseName string
	Postgres     bool
	BackupDir    string        // where the copy taken before a migration goes ("" beside the database)
	Assets       []store.Asset // the native coin, then the jettons
	Jettons      []store.Asset
	Network      string // testnet | mainnet
	Testnet      bool
	// HotMnemonic is the hot wallet's seed from the environment; when nil
	// it is read from HotMnemonicFile.
	HotMnemonic     []string
	HotMnemonicFile string
	// Dial connects to the configured lite-servers.
	Dial func(ctx context.Context) (*ton.Client, error)
}

// OpenDB opens the database, copying it first when this version has a
// migration to apply to it (into BACKUP_DIR, else beside the database);
// copied is told where the copy went.
func OpenDB(ctx context.Context, e Env, copied func(store.BackupReport)) (*store.DB, error) {
	return store.Open(ctx, e.Database, store.WithMigrationBackup(e.BackupDir, copied))
}

// PrintCopied tells a command's user about the copy OpenDB made.
func PrintCopied(w io.Writer) func(store.BackupReport) {
	return func(r store.BackupReport) {
		fmt.Fprintf(w, "copied the database (schema %s) to %s before migrating it\n", r.Schema, r.Path)
	}
}

// Migrate is `tonpay migrate`: create or upgrade the schema.
func Migrate(ctx context.Context, e Env, stdout io.Writer) error {
	db, err := OpenDB(ctx, e, PrintCopied(stdout))
	if err != nil {
		return err
	}
	defer db.Close()
	names, err := db.Migrations(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: schema at %s (%d migrations)\n", e.DatabaseName, names[len(names)-1], len(names))
	return nil
}

// HotWords returns the hot wallet's seed, creating the seed file on first
// use (said on log when it is not nil).
func HotWords(e Env, log *slog.Logger) ([]string, error) {
	if e.HotMnemonic != nil {
		return e.HotMnemonic, nil
	}
	words, created, err := ton.LoadMnemonic(e.HotMnemonicFile, true)
	if err != nil {
		return nil, fmt.Errorf("hot wallet seed: %w", err)
	}
	if created && log != nil {
		log.Warn("generated a new hot wallet seed: back it up", "file", e.HotMnemonicFile)
	}
	return words, nil
}

// Wallet is `tonpay wallet`: the hot wallet's address.
func Wallet(e Env, stdout io.Writer) error {
	words, err := HotWords(e, nil)
	if err != nil {
		return err
	}
	addr, err := ton.HotWalletAddress(words)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", ton.FormatAddress(addr, e.Testnet))
	fmt.Fprintf(stdout, "network: %s\nkind: Highload Wallet v3 (subwallet %#x, message TTL %ds)\n", e.Network, ton.HotSubwallet, ton.HotMessageTTL)
	if e.HotMnemonic == nil {
		fmt.Fprintf(stdout, "seed file: %s\n", e.HotMnemonicFile)
	}
	// The operator's own deposit address, derived from the same seed: what
	// arrives there is the operator's capital (store.AccountCapital), never
	// unmatched. The service records it at every start, so its follower
	// watches it.
	keys, err := ton.NewDepositKeys(words, e.Testnet)
	if err != nil {
		return err
	}
	op, err := keys.Address(store.OperatorOwner)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "operator deposit address: %s\n", ton.FormatAddress(op, e.Testnet))
	fmt.Fprintf(stdout, "  the operator's own: Gram or a configured jetton sent here, from any wallet and with or without a comment,\n"+
		"  is booked to the operator's capital (%s), never to unmatched and never to a user;\n"+
		"  kind: wallet W5 (v5r1), derived from the hot wallet's seed (nothing else to back up)\n", store.AccountCapital)
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
