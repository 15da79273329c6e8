package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// poll long-polls getUpdates and confirms a batch only once every update in
// it was handled. go-telegram/bot's own poller confirms a batch when it asks
// for the next one, before its workers are done with it: updates in its
// queue when the poller stops (the node steps down as leader, or stops) are
// never handled, here or by the node that polls next. Here a poller that is
// told to stop finishes the batch in hand, confirms it and returns; the
// updates it did not take stay at Telegram for the next poller. A crash
// mid-batch leaves the batch unconfirmed: the next poller handles it again
// (at least once; the handlers are idempotent where money moves).
func (b *Bot) poll(ctx context.Context) error {
	client := newPollClient(b.raw)
	var offset int64
	var wait time.Duration
	for ctx.Err() == nil {
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		ups, err := b.getUpdates(ctx, client, offset, int((pollTimeout - time.Second).Seconds()), 100)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			b.log.Warn("telegram getUpdates", "err", err)
			wait = min(max(2*wait, 100*time.Millisecond), 30*time.Second)
			continue
		}
		wait = 0
		if len(ups) == 0 {
			continue
		}
		// Handled to the end even when ctx ends meanwhile: the batch is
		// taken, and only this poller will confirm it.
		b.handleBatch(context.WithoutCancel(ctx), ups)
		offset = ups[len(ups)-1].ID + 1
		if ctx.Err() != nil {
			// Confirm the handled batch before handing polling over. What
			// this call returns is not confirmed: it stays at Telegram.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_, err := b.getUpdates(cctx, client, offset, 0, 1)
			cancel()
			if err != nil {
				b.log.Warn("telegram: confirming the last updates handled before stopping", "err", err)
			}
		}
	}
	return nil
}

// handleBatch handles ups on up to Workers goroutines and returns when all
// are handled.
func (b *Bot) handleBatch(ctx context.Context, ups []*models.Update) {
	sem := make(chan struct{}, max(b.cfg.Workers, 1))
	var wg sync.WaitGroup
	for _, u := range ups {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			b.tg.ProcessUpdate(ctx, u)
		}()
	}
	wg.Wait()
}

// getUpdates asks Telegram for the updates from offset on (confirming those
// before it), waiting up to timeout seconds for one.
func (b *Bot) getUpdates(ctx context.Context, client pollClient, offset int64, timeout, limit int) ([]*models.Update, error) {
	body, err := json.Marshal(map[string]any{"offset": offset, "timeout": timeout, "limit": limit, "allowed_updates": allowedUpdates})
	if err != nil {
		return nil, err
	}
	url := strings.TrimSuffix(b.cfg.APIURL, "/") + "/bot" + b.cfg.Token + "/getUpdates"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, redactToken(err, b.cfg.Token)
	}
	defer res.Body.Close()
	var out struct {
		OK          bool             `json:"ok"`
		Result      []*models.Update `json:"result"`
		ErrorCode   int              `json:"error_code"`
		Description string           `json:"description"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("getUpdates: %d: %w", res.StatusCode, err)
	}
	if !out.OK {
		return nil, fmt.Errorf("getUpdates: %d %s", out.ErrorCode, out.Description)
	}
	return out.Result, nil
}

// redactToken keeps the bot token out of an error that names the URL.
func redactToken(err error, token string) error {
	if token == "" || !strings.Contains(err.Error(), token) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), token, "<token>"))
}
