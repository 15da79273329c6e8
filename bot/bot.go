package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	tg "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/xssnick/tonutils-go/address"
	"golang.org/x/sync/errgroup"

	"github.com/tonpay/tonpay/store"
)

// Config is what the bot needs from the service configuration. Zero values
// of the delivery settings pick Telegram's limits.
type Config struct {
	Token  string
	APIURL string // TELEGRAM_API_URL; https://api.telegram.org when empty

	// PublicURL is where the Mini App is served (PUBLIC_URL); Web App
	// buttons and the menu button open it. Without it (or without https)
	// the bot shows no Mini App buttons.
	PublicURL *url.URL
	AdminIDs  []int64
	Testnet   bool
	// DepositAddress is the hot wallet: users send TON (and jettons) there
	// with their personal comment.
	DepositAddress *address.Address
	// Assets the bot shows and accepts; read from the store when empty.
	Assets []store.Asset
	// AssetRegistry is the asset registry (decimals and names); built from
	// Assets and the store when nil.
	AssetRegistry *store.Assets

	// Policy is the rule book (fees, minimums, approval, own addresses,
	// invoice lifetimes): the bot asks it and renders its answer.
	Policy *store.Policy

	// WebhookURL switches from long polling to a webhook at this URL; the
	// host mounts WebhookHandler at WebhookURL's path. WebhookSecret is the
	// secret_token Telegram sends back in X-Telegram-Bot-Api-Secret-Token;
	// when empty one is derived from the token.
	WebhookURL    *url.URL
	WebhookSecret string

	Log *slog.Logger

	// Delivery limits of the notifier and replies.
	GlobalRate   float64       // messages per second overall; 30
	ChatInterval time.Duration // between notices to one chat; 1s
	PollInterval time.Duration // outbox check when nothing wakes the notifier; 2s
	RetryBase    time.Duration // first retry after a failed send, doubling up to 10 min; 2s
	// GiveUpAfter: a notice still failing this long after it was emitted is
	// given up (marked failed): it is stale by then, and it holds back the
	// chat's later notices, which keep their order. 24h.
	GiveUpAfter time.Duration
	Workers     int // updates handled at once; 8

	// StarsReconcileEvery is how often getStarTransactions is compared
	// with the booked Stars payments (and at start); 10 minutes, negative
	// never. StarsGrace is how old a booked payment must be before one
	// Telegram does not list is flagged; 10 minutes.
	StarsReconcileEvery time.Duration
	StarsGrace          time.Duration

	// Failpoint, when set, is called at each named step of the notifier
	// ("sent": Telegram accepted a notice, not yet marked done); an error
	// stops Run with that error, as a crash would (crash tests).
	Failpoint func(step string) error
}

// Status is what /stats asks the running service.
type Status interface {
	// ScannerLag is how long ago the deposit scanner was caught up.
	ScannerLag() time.Duration
	// HotWalletBalance is what the hot wallet holds on chain, in nanoton.
	HotWalletBalance(ctx context.Context) (store.Amount, error)
}

// Bot is tonpay's Telegram bot.
type Bot struct {
	cfg    Config
	db     *store.DB
	status Status
	log    *slog.Logger
	tg     *tg.Bot
	secret string

	assets  map[string]store.Asset
	reg     *store.Assets // decimals and names of every asset
	symbols []string      // display order: TON first, then by symbol
	admins  map[int64]bool

	thr      *throttle
	notifier *notifier
	raw      *rawUpdates // what the library cannot decode yet (subscription_updates.go)

	mu   sync.RWMutex
	name string // the bot's username, from getMe
}

// New builds the bot. It does not talk to Telegram; Run does.
func New(cfg Config, db *store.DB, status Status) (*Bot, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("bot: empty token")
	}
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api.telegram.org"
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.GlobalRate <= 0 {
		cfg.GlobalRate = 30
	}
	if cfg.ChatInterval <= 0 {
		cfg.ChatInterval = time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 2 * time.Second
	}
	if cfg.GiveUpAfter <= 0 {
		cfg.GiveUpAfter = 24 * time.Hour
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 2 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.StarsReconcileEvery == 0 {
		cfg.StarsReconcileEvery = 10 * time.Minute
	}
	if cfg.StarsGrace <= 0 {
		cfg.StarsGrace = 10 * time.Minute
	}
	if len(cfg.Assets) == 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		as, err := db.Assets(ctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("bot: assets: %w", err)
		}
		cfg.Assets = as
	}
	b := &Bot{cfg: cfg, db: db, status: status, log: cfg.Log, assets: map[string]store.Asset{}, admins: map[int64]bool{}}
	if b.reg = cfg.AssetRegistry; b.reg == nil {
		b.reg = store.NewAssets(db, cfg.Assets)
	}
	for _, a := range cfg.Assets {
		b.assets[a.Symbol] = a
		b.symbols = append(b.symbols, a.Symbol)
	}
	slices.SortFunc(b.symbols, func(x, y string) int {
		switch {
		case x == y:
			return 0
		case x == store.TON.Symbol:
			return -1
		case y == store.TON.Symbol:
			return 1
		}
		return strings.Compare(x, y)
	})
	for _, id := range cfg.AdminIDs {
		b.admins[id] = true
	}
	if cfg.WebhookURL != nil {
		b.secret = cfg.WebhookSecret
		if b.secret == "" {
			b.secret = deriveSecret(cfg.Token)
		}
	}
	b.thr = newThrottle(cfg.GlobalRate, cfg.ChatInterval)
	b.notifier = newNotifier(b)
	b.raw = newRawUpdates()

	opts := []tg.Option{
		tg.WithHTTPClient(pollTimeout, newPollClient(b.raw)),
		tg.WithServerURL(cfg.APIURL),
		tg.WithSkipGetMe(),
		tg.WithDefaultHandler(b.handle),
		// Handlers run on the workers (webhook updates; polled ones run
		// on poll's), so Run returns only after the updates in hand are
		// handled.
		tg.WithNotAsyncHandlers(),
		tg.WithWorkers(cfg.Workers),
		tg.WithAllowedUpdates(allowedUpdates),
		tg.WithErrorsHandler(func(err error) { b.log.Warn("telegram", "err", err) }),
	}
	if b.secret != "" {
		opts = append(opts, tg.WithWebhookSecretToken(b.secret))
	}
	t, err := tg.New(cfg.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	b.tg = t
	return b, nil
}

// allowedUpdates are the updates the bot asks Telegram for; a Stars
// payment needs pre_checkout_query answered, a subscription's fate comes
// in subscription updates.
var allowedUpdates = []string{models.AllowedUpdateMessage, models.AllowedUpdateCallbackQuery, models.AllowedUpdateMyChatMember,
	models.AllowedUpdatePreCheckoutQuery, allowedUpdateSubscription}

// deriveSecret makes a stable webhook secret from the bot token, so a
// restart keeps accepting Telegram's calls without one more setting.
func deriveSecret(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("tonpay telegram webhook"))
	return hex.EncodeToString(m.Sum(nil))
}

// Run registers the commands and the menu button, then takes updates (long
// polling, or the webhook when WebhookURL is set) and runs the notifier,
// until ctx ends. It returns nil when ctx is cancelled.
func (b *Bot) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.RunNotices(gctx) })
	g.Go(func() error { return b.RunUpdates(gctx) })
	return g.Wait()
}

// RunNotices delivers the outbox's notices and reconciles Stars payments
// until ctx ends. Where several nodes share a database only the leader runs
// it (a notice is then sent once); RunUpdates runs on every node with a
// webhook, on the leader only with long polling (Telegram lets one
// getUpdates wait at a time).
func (b *Bot) RunNotices(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return b.notifier.run(gctx) })
	g.Go(func() error { return b.reconcileStars(gctx) })
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// RunUpdates takes the bot's updates (its webhook, or long polling) until
// ctx ends. It may run again after it returned (a node that leads again).
func (b *Bot) RunUpdates(ctx context.Context) error {
	if err := b.setup(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if b.cfg.WebhookURL != nil {
			if err := b.setWebhook(gctx); err != nil {
				return err
			}
			b.tg.StartWebhook(gctx)
			return nil
		}
		// A webhook left from an earlier run would make getUpdates fail.
		if _, err := b.tg.DeleteWebhook(gctx, &tg.DeleteWebhookParams{}); err != nil && gctx.Err() == nil {
			b.log.Warn("delete webhook", "err", err)
		}
		return b.poll(gctx)
	})
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// setWebhook tells Telegram where to post updates, retrying until it
// answers (the webhook is the only way updates arrive).
func (b *Bot) setWebhook(ctx context.Context) error {
	wait := time.Second
	for {
		_, err := b.tg.SetWebhook(ctx, &tg.SetWebhookParams{
			URL:            b.cfg.WebhookURL.String(),
			SecretToken:    b.secret,
			AllowedUpdates: allowedUpdates,
		})
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, tg.ErrorUnauthorized), errors.Is(err, tg.ErrorBadRequest):
			return fmt.Errorf("set webhook: %w", err)
		}
		b.log.Warn("set webhook", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Minute)
	}
}

// setup learns the bot's username and registers the commands (English by
// default, Russian for ru clients, plus the admin commands in each admin's
// chat) and the menu button that opens the Mini App. Only a refused token
// stops the bot; other failures are logged (Telegram may be briefly away).
func (b *Bot) setup(ctx context.Context) error {
	me, err := b.tg.GetMe(ctx)
	if errors.Is(err, tg.ErrorUnauthorized) {
		return fmt.Errorf("telegram refused BOT_TOKEN: %w", err)
	}
	if err != nil {
		b.log.Warn("getMe", "err", err)
	} else {
		b.mu.Lock()
		b.name = me.Username
		b.mu.Unlock()
	}
	for _, l := range []lang{en, ru} {
		code := ""
		if l != en {
			code = string(l)
		}
		if _, err := b.tg.SetMyCommands(ctx, &tg.SetMyCommandsParams{Commands: commands(l, false), LanguageCode: code}); err != nil {
			b.log.Warn("setMyCommands", "lang", l, "err", err)
		}
	}
	for _, id := range b.cfg.AdminIDs {
		u, err := b.db.User(ctx, id)
		if err != nil {
			continue // an admin who never talked to the bot has no chat to scope commands to
		}
		_, err = b.tg.SetMyCommands(ctx, &tg.SetMyCommandsParams{Commands: commands(langOf(u.LanguageCode), true),
			Scope: &models.BotCommandScopeChat{ChatID: id}})
		if err != nil {
			b.log.Debug("setMyCommands admin", "admin", id, "err", err)
		}
	}
	if u := b.appURL("", nil); u != "" {
		_, err := b.tg.SetChatMenuButton(ctx, &tg.SetChatMenuButtonParams{MenuButton: models.MenuButtonWebApp{
			Type: models.MenuButtonTypeWebApp, Text: en.t("menu_button"), WebApp: models.WebAppInfo{URL: u}}})
		if err != nil {
			b.log.Warn("setChatMenuButton", "err", err)
		}
	}
	return nil
}

// commands is the command list shown in Telegram's menu.
func commands(l lang, admin bool) []models.BotCommand {
	names := []string{"start", "balance", "topup", "pay", "withdraw", "buy", "subscriptions", "history", "wallet", "help"}
	if admin {
		names = append(names, "stats", "pending", "unmatched", "pause", "resume", "refund")
	}
	out := make([]models.BotCommand, len(names))
	for i, n := range names {
		out[i] = models.BotCommand{Command: n, Description: l.t("cmd_" + n)}
	}
	return out
}

func (b *Bot) username() string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.name
}

func (b *Bot) isAdmin(id int64) bool { return b.admins[id] }

// handle receives every update.
func (b *Bot) handle(ctx context.Context, _ *tg.Bot, u *models.Update) {
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("update handler panicked", "update", u.ID, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	if s, ok := b.raw.take(u.ID); ok {
		b.onSubscription(ctx, u.ID, s)
		return
	}
	switch {
	case u.Message != nil:
		b.onMessage(ctx, u.Message)
	case u.CallbackQuery != nil:
		b.onCallback(ctx, u.CallbackQuery)
	case u.PreCheckoutQuery != nil:
		b.onPreCheckout(ctx, u.PreCheckoutQuery)
	case u.MyChatMember != nil:
		b.onMyChatMember(ctx, u.MyChatMember)
	}
}

// onMyChatMember records a user blocking (or unblocking) the bot, so
// notices stop (or resume) without waiting for a 403.
func (b *Bot) onMyChatMember(ctx context.Context, m *models.ChatMemberUpdated) {
	if m.Chat.Type != models.ChatTypePrivate {
		return
	}
	switch m.NewChatMember.Type {
	case models.ChatMemberTypeBanned:
		if err := b.db.SetBotBlocked(ctx, m.From.ID, true); err != nil {
			b.log.Warn("mark bot blocked", "user", m.From.ID, "err", err)
		}
	case models.ChatMemberTypeMember:
		if err := b.db.SetBotBlocked(ctx, m.From.ID, false); err != nil {
			b.log.Warn("mark bot unblocked", "user", m.From.ID, "err", err)
		}
	}
}

// fail points
func (b *Bot) fail(step string) error {
	if b.cfg.Failpoint == nil {
		return nil
	}
	if err := b.cfg.Failpoint(step); err != nil {
		return &failpointError{step: step, err: err}
	}
	return nil
}

type failpointError struct {
	step string
	err  error
}

func (e *failpointError) Error() string { return "failpoint " + e.step + ": " + e.err.Error() }
func (e *failpointError) Unwrap() error { return e.err }

// secretOK compares the webhook secret header in constant time.
func (b *Bot) secretOK(got string) bool {
	return b.secret != "" && subtle.ConstantTimeCompare([]byte(got), []byte(b.secret)) == 1
}
