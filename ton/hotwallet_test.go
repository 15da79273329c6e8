package ton_test

import (
	"strings"
	"testing"

	"github.com/tonpay/tonpay/ton"
)

// The hot wallet's address is where the service's money is: a library
// upgrade must not move it. This seed's address was computed with
// tonutils-go v1.12.0 (FromSeed, Highload v3, TTL 300 s, subwallet 0x10ad).
func TestHotWalletAddressDoesNotMove(t *testing.T) {
	t.Parallel()
	words := strings.Fields("olympic crawl ethics wire junior access acoustic fetch learn job switch happy " +
		"cricket coin cloud catalog very nation sense bachelor safe thumb exhibit trust")
	addr, err := ton.HotWalletAddress(words)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := addr.StringRaw(), "0:a80c9bcde92068b52bad1950fc17c32c3d4cc1f7f9dc99223e47964a5f447b68"; got != want {
		t.Fatalf("hot wallet address %s, was %s", got, want)
	}
}
