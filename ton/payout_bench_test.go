package ton_test

import (
	"context"
	"errors"
	"testing"
	"time"
)

// BenchmarkPayout1000 queues 1,000 TON withdrawals and runs the payer on the
// fake chain (a block every 200 ms) until all are confirmed. It reports the
// external messages used and the seconds from queued to all confirmed.
func BenchmarkPayout1000(b *testing.B) {
	var externals, seconds float64
	for range b.N {
		b.StopTimer()
		r := newRig(b)
		r.chain.AutoMine(200 * time.Millisecond)
		db := r.open()
		want := r.queuePayouts(db, 1000)
		p := r.payer(db, nil)
		b.StartTimer()
		start := time.Now()
		if err := r.runPayer(db, p, want, 5*time.Minute); err != nil && !errors.Is(err, context.Canceled) {
			b.Fatal(err)
		}
		seconds += time.Since(start).Seconds()
		b.StopTimer()
		r.checkPaidOnce(db, want)
		externals += float64(r.externals())
		db.Close()
	}
	n := float64(b.N)
	b.ReportMetric(externals/n, "externals")
	b.ReportMetric(seconds/n, "s-to-confirm")
	b.ReportMetric(0, "ns/op")
}
