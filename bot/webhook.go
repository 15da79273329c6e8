package bot

import (
	"bytes"
	"io"
	"net/http"
)

// WebhookHandler takes Telegram's update posts in webhook mode (WEBHOOK_URL);
// the host mounts it at WEBHOOK_URL's path. A post without the secret token
// Telegram was given is refused with 401 and never reaches the handlers.
// The body is read here first for what the library cannot decode yet
// (subscription updates), then handed to the library's handler.
func (b *Bot) WebhookHandler() http.Handler {
	h := b.tg.WebhookHandler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if !b.secretOK(r.Header.Get("X-Telegram-Bot-Api-Secret-Token")) {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		b.raw.keep(body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}
