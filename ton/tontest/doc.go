// Package tontest is an offline TON chain for tests and the sandbox: a fake
// lite-server speaking the real ADNL-TCP liteserver protocol (tonutils-go's
// liteclient.NewServer) with an emulated chain behind it, so the real
// ton.APIClient, wallet and jetton clients run against it unchanged.
//
// Contracts are emulated in Go by kind, not by TVM: wallets V4R2 and
// V5R1Final (real signed externals: signature, seqno, wallet id, expiry),
// Highload Wallet v3 (signature, subwallet, timeout, created_at window,
// query-id replay bitmap, internal_transfer fan-out) and TEP-74 jettons
// (transfer, internal_transfer, transfer_notification, excesses, bounce).
// Accounts have a balance, code, data and a history of real tlb.Transaction
// cells with a correct hash chain; fees are flat (Options.TxFee per
// transaction, Options.MsgFee per message sent), so balances are exact.
//
// Blocks are made by Mine (or AutoMine) on a clock that is the wall clock
// plus Advance. A block executes the pending externals, then delivers
// internal messages until none is left. Faults: PruneBefore, FailNext,
// Delay, DropExternals.
//
// Not emulated: TVM, proofs (clients must use ton.ProofCheckPolicyUnsafe),
// shards and block contents (getBlock, lookupBlock, config), historical
// state (every query sees the latest state), storage fees, extra
// currencies, wallet plugins and extensions, jetton burn and mint by message.
package tontest
