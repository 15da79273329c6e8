// Package tontest is an offline TON chain for tests and the sandbox: a fake
// lite-server speaking the real ADNL-TCP liteserver protocol (tonutils-go's
// liteclient.NewServer) with an emulated chain behind it, so the real
// ton.APIClient, wallet and jetton clients run against it unchanged.
//
// Two engines execute the contracts.
//
// With Options.TVM (or TONTEST_TVM set in the environment) every message
// is executed by tonutils-go's pure-Go TVM (tvm.EmulateTransaction) on the
// account's real state under mainnet's configuration at masterchain block
// 66519406 (mainnet-config-66519406.boc, taken from the block tonutils-go
// v1.18.0 replays in its tests): the wallets' real code as tonutils-go
// ships it (V4R2, V5R1Final, Highload v3), gas, forwarding, import and
// storage fees, bounces, skipped actions and exit codes are the TVM's;
// get-methods run the real code too, and an external is accepted only if
// the real code accepts it. What stays a Go model there: block production
// and logical times, the lite-server protocol, the clock (a TVM block is
// never dated before the last one), the faucet, and the jettons below,
// whose real code (USDT's) is not yet deployed on the TVM engine.
//
// The default engine emulates contracts in Go by kind: wallets V4R2 and
// V5R1Final (real signed externals: signature, seqno, wallet id, expiry),
// Highload Wallet v3 (signature, subwallet, timeout, created_at window,
// query-id replay bitmap, internal_transfer fan-out) and TEP-74 jettons
// (transfer, internal_transfer, transfer_notification, excesses, bounce,
// wallets locked against incoming transfers with exit 45, see Jetton.Lock).
// Accounts have a balance, code, data and a history of real tlb.Transaction
// cells with a correct hash chain.
//
// Fees follow mainnet's structure with flat prices, so balances are exact
// and every transaction satisfies
//
//	balance_after - balance_before = in.value - total_fees - Σ out (value + fwd_fee)
//
// (Chain.BalanceChanges gives the balances to check it against):
//   - storage: Options.StorageFee on every transaction (external, internal,
//     compute skipped, bounce), at most the balance; taken before the credit
//     of a bounceable message, after it otherwise (CreditFirst);
//   - compute: Options.TxFee on every transaction that runs code; none when
//     compute is skipped (no code);
//   - forwarding: every message sent or bounced costs Options.MsgFee (P);
//     the sender books P*FirstFrac/65536 in total_fees (TotalActionFees,
//     BouncePhaseOk.MsgFees) and the rest travels in the message's fwd_fee;
//     the destination gets the message's value. Without send mode +1, P
//     comes out of the value.
//
// A message's extra_flags (the field that was ihr_fee, IHR being disabled;
// tonutils-go's tlb.InternalMessage still names it IHRFee) are carried as
// global version 12 does: the sender's action sets them (a bit other than 0
// and 1 fails the send with result code 45, or skips it with mode +2), they
// move no value and cost nothing, and a bounce carries the bounced message's.
// Bit 0 asks for the new bounce body (TEP-503: 0xfffffffe, the original
// body, its value and times, the phase and exit code), bit 1 for the whole
// original body in it.
//
// Blocks are made by Mine (or AutoMine) on a clock that is the wall clock
// plus Advance; SetLag dates blocks behind it as a lagging lite-server shows
// them (contracts judge time by the block's, getTime keeps the clock). A
// block delivers the internal messages queued before it, executes the
// pending externals, then delivers internal messages until none is left.
// getAccountState and runSmcMethod answer the state at the end of the block
// asked for, within the last Options.KeepBlocks blocks (older states answer
// code -400, so memory stays bounded however long the chain runs; the
// transactions themselves are kept). Chain.Fund and Jetton.Mint are real transactions (a message
// from FaucetAddress, an internal_transfer from the master) in a block of
// their own; only NewWallet's balance, NewJetton and Lock change state
// outside a transaction. Faults: PruneBefore, FailNext, Delay,
// DropExternals.
//
// Not emulated: TVM and its real gas (compute costs TxFee whatever runs),
// fees by message size, cells or storage time (all flat), the import fee of
// external messages, storage debt (fees_due), freezing and deletion of
// accounts, reserve actions and send mode +16 (bounce on action failure),
// proofs (clients must use ton.ProofCheckPolicyUnsafe), shards and block
// contents (getBlock, lookupBlock, config), extra currencies, wallet plugins
// and extensions, jetton burn and mint by message, min_tons_for_storage of
// jetton wallets.
package tontest
