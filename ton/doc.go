// Package ton is tonpay's side of the TON blockchain, built on tonutils-go:
// the chain client, the chain follower (it follows the hot wallet and the
// service's jetton wallets block by block: deposits, payout settlement,
// reconciliation with the chain), jetton checks, the Highload v3 payer,
// ton_proof verification and address/amount helpers. It imports store.
package ton
