package store

// Typed transfers: the kinds money moves for, the idempotency keys of each
// flow, and the one way code builds a balanced transfer (move, Plus, book).

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// TransferKind says why money moved: the closed set of reasons the ledger
// books. Code posts only these constants (through Tx.book); history shows
// them.
type TransferKind string

// Transfer kinds.
const (
	TransferWithdrawal        TransferKind = "withdrawal"         // a withdrawal's amount and fee put on hold
	TransferRefund            TransferKind = "refund"             // a withdrawal not paid (or returned): the hold back
	TransferFee               TransferKind = "fee"                // a paid withdrawal's fee earned
	TransferPurchase          TransferKind = "purchase"           // a credit package bought with a balance
	TransferStarsPurchase     TransferKind = "stars_purchase"     // a Stars payment (and its credits)
	TransferStarsRefund       TransferKind = "stars_refund"       // a Stars payment refunded (its credits taken back)
	TransferUnmatchedAssigned TransferKind = "unmatched_assigned" // an unmatched deposit given to its owner by an administrator
	TransferUnmatchedRefunded TransferKind = "unmatched_refunded" // an unmatched deposit sent back by an administrator
	TransferDeposit           TransferKind = "deposit"            // money put on an account by hand (tools, tests)
	TransferAdjustment        TransferKind = "adjustment"         // an admin correction by hand
	TransferOpeningCapital    TransferKind = "opening_capital"    // what the hot wallet held before the service's first block: the operator's
)

// chainKindPrefix starts the kind of every chain booking: "chain_" and the
// chain event's kind (chain_credited, chain_batch, chain_payout_returned...).
// Databases written before kinds were typed booked them all as "chain", the
// event's kind in the description; migration 0011_transfer_kinds.sql
// rewrites those rows.
const chainKindPrefix = "chain_"

// chainKinds is the closed set of chain event kinds (chain.go).
var chainKinds = []string{KindCredited, KindUnmatched, KindDust, KindBounced, KindAborted, KindFakeJetton,
	KindJettonNotify, KindExcesses, KindBatch, KindFanOut, KindPayout, KindPayoutFailed, KindPayoutReturned,
	KindRefill, KindOutOfRange, KindForeign, KindSweep, KindCapital, KindOther}

// ChainTransferKind is the kind of the booking of a chain event of kind
// eventKind; ok is false for a kind outside the closed set.
func ChainTransferKind(eventKind string) (TransferKind, bool) {
	if !slices.Contains(chainKinds, eventKind) {
		return "", false
	}
	return TransferKind(chainKindPrefix + eventKind), true
}

// transferKinds is the closed set of kinds besides the chain ones.
var transferKinds = []TransferKind{TransferWithdrawal, TransferRefund, TransferFee, TransferPurchase, TransferStarsPurchase,
	TransferStarsRefund, TransferUnmatchedAssigned, TransferUnmatchedRefunded, TransferDeposit, TransferAdjustment}

// Known reports whether k is one of the closed set: a constant above or the
// kind of a chain event's booking.
func (k TransferKind) Known() bool {
	if e, ok := k.Chain(); ok {
		_, ok = ChainTransferKind(e)
		return ok
	}
	return slices.Contains(transferKinds, k)
}

// Chain reports whether k books a chain transaction, and the event's kind.
func (k TransferKind) Chain() (eventKind string, ok bool) {
	s := string(k)
	if len(s) <= len(chainKindPrefix) || s[:len(chainKindPrefix)] != chainKindPrefix {
		return "", false
	}
	return s[len(chainKindPrefix):], true
}

// Shown is the kind the history faces show (bot, Mini App, admin): a chain
// booking as "chain", its event kind in the description, as they always
// have; every other kind as it is.
func (k TransferKind) Shown() string {
	if _, ok := k.Chain(); ok {
		return "chain"
	}
	return string(k)
}

// Key is a transfer's idempotency key. Build it with the constructors below:
// each names its flow once.
type Key string

// WithdrawalKey books a withdrawal's hold.
func WithdrawalKey(id int64) Key { return Key("withdrawal:" + strconv.FormatInt(id, 10)) }

// RefundKey books a withdrawal's refund (not paid, or returned).
func RefundKey(id int64) Key { return Key("refund:" + strconv.FormatInt(id, 10)) }

// FeeKey books a paid withdrawal's fee.
func FeeKey(id int64) Key { return Key("fee:" + strconv.FormatInt(id, 10)) }

// ChainKey books the transaction at lt on a watched account.
func ChainKey(account string, lt uint64) Key {
	return Key("chain:" + account + ":" + strconv.FormatUint(lt, 10))
}

// OpeningCapitalKey books the hot wallet's opening holdings, once.
const OpeningCapitalKey Key = "opening-capital"

// UnmatchedKey books the resolution of the unmatched deposit of chain event id.
func UnmatchedKey(eventID int64) Key { return Key("unmatched:" + strconv.FormatInt(eventID, 10)) }

// PurchaseKey books a user's package purchase under the client's key.
func PurchaseKey(userID int64, clientKey string) Key {
	return Key("purchase:" + strconv.FormatInt(userID, 10) + ":" + clientKey)
}

// StarsKey books a Stars payment.
func StarsKey(chargeID string) Key { return Key("stars:" + chargeID) }

// StarsRefundKey books a Stars payment's refund.
func StarsRefundKey(chargeID string) Key { return Key("stars-refund:" + chargeID) }

// Legs are the postings of a transfer, balanced by construction: built by
// move and joined with Plus.
type Legs []Posting

// move is amount of asset going from one account to another.
func move(from, to, asset string, amount Amount) Legs {
	return Legs{{from, asset, -amount}, {to, asset, amount}}
}

// Plus is l and more, in one transfer.
func (l Legs) Plus(more ...Legs) Legs {
	out := slices.Clone(l)
	for _, m := range more {
		out = append(out, m...)
	}
	return out
}

// book posts a balanced transfer: the one way code writes the ledger. The
// legs are merged (one entry per account and asset). A replayed key with the
// same kind and legs returns the first transfer's id and ErrDuplicate; with
// other ones, a *KeyConflictError.
func (tx *Tx) book(ctx context.Context, key Key, kind TransferKind, desc, ref string, legs Legs) (int64, error) {
	return tx.post(ctx, Transfer{Key: string(key), Kind: kind, Description: desc, Ref: ref, Postings: merge(legs)})
}

// KeyConflictError is a transfer key replayed with another kind or other
// legs than the transfer first posted under it. It is ErrConflict.
type KeyConflictError struct {
	Key string
}

func (e *KeyConflictError) Error() string {
	return fmt.Sprintf("conflict: transfer key %q was posted with other legs", e.Key)
}

// Is makes a KeyConflictError match ErrConflict.
func (e *KeyConflictError) Is(target error) bool { return target == ErrConflict }

// samePosted checks that the transfer id posted under t.Key has t's kind and
// legs (merged per account and asset).
func (tx *Tx) samePosted(ctx context.Context, id int64, t Transfer) error {
	var kind string
	if err := tx.QueryRowContext(ctx, `SELECT kind FROM transfers WHERE id = ?`, id).Scan(&kind); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT a.name, e.asset, sum(e.amount) FROM entries e JOIN accounts a ON a.id = e.account_id
		WHERE e.transfer_id = ? GROUP BY 1, 2 HAVING sum(e.amount) <> 0`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	var had []Posting
	for rows.Next() {
		var p Posting
		var amt int64
		if err := rows.Scan(&p.Account, &p.Asset, &amt); err != nil {
			return err
		}
		p.Amount = Amount(amt)
		had = append(had, p)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	byLeg := func(a, b Posting) int {
		return cmp.Or(cmp.Compare(a.Account, b.Account), cmp.Compare(a.Asset, b.Asset), cmp.Compare(a.Amount, b.Amount))
	}
	want := merge(t.Postings)
	slices.SortFunc(had, byLeg)
	slices.SortFunc(want, byLeg)
	if TransferKind(kind) != t.Kind || !slices.Equal(had, want) {
		return &KeyConflictError{Key: t.Key}
	}
	return nil
}

// isKeyConflict reports whether err is a KeyConflictError.
func isKeyConflict(err error) bool {
	var kc *KeyConflictError
	return errors.As(err, &kc)
}

// merge folds postings to the same account and asset together and drops
// zeros, so one transfer never has two entries for one balance.
func merge(ps []Posting) []Posting {
	type k struct{ a, s string }
	idx := map[k]int{}
	var out []Posting
	for _, p := range ps {
		if i, ok := idx[k{p.Account, p.Asset}]; ok {
			out[i].Amount += p.Amount
			continue
		}
		idx[k{p.Account, p.Asset}] = len(out)
		out = append(out, p)
	}
	kept := out[:0]
	for _, p := range out {
		if p.Amount != 0 {
			kept = append(kept, p)
		}
	}
	return kept
}
