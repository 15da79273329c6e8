package tontest_test

import (
	"context"
	"testing"
	"time"

	"github.com/xssnick/tonutils-go/ton/wallet"

	"github.com/tonpay/tonpay/ton/tontest"
)

// BenchmarkChainTransactions measures the emulated chain's throughput: per
// iteration, each of 16 V4R2 wallets sends a comment transfer to the next
// one (a signed external and the internal message it sends: two
// transactions each) and one block executes them all on the TVM (the real
// wallet code under mainnet's configuration). It reports transactions per
// second of Mine's time.
func BenchmarkChainTransactions(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	chain, err := tontest.Start(ctx, tontest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer chain.Close()
	const n = 16
	ws := make([]*tontest.Wallet, n)
	for i := range ws {
		if ws[i], err = chain.NewWallet(wallet.V4R2, 1_000_000_000_000); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var mining time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j, w := range ws {
			if err := w.Send(ws[(j+1)%n].Address(), 1_000_000, "bench", false); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		chain.Mine()
		mining += time.Since(start)
	}
	b.StopTimer()
	txs := 0
	for _, w := range ws {
		txs += len(chain.Transactions(w.Address()))
	}
	if txs != 2*n*b.N {
		b.Fatalf("%d transactions, want %d", txs, 2*n*b.N)
	}
	b.ReportMetric(float64(txs)/mining.Seconds(), "tx/s")
}
