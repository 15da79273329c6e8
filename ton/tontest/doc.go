// Package tontest is an offline TON chain for tests and the sandbox: a fake
// lite-server speaking the real ADNL-TCP liteserver protocol (tonutils-go's
// liteclient.NewServer) with an emulated chain behind it.
package tontest
