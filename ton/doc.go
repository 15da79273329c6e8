// Package ton is tonpay's side of the TON blockchain, built on tonutils-go:
// the chain client, the deposit scanner, jetton checks, the Highload v3 payer,
// ton_proof verification and address/amount helpers. It imports store.
package ton
