// Package tontest is an offline TON chain for tests and the sandbox: a fake
// lite-server speaking the real ADNL-TCP liteserver protocol (tonutils-go's
// liteclient.NewServer) with an emulated chain behind it, so the real
// ton.APIClient, wallet and jetton clients run against it unchanged.
//
// Every message is executed by tonutils-go's pure-Go TVM
// (tvm.EmulateTransaction) on the account's real state under mainnet's
// configuration at masterchain block 66519406 (mainnet-config-66519406.boc,
// taken from the block tonutils-go v1.18.0 replays in its tests): storage,
// credit, compute, action and bounce phases, gas, forwarding, import and
// storage fees, bounces, skipped actions and exit codes are the TVM's, not
// a model's. The contracts run their real code:
//   - wallets V4R2, V5R1Final and Highload v3: the code cells tonutils-go
//     ships (NewWallet, or a state init carried by a message);
//   - jettons: USDT's master and wallet, the stablecoin contract of
//     github.com/ton-blockchain/stablecoin-contract (see jetton.go for the
//     builds): mint, transfer, internal_transfer, transfer_notification,
//     excesses, bounces, wallet statuses (Jetton.SetStatus, Jetton.Lock:
//     exit code 45) and the real code's own checks (not_enough_gas, 48, for
//     too little TON attached; balance_error, 47).
//
// Get-methods run the real code too (runSmcMethod), and an external is
// accepted only if the real code accepts it at the next block's time; the
// block that runs it checks it again at its own time.
//
// What stays a Go model:
//   - block production and logical times: blocks are made by Mine (or
//     AutoMine); a block delivers the internal messages queued before it,
//     executes the pending externals, then delivers internal messages
//     until none is left (at most 10,000 per block);
//   - time: the clock is the wall clock plus Advance; SetLag dates blocks
//     behind it as a lagging lite-server shows them (contracts judge time by
//     the block's, getTime keeps the clock); a block is never dated before
//     the last one (the TVM refuses a transaction older than the account's
//     last storage payment);
//   - the lite-server protocol: getAccountState and runSmcMethod answer the
//     state at the end of the block asked for, within the last
//     Options.KeepBlocks blocks (older states answer code -400, so memory
//     stays bounded however long the chain runs; the transactions
//     themselves are kept); without proofs (clients of the whole chain
//     must use ton.ProofCheckPolicyUnsafe);
//   - blocks: the basechain has one shard (0x8000000000000000) and one
//     shard block per masterchain block, of the same seqno
//     (Chain.ShardBlock), named as the shard's tip by that masterchain
//     block (HoldShardTips delays the naming, so tips jump as they do on
//     mainnet). Every block is a real Block cell whose hashes are its id
//     (its BlockInfo, its transactions in ShardAccountBlocks, a masterchain
//     block's ShardHashes; value flow, message descriptors and the state
//     update are well-formed placeholders). What a block-reading follower
//     asks is answered as the real lite-server answers it (blocks.go):
//     getAllShardsInfo, listBlockTransactions and listBlockTransactionsExt
//     (every transaction the block executed, by account then lt, the real
//     paging: at most 256 a page, after, reverse, incomplete), lookupBlock
//     (by seqno, lt or unix time), getOneTransaction, getBlock and
//     getBlockHeader, with real Merkle proofs of the blocks built from the
//     cells the query visits (tonutils-go's ProofCheckPolicyFast accepts
//     them). Within the KeepBlocks horizon; beyond it, and for blocks not
//     produced, code 651 "not in db" (a masterchain state: 602 "state
//     already gc'd"), and the per-block lists are dropped (the cells of all
//     but the last 64 blocks are made again when asked for);
//   - the faucet and the jetton admin: Chain.Fund and Jetton.Mint are
//     messages from FaucetAddress and JettonAdminAddress, where nothing is
//     deployed, carrying value that comes out of nothing (their fwd_fee is
//     0: nobody paid to forward them), each in a block of its own;
//     Chain.FundMany sends up to 10,000 such payments in one block (the
//     cheap way to give a benchmark 10,000 deposit addresses);
//   - genesis: NewWallet and NewJetton install code, data and a balance
//     outside any transaction.
//
// Faults: PruneBefore, FailNext, Delay, DropExternals, HoldShardTips.
//
// Every transaction satisfies
//
//	balance_after - balance_before = in.value - total_fees - Σ out (value + fwd_fee)
//
// (Chain.BalanceChanges gives the balances to check it against).
package tontest
