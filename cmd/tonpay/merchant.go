package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tonpay/tonpay/store"
)

const merchantUsage = `usage: tonpay merchant <command>

  add NAME [WEBHOOK_URL]     create a merchant; prints its API token (shown once)
  list                       merchants with their webhook and balances
  rotate-token ID            issue a new API token; the old one stops working
  set-webhook ID URL         set (or change) the webhook URL; prints a new signing secret
`

// merchantCmd runs `tonpay merchant ...` against the database.
func merchantCmd(ctx context.Context, cfg *Config, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError(merchantUsage)
	}
	db, err := openDB(ctx, cfg, printCopied(stdout))
	if err != nil {
		return err
	}
	defer db.Close()
	id := func() (int64, error) {
		n, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || n <= 0 {
			return 0, usageError(fmt.Sprintf("%q is not a merchant id (see tonpay merchant list)\n\n%s", args[1], merchantUsage))
		}
		if _, err := db.Merchant(ctx, n); err != nil {
			return 0, fmt.Errorf("merchant %d: %w", n, err)
		}
		return n, nil
	}
	switch cmd := args[0]; {
	case cmd == "add" && (len(args) == 2 || len(args) == 3):
		hook := ""
		if len(args) == 3 {
			hook = args[2]
		}
		name := strings.TrimSpace(args[1])
		if name == "" {
			return usageError("the merchant needs a name\n\n" + merchantUsage)
		}
		m, token, err := db.CreateMerchant(ctx, name, hook)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "merchant %d %q created\napi token: %s\n", m.ID, m.Name, token)
		if m.WebhookURL != "" {
			fmt.Fprintf(stdout, "webhook: %s\nwebhook secret: %s\n", m.WebhookURL, m.WebhookSecret)
		}
		fmt.Fprintln(stdout, "Store the token now: only its hash is kept.")
		return nil
	case cmd == "list" && len(args) == 1:
		ms, err := db.ListMerchants(ctx)
		if err != nil {
			return err
		}
		assets, err := db.Assets(ctx) // as the running service last synced them
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tWEBHOOK\tBALANCES")
		for _, m := range ms {
			hook := m.WebhookURL
			switch {
			case hook == "":
				hook = "-"
			case m.WebhookDisabled:
				hook += " (disabled)"
			}
			bals, err := db.MerchantBalances(ctx, m.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", m.ID, m.Name, hook, formatBalances(assets, bals))
		}
		return tw.Flush()
	case cmd == "rotate-token" && len(args) == 2:
		n, err := id()
		if err != nil {
			return err
		}
		token, err := db.RotateToken(ctx, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "merchant %d: new api token: %s\nThe previous token no longer works.\n", n, token)
		return nil
	case cmd == "set-webhook" && len(args) == 3:
		n, err := id()
		if err != nil {
			return err
		}
		secret, err := db.SetWebhook(ctx, n, args[2])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "merchant %d: webhook %s\nwebhook secret: %s\n", n, args[2], secret)
		return nil
	}
	return usageError(merchantUsage)
}

func formatBalances(assets []store.Asset, bals map[string]store.Amount) string {
	if len(bals) == 0 {
		return "-"
	}
	dec := map[string]int{}
	for _, a := range append(assets, store.TON) {
		dec[a.Symbol] = a.Decimals
	}
	var parts []string
	for sym, amt := range bals {
		d, ok := dec[sym]
		if !ok {
			parts = append(parts, fmt.Sprintf("%d units %s", amt, sym))
			continue
		}
		parts = append(parts, amt.Format(d)+" "+sym)
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// usageError is a wrong command line: run prints it and exits 2.
type usageError string

func (e usageError) Error() string { return string(e) }
