package store

import (
	"context"
	"fmt"
)

// Kinds of chain events: what a transaction on a watched account was, as the
// follower classified it (deposit kinds are settled by matching). The set is
// closed; every kind is booked by the moves it carries.
const (
	KindCredited       = "credited"        // matched an invoice or a personal comment
	KindUnmatched      = "unmatched"       // no or unknown comment: held on the unmatched account
	KindDust           = "dust"            // below the minimum: held on the unmatched account
	KindBounced        = "bounced"         // a message of ours came back
	KindAborted        = "aborted"         // the transaction failed and sent the value back
	KindFakeJetton     = "fake_jetton"     // a transfer_notification from a contract that is not our jetton wallet
	KindJettonNotify   = "jetton_notify"   // our jetton wallet's notification (the credit is on the jetton wallet)
	KindExcesses       = "excesses"        // TON returned to us after a jetton transfer
	KindBatch          = "batch"           // our Highload v3 external
	KindFanOut         = "fanout"          // our batch's internal_transfer, sending its messages
	KindPayout         = "payout"          // our jetton wallet sent a withdrawal's jettons
	KindPayoutFailed   = "payout_failed"   // our jetton wallet refused a withdrawal's transfer
	KindPayoutReturned = "payout_returned" // a jetton payout bounced back to our jetton wallet
	KindRefill         = "refill"          // TON from the cold wallet
	KindOutOfRange     = "out_of_range"    // a jetton amount the ledger cannot hold (left to reconciliation)
	KindForeign        = "foreign"         // an external we did not sign (another signer of the hot wallet)
	KindSweep          = "sweep"           // money between our own wallets: a deposit wallet swept to the hot wallet, or its gas
	KindCapital        = "capital"         // the operator's own money arrived (their deposit address)
	KindOther          = "other"
)

// MoveKind says what one part of a transaction's balance change is, and so
// which ledger account is its counterpart.
type MoveKind string

// Moves. Amount is the signed change of the watched account's balance; the
// counterpart gets the same amount (chain:hot the opposite).
const (
	MoveDeposit        MoveKind = "deposit"         // arrived from outside (Incoming): an invoice, a user, or unmatched
	MoveUnmatched      MoveKind = "unmatched"       // stays, claimable by nobody yet (a fake jetton's TON)
	MoveNetworkFee     MoveKind = "network_fee"     // total_fees + the out messages' fwd_fee: fees
	MoveFeeIncome      MoveKind = "fee_income"      // TON back for fees: excesses, our bounced transfers, notification TON
	MoveTransit        MoveKind = "transit"         // our own message between our accounts (internal_transfer to itself)
	MovePayout         MoveKind = "payout"          // a withdrawal's value leaving (Withdrawal): the hold
	MovePayoutTON      MoveKind = "payout_ton"      // TON attached to a jetton withdrawal's transfer (Withdrawal): fees
	MovePayoutReturned MoveKind = "payout_returned" // a jetton payout bounced back (Withdrawal): refunded
	MoveCold           MoveKind = "cold"            // to or from the cold wallet
	MoveUnknown        MoveKind = "unknown"         // not explained (a message we did not sign): adjustments
)

// AccountTransit holds what is in a message between our own accounts.
const AccountTransit = "chain:transit"

// Move is one part of a watched transaction's balance change.
type Move struct {
	Kind       MoveKind
	Amount     Amount
	Withdrawal int64     // payout moves
	Incoming   *Incoming // MoveDeposit
	Dest       string    // MovePayout of jettons: the destination's jetton wallet (raw)
}

// Incoming is money that arrived and may be a deposit.
type Incoming struct {
	Asset   string
	Amount  Amount
	Sender  string // the payer's address (for jettons, the owner who sent them)
	Comment string
	Min     Amount // below this it is dust
	// Wallet is the deposit wallet it arrived at (0: the hot wallet): it
	// is that wallet's owner's, whatever the comment says.
	Wallet int64
}

// ChainTx is one transaction on a watched account, classified once, applied
// in ONE SQLite transaction with the account's cursor: recorded (unique by
// account and lt), booked, settled.
type ChainTx struct {
	Event  ChainEvent
	Cursor Cursor // the account's cursor after this transaction
	// Asset is what the watched account's balance counts (TON for the hot
	// wallet, the jetton for one of its jetton wallets) and Change how much
	// the chain says it changed by. The moves must sum to Change: the
	// ledger then moves exactly as the chain did.
	Asset  string
	Change Amount
	Moves  []Move
	// Holder is the ledger account of the watched wallet: chain:hot when
	// empty, or a deposit wallet's (DepositAccount).
	Holder string
	// Batch: the transaction ran one of our batches (its external, or the
	// internal_transfer that sends its messages).
	Batch *BatchOutcome
	// Refused: our jetton wallet refused the transfer of this withdrawal
	// (nothing left; the TON bounced back to the hot wallet).
	Refused int64
	// Delivered: the destination's jetton wallet (From) accepted this
	// jetton withdrawal (its excesses came back to us).
	Delivered *Delivery
}

// BatchOutcome is a batch seen on chain.
type BatchOutcome struct {
	BatchID int64
	TxHash  string
	// Pending: the external ran and handed the messages to an
	// internal_transfer; they go out in the wallet's next transaction.
	Pending bool
}

// Delivery is the excesses of a jetton payout from the destination's wallet.
type Delivery struct {
	Withdrawal int64
	From       string // raw address of the jetton wallet that sent the excesses
}

// Applied is what ApplyChainTxs did with one transaction.
type Applied struct {
	Replayed   bool // the transaction was already recorded: nothing changed
	Kind       string
	InvoiceID  string
	UserID     int64
	MerchantID int64
	TransferID int64
	Confirmed  []int64 // withdrawals paid
	Requeued   []int64 // withdrawals skipped by the chain, queued again
	Failed     []int64 // withdrawals given up and refunded
}

// ApplyChainTx applies one watched transaction.
func (db *DB) ApplyChainTx(ctx context.Context, c ChainTx) (Applied, error) {
	res, err := db.ApplyChainTxs(ctx, []ChainTx{c}, 0)
	if err != nil {
		return Applied{}, err
	}
	return res[0], nil
}

// ApplyChainTxs applies transactions of the watched accounts in logical time
// order, in ONE SQLite transaction: all of them or none. A replayed
// transaction changes nothing (its cursor still moves forward). maxSkips is
// how many times a withdrawal's message may be skipped before it is failed
// and refunded (0: never).
func (db *DB) ApplyChainTxs(ctx context.Context, cs []ChainTx, maxSkips int) ([]Applied, error) {
	out := make([]Applied, 0, len(cs))
	err := db.write(ctx, func(tx *Tx) error {
		out = out[:0]
		for _, c := range cs {
			res, err := tx.applyChainTx(ctx, c, maxSkips)
			if err != nil {
				return fmt.Errorf("%s lt %d: %w", c.Event.Account, c.Event.LT, err)
			}
			out = append(out, res)
		}
		return db.fail("commit")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (tx *Tx) advanceCursor(ctx context.Context, c Cursor) error {
	if c.Account == "" {
		return nil
	}
	// Never move a cursor backwards (a replay after a restart may carry an older one).
	_, err := tx.ExecContext(ctx, `INSERT INTO chain_cursors(account, lt, hash, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT(account) DO UPDATE SET lt = excluded.lt, hash = excluded.hash, updated_at = excluded.updated_at
		WHERE excluded.lt > chain_cursors.lt`, c.Account, c.LT, c.Hash, ms(tx.now))
	return err
}

// DepositTx is the ChainTx of a plain incoming transfer on a watched
// account: in arrives, fee (network fee, TON) leaves. It is what the
// follower makes of a deposit; tools and tests replay deposits with it.
func DepositTx(ev ChainEvent, in Incoming, fee Amount) ChainTx {
	c := ChainTx{Event: ev, Cursor: Cursor{Account: ev.Account, LT: ev.LT, Hash: ev.Hash}, Asset: in.Asset,
		Change: in.Amount - fee, Moves: []Move{{Kind: MoveDeposit, Amount: in.Amount, Incoming: &in}}}
	if fee != 0 {
		c.Moves = append(c.Moves, Move{Kind: MoveNetworkFee, Amount: -fee})
	}
	return c
}
