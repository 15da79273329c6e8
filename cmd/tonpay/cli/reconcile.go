package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/xssnick/tonutils-go/address"
	"github.com/xssnick/tonutils-go/ton/jetton"

	"github.com/tonpay/tonpay/store"
	"github.com/tonpay/tonpay/ton"
)

// ErrDrift is reconcile's answer when the ledger and the chain differ: not a
// failure of the command, exit code 1.
var ErrDrift = errors.New("the ledger differs from the chain")

// holding is one asset's comparison.
type holding struct {
	asset         store.Asset
	chain, ledger store.Amount
}

func (h holding) drift() store.Amount { return h.chain - h.ledger }

// Reconcile is `tonpay reconcile`: it compares what the chain says the hot wallet and its jetton
// wallets hold at the latest block with what the ledger says they hold, and
// prints both per asset, with what the running service last recorded and
// whether payouts are paused. It only reads: the service's follower is what
// records reconciliations and pauses payouts, so this can run beside it.
// It returns ErrDrift when any asset differs. Deposit addresses count as
// the follower last read each one (at the last block it changed in), or,
// with all, as read now, every one of them.
func Reconcile(ctx context.Context, e Env, stdout io.Writer, all bool) error {
	// Never create a seed or a database here: a fresh one would compare
	// the wrong wallet with an empty ledger.
	words := e.HotMnemonic
	if words == nil {
		var err error
		words, _, err = ton.LoadMnemonic(e.HotMnemonicFile, false)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("hot wallet seed %s does not exist: set HOT_WALLET_MNEMONIC or HOT_WALLET_MNEMONIC_FILE as the service has them", e.HotMnemonicFile)
		}
		if err != nil {
			return fmt.Errorf("hot wallet seed: %w", err)
		}
	}
	hot, err := ton.HotWalletAddress(words)
	if err != nil {
		return err
	}
	if !e.Postgres {
		if _, err := os.Stat(e.DBPath); err != nil {
			return fmt.Errorf("database %s: %v (set DB_PATH as the service has it)", e.DBPath, unwrapPath(err))
		}
	}
	// Read-only: it may run beside the service (even one of an older
	// version, whose schema it must not migrate under it), on SQLite or
	// PostgreSQL alike.
	db, err := store.OpenReadOnly(ctx, e.Database)
	if err != nil {
		return fmt.Errorf("database %s: %w", e.DatabaseName, err)
	}
	defer db.Close()

	chain, err := e.Dial(ctx)
	if err != nil {
		return err
	}
	defer chain.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	block, figures, err := OnChain(ctx, chain, hot, e.Jettons)
	if err != nil {
		return err
	}
	deposits, count, err := db.DepositHoldings(ctx)
	if err != nil {
		return err
	}
	how := "as the service last read each"
	if all {
		deposits, count, err = depositsOnChain(ctx, chain, db, block, e.Jettons)
		if err != nil {
			return err
		}
		how = "each read now"
	}
	for a, v := range deposits {
		figures[a] += v
	}
	// The ledger after the chain: a transfer booked in between shows as a
	// passing difference rather than being missed.
	held, err := db.Holdings(ctx)
	if err != nil {
		return err
	}
	recs, err := db.Reconciliations(ctx)
	if err != nil {
		return err
	}
	pause, paused, err := db.PayoutPause(ctx)
	if err != nil {
		return err
	}

	var hs []holding
	drifting := false
	for _, a := range e.Assets {
		h := holding{asset: a, chain: figures[a.Symbol], ledger: held[a.Symbol]}
		drifting = drifting || h.drift() != 0
		hs = append(hs, h)
	}

	fmt.Fprintf(stdout, "hot wallet %s (%s), block %d\n", ton.FormatAddress(hot, e.Testnet), e.Network, block)
	if count > 0 {
		fmt.Fprintf(stdout, "and %d deposit addresses, %s\n", count, how)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "asset\tchain\tledger\tdrift\t")
	for _, h := range hs {
		d := h.asset.Decimals
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", h.asset.Symbol, h.chain.Format(d), h.ledger.Format(d), h.drift().Format(d))
	}
	tw.Flush()
	fmt.Fprintln(stdout, recorded(recs, e.Assets))
	if paused {
		fmt.Fprintf(stdout, "payouts: PAUSED since %s (%s): %s; an admin resumes them with /resume in the bot\n",
			pause.CreatedAt.UTC().Format(time.DateTime+" UTC"), pause.Cause, pause.Reason)
	} else {
		fmt.Fprintln(stdout, "payouts: running")
	}
	if !drifting {
		fmt.Fprintln(stdout, "the ledger equals the chain")
		return nil
	}
	fmt.Fprintln(stdout, "DRIFT: the ledger differs from the chain (drift = chain - ledger).\n"+
		"A transaction the running service has not booked yet shows here as a passing difference: run tonpay reconcile again\n"+
		"in a few seconds; a difference that stays is real. The service pauses payouts on a drift until an admin sends /resume.")
	return ErrDrift
}

// OnChain reads, at the latest block, the hot wallet's TON and the balance
// of its jetton wallet of each jetton (found with the master's
// get_wallet_address, as the service does).
func OnChain(ctx context.Context, chain *ton.Client, hot *address.Address, jettons []store.Asset) (uint32, map[string]store.Amount, error) {
	head, err := chain.API.GetMasterchainInfo(ctx)
	if err != nil {
		return 0, nil, fmt.Errorf("latest block: %w", err)
	}
	api := chain.API.WaitForBlock(head.SeqNo)
	figures := map[string]store.Amount{}
	acc, err := api.GetAccount(ctx, head, hot)
	if err != nil {
		return 0, nil, fmt.Errorf("hot wallet: %w", err)
	}
	if acc.State != nil {
		figures[store.TON.Symbol] = store.Amount(acc.State.Balance.Nano().Int64()) // every TON balance fits
	}
	for _, j := range jettons {
		master, err := address.ParseRawAddr(j.Master)
		if err != nil {
			return 0, nil, fmt.Errorf("jetton %s master %q: %w", j.Symbol, j.Master, err)
		}
		jw, err := jetton.NewJettonMasterClient(api, master).GetJettonWalletAtBlock(ctx, hot, head)
		if err != nil {
			return 0, nil, fmt.Errorf("jetton %s: our wallet address: %w", j.Symbol, err)
		}
		jacc, err := api.GetAccount(ctx, head, jw.Address())
		if err != nil {
			return 0, nil, fmt.Errorf("jetton %s wallet: %w", j.Symbol, err)
		}
		if !jacc.IsActive {
			continue // not deployed: holds nothing
		}
		b, err := jw.GetBalanceAtBlock(ctx, head)
		if err != nil {
			return 0, nil, fmt.Errorf("jetton %s balance: %w", j.Symbol, err)
		}
		if !b.IsInt64() {
			return 0, nil, fmt.Errorf("jetton %s balance %s does not fit the ledger", j.Symbol, b)
		}
		figures[j.Symbol] = store.Amount(b.Int64())
	}
	return head.SeqNo, figures, nil
}

// depositsOnChain reads every deposit address at block seqno: its Gram and
// the balance of each of its jetton wallets (as the service recorded them
// from the jetton's master).
func depositsOnChain(ctx context.Context, chain *ton.Client, db *store.DB, seqno uint32, jettons []store.Asset) (map[string]store.Amount, int, error) {
	head, err := chain.API.LookupBlock(ctx, -1, math.MinInt64, seqno)
	if err != nil {
		return nil, 0, fmt.Errorf("block %d: %w", seqno, err)
	}
	api := chain.API.WaitForBlock(seqno)
	out := map[string]store.Amount{}
	n := 0
	for after := int64(0); ; {
		ws, err := db.DepositWalletsAfter(ctx, after, 500)
		if err != nil {
			return nil, 0, err
		}
		if len(ws) == 0 {
			return out, n, nil
		}
		for _, w := range ws {
			after, n = w.ID, n+1
			a, err := address.ParseRawAddr(w.Address)
			if err != nil {
				return nil, 0, err
			}
			acc, err := api.GetAccount(ctx, head, a)
			if err != nil {
				return nil, 0, fmt.Errorf("deposit address %s: %w", w.Address, err)
			}
			if acc.State != nil {
				out[store.TON.Symbol] += store.Amount(acc.State.Balance.Nano().Int64())
			}
			for _, j := range jettons {
				raw, ok := w.Jettons[j.Symbol]
				if !ok {
					continue // never resolved: nothing was followed there yet
				}
				ja, err := address.ParseRawAddr(raw)
				if err != nil {
					return nil, 0, err
				}
				res, err := api.RunGetMethod(ctx, head, ja, "get_wallet_data")
				if err != nil {
					continue // not deployed: holds nothing
				}
				b, err := res.Int(0)
				if err != nil || !b.IsInt64() {
					return nil, 0, fmt.Errorf("deposit address %s: %s balance unreadable", w.Address, j.Symbol)
				}
				out[j.Symbol] += store.Amount(b.Int64())
			}
		}
	}
}

// recorded describes the service's last reconciliation of each asset.
func recorded(recs []store.Reconciliation, assets []store.Asset) string {
	if len(recs) == 0 {
		return "recorded by the service: no reconciliation yet"
	}
	var block uint32
	var at time.Time
	for _, r := range recs {
		if r.Block > block {
			block, at = r.Block, r.BlockTime
		}
	}
	decimals := map[string]int{}
	for _, a := range assets {
		decimals[a.Symbol] = a.Decimals
	}
	parts := make([]string, 0, len(recs))
	for _, r := range recs {
		p := r.Asset + " drift " + r.Drift.Format(decimals[r.Asset])
		if _, ok := decimals[r.Asset]; !ok {
			p = r.Asset + " drift " + r.Drift.Units() + " units"
		}
		if r.Drift != 0 && !r.Since.IsZero() {
			p += " since " + r.Since.UTC().Format(time.DateTime+" UTC")
		}
		if r.Block != block {
			p += fmt.Sprintf(" (block %d)", r.Block)
		}
		parts = append(parts, p)
	}
	return fmt.Sprintf("recorded by the service: block %d (%s): %s", block, at.UTC().Format(time.DateTime+" UTC"), strings.Join(parts, ", "))
}
