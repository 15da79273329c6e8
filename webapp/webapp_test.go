package webapp_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/tonpay/tonpay/webapp"
)

func TestFSHasIndex(t *testing.T) {
	b, err := fs.ReadFile(webapp.FS(), "index.html")
	if err != nil {
		t.Fatalf("index.html: %v", err)
	}
	if !strings.Contains(string(b), `<div id="root">`) {
		t.Fatalf("index.html has no app root:\n%s", b)
	}
	// Every asset the page references must be embedded too.
	for _, part := range strings.Split(string(b), `"./`)[1:] {
		name := part[:strings.IndexByte(part, '"')]
		if _, err := fs.Stat(webapp.FS(), name); err != nil {
			t.Errorf("index.html references %s: %v", name, err)
		}
	}
}
