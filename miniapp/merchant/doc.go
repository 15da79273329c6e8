// Package merchant is the merchants' face: the merchant API under /api/v1
// (Bearer tokens, invoices, balance, payouts, its OpenAPI document) and the
// delivery of HMAC-signed webhooks. It asks the same rule book as the Mini
// App and the bot, and answers errors through the same mapper, decoder and
// rate limiter (miniapp/httpapi).
package merchant
