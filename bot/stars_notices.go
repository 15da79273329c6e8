package bot

import (
	"encoding/json"
	"time"

	"github.com/tonpay/tonpay/store"
)

// starsNotice renders a Stars outbox event.
func (b *Bot) starsNotice(l lang, ev store.Event) (string, error) {
	switch ev.Type {
	case store.EventStarsPaid:
		var p store.StarPaidEvent
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return "", err
		}
		text := l.t("notice_stars_paid", esc(p.Stars), esc(p.Package), esc(p.Credits), esc(p.Balance))
		if p.Renewal {
			text = l.t("notice_stars_renewed", esc(p.Package), esc(p.Stars), esc(p.Credits), esc(p.Balance))
		}
		if p.ExpiresAt > 0 {
			text += "\n" + l.t("notice_stars_until", stamp(time.Unix(p.ExpiresAt, 0)))
		}
		return text, nil
	case store.EventStarsRefunded, store.EventStarsRefundShortfall:
		var r store.StarRefundEvent
		if err := json.Unmarshal(ev.Payload, &r); err != nil {
			return "", err
		}
		if ev.Type == store.EventStarsRefunded {
			return l.t("notice_stars_refunded", esc(r.Stars), esc(r.Package), esc(r.Clawed)), nil
		}
		return l.t("notice_stars_shortfall", esc(r.ChargeID), esc(r.Stars), r.UserID, esc(r.Package), esc(r.Shortfall), esc(r.Clawed)), nil
	default:
		var m store.StarMissingEvent
		if err := json.Unmarshal(ev.Payload, &m); err != nil {
			return "", err
		}
		return l.t("notice_stars_missing", esc(m.ChargeID), esc(m.Stars), m.UserID, esc(m.Package)), nil
	}
}
