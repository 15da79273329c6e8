// Package owner is the merchants' dashboard in the Mini App
// (/api/merchant/:mid/*): a merchant's owners, authenticated by initData,
// see its balance, invoices, payouts and webhook deliveries and change its
// settings. It shares the merchant API's invoice and payout code
// (miniapp/merchant) and the Mini App's authentication (miniapp); neither of
// those imports it.
package owner
