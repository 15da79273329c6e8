// Package tontest is an offline TON chain for tests and the sandbox: a fake
// lite-server speaking the real ADNL-TCP liteserver protocol (tonutils-go's
// liteclient.NewServer) with an emulated chain behind it, so the real
// ton.APIClient, wallet and jetton clients run against it unchanged.
//
// Contracts are emulated in Go by kind, not by TVM: wallets V4R2 and
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
// asked for. Chain.Fund and Jetton.Mint are real transactions (a message
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
