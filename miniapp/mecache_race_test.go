package miniapp_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/tonpay/tonpay/store"
)

// While other calls of the same user keep their GET /api/me answers coming
// (each one possibly kept, possibly read before a write committed), the
// user's call right after a credit returned always shows it: no kept answer
// outlives a write this process made.
func TestHotReadsMeConcurrentWrites(t *testing.T) {
	t.Parallel()
	e, _ := newCountedEnv(t, "")
	const id = 9600
	auth := e.auth(id)
	e.do("GET", "/api/me", auth, nil)
	get := func() (int, string, error) {
		req, _ := http.NewRequest("GET", e.ts.URL+"/api/me", nil)
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var m meShown
		if err := json.Unmarshal(b, &m); err != nil {
			return res.StatusCode, "", fmt.Errorf("%v: %s", err, b)
		}
		return res.StatusCode, m.balance(store.TON.Symbol), nil
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if code, _, err := get(); err != nil || code != 200 {
					errs <- fmt.Errorf("reader: %d %v", code, err)
					return
				}
			}
		}()
	}
	for i := 1; i <= 40; i++ {
		fundUserOn(t, e.db, id, 1)
		code, bal, err := get()
		if err != nil || code != 200 || bal != fmt.Sprint(i) {
			close(done)
			wg.Wait()
			t.Fatalf("after credit %d: %d %q %v", i, code, bal, err)
		}
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
