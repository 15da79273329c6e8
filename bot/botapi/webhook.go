package botapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// The webhook a bot sets: remembered, reported by getWebhookInfo, and
// where queued updates go, one at a time and in order, as Telegram sends
// them (with the secret token header); a delivery that fails is tried again
// and shows as the last error.

type webhook struct {
	url, secret string
	lastErr     string
	lastErrAt   int64
}

var secretToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// checkWebhook refuses a webhook Telegram would not take, and getUpdates
// while one is set.
func (a *API) checkWebhook(r *request) map[string]any {
	switch r.Method {
	case "setWebhook":
		u, err := url.Parse(r.get("url"))
		if r.get("url") != "" && (err != nil || u.Scheme != "https" || u.Host == "") {
			return badRequest("bad webhook: An HTTPS URL must be provided for webhook")
		}
		if s := r.get("secret_token"); s != "" && !secretToken.MatchString(s) {
			return badRequest("bad webhook: secret token contains unallowed characters")
		}
	case "getUpdates":
		a.mu.Lock()
		set := a.hook.url != ""
		a.mu.Unlock()
		if set {
			return Error(http.StatusConflict, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
		}
	}
	return nil
}

// webhookMethod answers setWebhook, deleteWebhook and getWebhookInfo.
func (a *API) webhookMethod(r *request) any {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.Method {
	case "setWebhook":
		a.hook = webhook{url: r.get("url"), secret: r.get("secret_token")}
		if r.get("drop_pending_updates") == "true" {
			a.confirm(a.nextUpd + 1)
		}
		a.deliver()
	case "deleteWebhook":
		a.hook = webhook{}
		if r.get("drop_pending_updates") == "true" {
			a.confirm(a.nextUpd + 1)
		}
	case "getWebhookInfo":
		info := map[string]any{"url": a.hook.url, "has_custom_certificate": false, "pending_update_count": len(a.updates)}
		if a.hook.lastErr != "" {
			info["last_error_date"], info["last_error_message"] = a.hook.lastErrAt, a.hook.lastErr
		}
		return info
	}
	return true
}

// Webhook is the URL the bot set ("" when it polls).
func (a *API) Webhook() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.hook.url
}

// deliver starts the delivery loop when a webhook is set (with a.mu held).
func (a *API) deliver() {
	if a.hook.url == "" || a.delivery || a.ctx.Err() != nil {
		return
	}
	a.delivery = true
	a.wg.Add(1)
	go a.deliveryLoop()
}

func (a *API) deliveryLoop() {
	defer a.wg.Done()
	client := a.o.WebhookClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	for {
		a.mu.Lock()
		if a.hook.url == "" || a.ctx.Err() != nil {
			a.delivery = false
			a.mu.Unlock()
			return
		}
		if len(a.updates) == 0 {
			changed := a.changed
			a.mu.Unlock()
			select {
			case <-changed:
			case <-a.ctx.Done():
			}
			continue
		}
		u, hook := a.updates[0], a.hook
		body, _ := json.Marshal(u)
		a.mu.Unlock()
		err := post(a, client, hook, body)
		a.mu.Lock()
		if err == nil {
			a.confirm(u["update_id"].(int) + 1)
			a.mu.Unlock()
			continue
		}
		a.hook.lastErr, a.hook.lastErrAt = err.Error(), time.Now().Unix()
		a.mu.Unlock()
		select { // Telegram tries again later
		case <-time.After(time.Second):
		case <-a.ctx.Done():
		}
	}
}

func post(a *API, client *http.Client, hook webhook, body []byte) error {
	req, err := http.NewRequestWithContext(a.ctx, http.MethodPost, hook.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if hook.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", hook.secret)
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("Connection refused")
	}
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("Wrong response from the webhook: %s", strconv.Itoa(res.StatusCode)+" "+http.StatusText(res.StatusCode))
	}
	return nil
}
