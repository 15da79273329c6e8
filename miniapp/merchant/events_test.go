package merchant

import (
	"encoding/json"
	"os"
	"slices"
	"testing"

	"github.com/tonpay/tonpay/store"
)

// TestEveryWebhookEventIsDocumented: merchants are the consumers of the
// webhook topic, and the OpenAPI document is what they were promised: every
// type the store produces there is in the document's list of event types,
// and the document lists no type nobody produces.
func TestEveryWebhookEventIsDocumented(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if e, ok := v["enum"].([]any); ok && slices.Contains(e, any("webhook.test")) {
				for _, s := range e {
					documented = append(documented, s.(string))
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	produced := store.Produced(store.TopicWebhook)
	if len(documented) == 0 || len(produced) == 0 {
		t.Fatalf("documented %v, produced %v", documented, produced)
	}
	for _, typ := range produced {
		if !slices.Contains(documented, string(typ)) {
			t.Errorf("%s is produced for merchants but not in openapi.json", typ)
		}
	}
	for _, d := range documented {
		if !slices.Contains(produced, store.EventType(d)) {
			t.Errorf("openapi.json lists %s, which nothing produces", d)
		}
	}
}
