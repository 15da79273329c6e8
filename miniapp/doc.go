// Package miniapp is tonpay's HTTP face (echo v4): the Mini App API
// authenticated by Telegram initData, the merchant API, webhooks and the
// embedded web app files.
package miniapp
