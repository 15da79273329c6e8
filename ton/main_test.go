package ton_test

import (
	"flag"
	"runtime"
	"strconv"
	"testing"

	"github.com/tonpay/tonpay/store/storetest"
)

// waitScale stretches the limits of the tests' waits (waitFor): a limit
// bounds a hang, not a latency, and under the race detector on a busy
// 2-core machine, with the PostgreSQL run beside the first, a step that
// takes a second alone can take twenty.
const waitScale = 3

// TestMain runs more tests at once than there are CPUs (unless -parallel
// says otherwise): each chain test has its own chain and store, and spends
// much of its time waiting for blocks, resends and expiries; and with
// room for 8 the longest (the money test) waits less for a slot (which
// tests start first is up to the scheduler). With TONPAY_TEST_POSTGRES
// set, the tests that book money run again on PostgreSQL, at the same
// time (storetest.MainOn).
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", strconv.Itoa(max(8, 2*runtime.GOMAXPROCS(0))))
	}
	// On PostgreSQL too (with TONPAY_TEST_POSTGRES): the follower's, the
	// payer's, the deposit addresses' and the randomized money tests.
	storetest.MainOn(m, "^(TestScanner|TestPayer|TestMoneyRandomized|TestDepositAddress|TestInvoiceOwnAddress|TestFollowerWalks)")
}
