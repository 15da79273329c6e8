package bot

import "net/http"

// WebhookHandler takes Telegram's update posts in webhook mode (WEBHOOK_URL);
// the host mounts it at WEBHOOK_URL's path. A post without the secret token
// Telegram was given is refused with 401 and never reaches the handlers.
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
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		h.ServeHTTP(w, r)
	})
}
