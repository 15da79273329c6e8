package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The rule book's Stars rules: which packages are sold for Stars and at
// what price, what a pre-checkout may accept, and when a refund is allowed.
// The faces (the bot's /buy and pre_checkout_query handler, the Mini App's
// invoice link) ask; Telegram's calls stay in the bot.

// Stars refusal codes.
const (
	RefuseStarsOnly      = "stars_only"       // the package is sold for Stars only, not from a balance
	RefusePriceChanged   = "price_changed"    // the invoice's price or terms are not the package's now
	RefuseNotYourInvoice = "not_your_invoice" // the invoice was made for another user
	RefuseWrongCurrency  = "wrong_currency"   // not XTR
	RefuseBadPayload     = "bad_payload"      // not an invoice of ours
	RefuseRefunded       = "already_refunded" // the payment was refunded before
	RefuseCreditsSpent   = "credits_spent"    // the user no longer holds the credits a refund takes back
)

// StarsPayload is what an invoice carries back to us (invoice_payload, at
// most 128 bytes): who it was made for and the terms, so a pre-checkout is
// checked against the catalogue of now and a payment is booked from its own
// terms even if the catalogue changed since.
type StarsPayload struct {
	UserID  int64
	Price   Amount // Stars
	Credits int64
	Period  int
	Package string
}

const starsPayloadPrefix = "xtr1"

// String encodes the payload: xtr1:<user>:<price>:<credits>:<period>:<package>.
func (p StarsPayload) String() string {
	return strings.Join([]string{starsPayloadPrefix, starsUser(p.UserID), p.Price.Units(), strconv.FormatInt(p.Credits, 10),
		strconv.Itoa(p.Period), p.Package}, ":")
}

// ParseStarsPayload reads a payload made by StarsPayload.String; ok is
// false for anything else.
func ParseStarsPayload(s string) (StarsPayload, bool) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != starsPayloadPrefix || f[5] == "" {
		return StarsPayload{}, false
	}
	user, err1 := strconv.ParseInt(f[1], 10, 64)
	price, err2 := strconv.ParseInt(f[2], 10, 64)
	credits, err3 := strconv.ParseInt(f[3], 10, 64)
	period, err4 := strconv.Atoi(f[4])
	if errors.Join(err1, err2, err3, err4) != nil || user <= 0 || price <= 0 || credits < 0 || period < 0 {
		return StarsPayload{}, false
	}
	return StarsPayload{UserID: user, Price: Amount(price), Credits: credits, Period: period, Package: f[5]}, true
}

// StarsPackages lists the packages sold for Stars.
func (p *Policy) StarsPackages() []Package {
	var out []Package
	for _, k := range p.r.Packages {
		if k.Asset == Stars.Symbol {
			out = append(out, k)
		}
	}
	return out
}

// StarsPackage returns the package of that name sold for Stars.
func (p *Policy) StarsPackage(name string) (Package, bool) {
	for _, k := range p.r.Packages {
		if k.Name == name && k.Asset == Stars.Symbol {
			return k, true
		}
	}
	return Package{}, false
}

// StarsInvoice is an invoice to make for a user: one price in XTR (whole
// Stars), the payload to send, and a period for a subscription.
type StarsInvoice struct {
	Package Package
	Payload string
}

// StarsInvoice says what invoice to send a user for a package, or why not.
func (p *Policy) StarsInvoice(userID int64, name string) (StarsInvoice, error) {
	k, ok := p.StarsPackage(name)
	if !ok {
		for _, o := range p.r.Packages {
			if o.Name == name {
				return StarsInvoice{}, refuse(RefuseUnknownPackage, Stars.Symbol, "package %q is not sold for Telegram Stars", name)
			}
		}
		return StarsInvoice{}, refuse(RefuseUnknownPackage, "", "there is no package %q", name)
	}
	if userID <= 0 {
		return StarsInvoice{}, fmt.Errorf("%w: an invoice needs a user", ErrInvalid)
	}
	pl := StarsPayload{UserID: userID, Price: k.Price, Credits: k.Credits, Period: k.Period, Package: k.Name}
	return StarsInvoice{Package: k, Payload: pl.String()}, nil
}

// StarsCheckout answers a pre_checkout_query: yes only for an invoice of
// ours, for the user who pays, for a package sold for Stars now, at the
// price, credits and period it has now, in XTR. It reads no database, so
// the bot answers well within Telegram's 10 seconds.
func (p *Policy) StarsCheckout(userID int64, payload, currency string, total int64) error {
	if currency != Stars.Symbol {
		return refuse(RefuseWrongCurrency, currency, "this bot takes Telegram Stars (XTR) only, not %s", currency)
	}
	pl, ok := ParseStarsPayload(payload)
	if !ok {
		return refuse(RefuseBadPayload, Stars.Symbol, "this invoice was not made by this bot")
	}
	if pl.UserID != userID {
		return refuse(RefuseNotYourInvoice, Stars.Symbol, "this invoice was made for another user: ask the bot for your own with /buy")
	}
	k, ok := p.StarsPackage(pl.Package)
	if !ok {
		return refuse(RefuseUnknownPackage, Stars.Symbol, "package %q is no longer sold", pl.Package)
	}
	if int64(k.Price) != total || pl.Price != k.Price || pl.Credits != k.Credits || pl.Period != k.Period {
		r := refuse(RefusePriceChanged, Stars.Symbol, "package %s now costs %d Stars for %d credits: ask for a new invoice with /buy", k.Name, k.Price, k.Credits)
		r.Need, r.Have = k.Price, Amount(total)
		return r
	}
	return nil
}

// StarsPaid books a successful_payment (or a payment the reconciler found)
// once per charge id. A currency other than XTR is refused.
func (p *Policy) StarsPaid(ctx context.Context, currency string, n NewStarPayment) (StarPayment, bool, error) {
	if currency != Stars.Symbol {
		return StarPayment{}, false, refuse(RefuseWrongCurrency, currency, "not a Stars payment: %s", currency)
	}
	return p.db.BookStarPayment(ctx, n)
}

// RefundStars refunds a Stars payment for an admin: refused when it was
// refunded before, or when the user no longer holds the credits the refund
// takes back (the balance would go negative); otherwise refund (Telegram's
// refundStarPayment) is called and, once it succeeded, the reversal is
// booked in one transaction. If the credits are spent between the check
// and the booking, Telegram has already returned the Stars: the refund is
// booked with the shortfall told to admins, as for a refund made outside
// the bot.
func (p *Policy) RefundStars(ctx context.Context, chargeID, by string, refund func(context.Context, StarPayment) error) (StarRefund, error) {
	pay, err := p.db.StarPayment(ctx, chargeID)
	if err != nil {
		return StarRefund{}, err
	}
	if pay.Status == StarRefunded {
		return StarRefund{Payment: pay}, refuse(RefuseRefunded, Stars.Symbol, "payment %s was refunded on %s", chargeID,
			pay.RefundedAt.Format("2006-01-02 15:04"))
	}
	if pay.Credits > 0 {
		have, err := p.db.Balance(ctx, UserAccount(pay.UserID), Credits.Symbol)
		if err != nil {
			return StarRefund{}, err
		}
		if have < pay.Credits {
			r := refuse(RefuseCreditsSpent, Credits.Symbol, "the refund takes back %d credits and user %d has %d left: refusing, the balance would go negative",
				pay.Credits, pay.UserID, have)
			r.Need, r.Have = pay.Credits, have
			return StarRefund{Payment: pay}, r
		}
	}
	if err := refund(ctx, pay); err != nil {
		return StarRefund{Payment: pay}, err
	}
	return p.db.BookStarRefund(ctx, chargeID, by)
}
