package bot

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"golang.org/x/time/rate"
)

// requestTimeout bounds one Bot API call.
const requestTimeout = 30 * time.Second

// throttle keeps the bot within Telegram's limits: about 30 messages a
// second overall, one a second per chat, and silence for retry_after after
// a 429.
type throttle struct {
	global   *rate.Limiter
	interval time.Duration

	mu     sync.Mutex
	next   map[int64]time.Time // chat → earliest next notice
	paused time.Time           // nothing is sent before this (429)
}

func newThrottle(perSecond float64, interval time.Duration) *throttle {
	return &throttle{global: rate.NewLimiter(rate.Limit(perSecond), 1), interval: interval, next: map[int64]time.Time{}}
}

// readyAt is the earliest time a notice may go to chat.
func (t *throttle) readyAt(chat int64) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.next[chat]
	if t.paused.After(r) {
		r = t.paused
	}
	return r
}

// wait blocks until one more message may be sent at all.
func (t *throttle) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		d := time.Until(t.paused)
		t.mu.Unlock()
		if d <= 0 {
			break
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
	return t.global.Wait(ctx)
}

// done records that a call sending to chat has finished with err. The chat's
// interval counts from the end of the call, so the gap Telegram sees between
// two messages is never shorter than the interval.
func (t *throttle) done(chat int64, err error) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	next := now.Add(t.interval)
	var tooMany *tg.TooManyRequestsError
	if errors.As(err, &tooMany) {
		until := now.Add(time.Duration(max(tooMany.RetryAfter, 1)) * time.Second)
		if until.After(t.paused) {
			t.paused = until
		}
		if until.After(next) {
			next = until
		}
	}
	if next.After(t.next[chat]) {
		t.next[chat] = next
	}
	if len(t.next) > 4096 {
		for c, at := range t.next {
			if at.Before(now) {
				delete(t.next, c)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

var noPreview = &models.LinkPreviewOptions{IsDisabled: tg.True()}

// send sends an HTML message, paced by the throttle.
func (b *Bot) send(ctx context.Context, chatID int64, text string, kb models.ReplyMarkup) (*models.Message, error) {
	if err := b.thr.wait(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	m, err := b.tg.SendMessage(ctx, &tg.SendMessageParams{ChatID: chatID, Text: text, ParseMode: models.ParseModeHTML,
		LinkPreviewOptions: noPreview, ReplyMarkup: kb})
	b.thr.done(chatID, err)
	return m, err
}

// sendPhoto sends a PNG with an HTML caption.
func (b *Bot) sendPhoto(ctx context.Context, chatID int64, png []byte, name, caption string, kb models.ReplyMarkup) error {
	if err := b.thr.wait(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	_, err := b.tg.SendPhoto(ctx, &tg.SendPhotoParams{ChatID: chatID, Photo: &models.InputFileUpload{Filename: name, Data: bytes.NewReader(png)},
		Caption: caption, ParseMode: models.ParseModeHTML, ReplyMarkup: kb})
	b.thr.done(chatID, err)
	return err
}

// reply answers a user in a chat; failures are logged, and a user who
// blocked the bot is marked so notices stop.
func (b *Bot) reply(ctx context.Context, p place, text string, kb models.ReplyMarkup) {
	_, err := b.send(ctx, p.chatID, text, kb)
	b.replyFailed(ctx, p, err)
}

func (b *Bot) replyFailed(ctx context.Context, p place, err error) {
	if err == nil || ctx.Err() != nil {
		return
	}
	if errors.Is(err, tg.ErrorForbidden) && p.private {
		if err := b.db.SetBotBlocked(ctx, p.chatID, true); err != nil {
			b.log.Warn("mark bot blocked", "user", p.chatID, "err", err)
		}
	}
	b.log.Warn("reply", "chat", p.chatID, "err", err)
}

// edit replaces a message's text and keyboard (history paging, admin
// decisions). "message is not modified" is not an error worth a log line.
func (b *Bot) edit(ctx context.Context, chatID int64, msgID int, text string, kb models.ReplyMarkup) error {
	if err := b.thr.wait(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	_, err := b.tg.EditMessageText(ctx, &tg.EditMessageTextParams{ChatID: chatID, MessageID: msgID, Text: text,
		ParseMode: models.ParseModeHTML, LinkPreviewOptions: noPreview, ReplyMarkup: kb})
	if err != nil && strings.Contains(err.Error(), "message is not modified") {
		return nil
	}
	return err
}

// answer answers a callback query (Telegram shows a spinner until it is).
func (b *Bot) answer(ctx context.Context, id, text string, alert bool) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if _, err := b.tg.AnswerCallbackQuery(ctx, &tg.AnswerCallbackQueryParams{CallbackQueryID: id, Text: text, ShowAlert: alert}); err != nil && ctx.Err() == nil {
		b.log.Warn("answer callback", "err", err)
	}
}
