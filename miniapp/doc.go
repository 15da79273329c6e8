// Package miniapp is the users' HTTP face (echo v4): the Mini App API
// authenticated by Telegram initData, its event stream, /healthz and
// /metrics, and the embedded web app files. The merchant API and webhooks
// are in miniapp/merchant; both answer errors, decode JSON and limit rates
// through miniapp/httpapi.
package miniapp
