package cli

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

  add NAME [WEBHOOK_URL] [--owner USER_ID]...
                             create a merchant; prints its API token (shown once).
                             Owners (Telegram user ids) run its dashboard in the Mini App
  list                       merchants with their owners, webhook and balances
  set-owners ID USER_ID...   replace the merchant's owners ("none" removes them all)
  rotate-token ID            issue a new API token; the old one stops working
  set-webhook ID URL         set (or change) the webhook URL; prints a new signing secret
`

// ownerIDs reads Telegram user ids of merchant owners.
func ownerIDs(args []string) ([]int64, error) {
	var out []int64
	for _, a := range args {
		n, err := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		if err != nil || n <= 0 {
			return nil, UsageError(fmt.Sprintf("%q is not a Telegram user id (a positive number; the user can see it in the bot's /start)\n\n%s", a, merchantUsage))
		}
		out = append(out, n)
	}
	return out, nil
}

// splitOwners takes --owner ID and --owner=ID out of args.
func splitOwners(args []string) (rest []string, owners []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--owner":
			if i+1 == len(args) {
				return nil, nil, UsageError("--owner needs a Telegram user id\n\n" + merchantUsage)
			}
			owners = append(owners, args[i+1])
			i++
		case strings.HasPrefix(a, "--owner="):
			owners = append(owners, strings.TrimPrefix(a, "--owner="))
		case strings.HasPrefix(a, "-"):
			return nil, nil, UsageError(fmt.Sprintf("unknown flag %s\n\n%s", a, merchantUsage))
		default:
			rest = append(rest, a)
		}
	}
	return rest, owners, nil
}

// Merchant runs `tonpay merchant ...` against the database.
func Merchant(ctx context.Context, e Env, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return UsageError(merchantUsage)
	}
	var owners []int64
	if args[0] == "add" {
		rest, raw, err := splitOwners(args)
		if err != nil {
			return err
		}
		if owners, err = ownerIDs(raw); err != nil {
			return err
		}
		args = rest
	}
	db, err := OpenDB(ctx, e, PrintCopied(stdout))
	if err != nil {
		return err
	}
	defer db.Close()
	id := func() (int64, error) {
		n, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || n <= 0 {
			return 0, UsageError(fmt.Sprintf("%q is not a merchant id (see tonpay merchant list)\n\n%s", args[1], merchantUsage))
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
			return UsageError("the merchant needs a name\n\n" + merchantUsage)
		}
		m, token, err := db.AddMerchant(ctx, store.Operator, name, hook, owners)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "merchant %d %q created\napi token: %s\n", m.ID, m.Name, token)
		if len(owners) > 0 {
			fmt.Fprintf(stdout, "owners: %s (they see its dashboard in the Mini App)\n", joinIDs(owners))
		}
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
		fmt.Fprintln(tw, "ID\tNAME\tOWNERS\tWEBHOOK\tBALANCES")
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
			owners, err := db.MerchantOwners(ctx, m.ID)
			if err != nil {
				return err
			}
			who := joinIDs(owners)
			if who == "" {
				who = "-"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", m.ID, m.Name, who, hook, formatBalances(assets, bals))
		}
		return tw.Flush()
	case cmd == "rotate-token" && len(args) == 2:
		n, err := id()
		if err != nil {
			return err
		}
		token, err := db.RotateToken(ctx, store.Operator, n)
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
		secret, err := db.SetWebhook(ctx, store.Operator, n, args[2])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "merchant %d: webhook %s\nwebhook secret: %s\n", n, args[2], secret)
		return nil
	case cmd == "set-owners" && len(args) >= 3:
		n, err := id()
		if err != nil {
			return err
		}
		var owners []int64
		if !(len(args) == 3 && args[2] == "none") {
			if owners, err = ownerIDs(args[2:]); err != nil {
				return err
			}
		}
		if err := db.SetMerchantOwners(ctx, store.Operator, n, owners); err != nil {
			return err
		}
		if len(owners) == 0 {
			fmt.Fprintf(stdout, "merchant %d: no owners (no dashboard in the Mini App)\n", n)
			return nil
		}
		fmt.Fprintf(stdout, "merchant %d: owners %s\n", n, joinIDs(owners))
		return nil
	}
	return UsageError(merchantUsage)
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
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

// UsageError is a wrong command line: run prints it and exits 2.
type UsageError string

func (e UsageError) Error() string { return string(e) }
