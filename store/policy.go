package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The rule book: every money rule a face must not decide by itself (fees,
// minimums, approval thresholds, own-address refusals, invoice lifetimes).
// cmd/tonpay builds one Policy from the configuration and hands it to the
// bot, the Mini App API and the merchant API; they parse input, ask, and
// render the answer or the refusal.

// Refusal codes: the same in every face (the HTTP faces answer them as the
// error code, the bot names them in the user's language).
const (
	RefuseUnknownAsset    = "unknown_asset"        // not a configured asset that lives on chain
	RefuseInvalidAmount   = "invalid_amount"       // not a decimal, too many decimals, zero, too large
	RefuseAmbiguousAmount = "ambiguous_amount"     // "1,500" typed by a person: 1500 or 1.5? (Readings)
	RefuseBelowMinimum    = "below_minimum"        // under the configured minimum
	RefuseAboveMaximum    = "above_maximum"        // over the largest invoice
	RefuseInvalidAddress  = "invalid_address"      // not a TON address (or a bad checksum)
	RefuseWrongNetwork    = "wrong_network"        // a testnet address on mainnet, or the other way
	RefuseOwnAddress      = "own_address"          // one of the service's own wallets
	RefuseAddressRequired = "address_required"     // no address given and no linked wallet
	RefuseInsufficient    = "insufficient_funds"   // the balance does not cover the amount (with its fee in the same asset)
	RefuseFeeNotCovered   = "fee_not_covered"      // the amount is there, the fee (in GRAM) is not
	RefuseIdemConflict    = "idempotency_conflict" // the key was used for another request
	RefuseBlocked         = "blocked"              // an administrator blocked the account

	// Per-user limits (Rules): Count and MaxCount, or Limit, Have and Need.
	RefuseTooManyInvoices    = "too_many_open_invoices" // the user has MaxCount top-up invoices open
	RefuseTooManyWithdrawals = "too_many_withdrawals"   // MaxCount withdrawals wait to be sent
	RefuseDailyLimit         = "daily_limit"            // Have withdrawn in 24 hours plus Need would pass Limit
)

// Refusal is the rule book's no, with what a face needs to say why.
type Refusal struct {
	Code    string
	Message string // plain English, for the HTTP faces and logs
	Asset   string // the asset concerned, when there is one
	Need    Amount // insufficient_funds / fee_not_covered: what is needed of Asset
	Have    Amount // and what the balance holds
	Limit   Amount // below_minimum / above_maximum / daily limits: the limit in Asset
	// Count and MaxCount: too_many_* refusals, how many are open and how
	// many may be.
	Count, MaxCount int
	// Readings: ambiguous_amount, the amounts the input could mean.
	Readings []string
}

func (r *Refusal) Error() string { return r.Code + ": " + r.Message }

// Is lets errors.Is match a refusal by its code: errors.Is(err, &Refusal{Code: RefuseOwnAddress}).
func (r *Refusal) Is(target error) bool {
	t, ok := target.(*Refusal)
	return ok && t.Code == r.Code
}

// AsRefusal returns the refusal in err, if any.
func AsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

func refuse(code, asset, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Asset: asset, Message: fmt.Sprintf(format, args...)}
}

// Destination is a payout address as the chain layer read it.
type Destination struct {
	Raw     string // 0:hex, for comparing
	Display string // the form to store and show (non-bounceable, network flag)
}

// Address errors the destination parser returns (wrapped) so the rule book
// can name them.
var (
	ErrAddressWrongNetwork = errors.New("address of the other network")
	ErrAddressChecksum     = errors.New("address checksum does not match")
)

// Rules are the money rules from the configuration.
type Rules struct {
	Assets []Asset // the catalogue: Gram, jettons, off-chain units
	// WithdrawFee is the fee per withdrawn asset, always in GRAM (a jetton
	// transfer costs the hot wallet Gram); GRAM without an entry pays
	// DefaultTONFee, a jetton without one JettonFee. Both defaults cover
	// the payout's network cost (PayoutCost). The keys of this and the
	// other per-asset maps, and a package's asset, may name the native coin
	// by its old code TON.
	WithdrawFee map[string]Amount
	JettonFee   Amount // default DefaultJettonFee (0.06 GRAM)
	// WithdrawMin is the smallest withdrawal per asset; TON without an
	// entry: DefaultTONMin (0.1 GRAM).
	WithdrawMin map[string]Amount
	// ApprovalAbove: a withdrawal waits for an admin when the account's
	// withdrawals of the asset in the last 24 hours, it included, total
	// more (0: never).
	ApprovalAbove map[string]Amount
	// DailyCap: a user's withdrawals of an asset in the last 24 hours may
	// total at most this; more is refused (daily_limit). 0: no cap.
	DailyCap map[string]Amount

	// Per-user limits; zero takes the default.
	MaxOpenInvoices      int // open top-up invoices (default 5); an identical open one is handed out again
	MaxStreams           int // open event streams (default 4); a new one closes the oldest
	MaxQueuedWithdrawals int // withdrawals not yet sent (default 5)

	InvoiceTTL    time.Duration     // default 20 minutes
	InvoiceMaxTTL time.Duration     // longest lifetime a merchant may ask for (default 24 hours)
	DepositMin    map[string]Amount // smallest invoice (and below it a transfer is dust)
	DepositMax    map[string]Amount // largest invoice (default a million whole units)
	Packages      []Package         // credit packages for sale
	// ParseDestination reads a user's address (user-friendly or raw),
	// wrapping ErrAddressWrongNetwork or ErrAddressChecksum where they apply.
	ParseDestination func(s string) (Destination, error)
	// Own lists the raw addresses of the service's own wallets (hot wallet,
	// its jetton wallets, the cold wallet); asked on each request, since
	// jetton wallets are learnt from the chain.
	Own func() []string
}

// Policy answers money questions from Rules and the ledger.
type Policy struct {
	db     *DB
	r      Rules
	assets map[string]Asset
	order  []string
}

// Default per-user limits (Rules).
const (
	DefaultMaxOpenInvoices      = 5
	DefaultMaxStreams           = 4
	DefaultMaxQueuedWithdrawals = 5
)

// NewPolicy builds the rule book.
func NewPolicy(db *DB, r Rules) *Policy {
	if r.JettonFee <= 0 {
		r.JettonFee = DefaultJettonFee
	}
	if r.MaxOpenInvoices <= 0 {
		r.MaxOpenInvoices = DefaultMaxOpenInvoices
	}
	if r.MaxStreams <= 0 {
		r.MaxStreams = DefaultMaxStreams
	}
	if r.MaxQueuedWithdrawals <= 0 {
		r.MaxQueuedWithdrawals = DefaultMaxQueuedWithdrawals
	}
	if r.InvoiceTTL <= 0 {
		r.InvoiceTTL = 20 * time.Minute
	}
	if r.InvoiceMaxTTL <= 0 {
		r.InvoiceMaxTTL = 24 * time.Hour
	}
	r.InvoiceMaxTTL = max(r.InvoiceMaxTTL, r.InvoiceTTL)
	for _, m := range []*map[string]Amount{&r.WithdrawFee, &r.WithdrawMin, &r.ApprovalAbove, &r.DepositMin, &r.DepositMax} {
		*m = canonicalKeys(*m)
	}
	r.Packages = append([]Package(nil), r.Packages...)
	for i := range r.Packages {
		r.Packages[i].Asset = CanonicalSymbol(r.Packages[i].Asset)
	}
	p := &Policy{db: db, r: r, assets: map[string]Asset{}}
	for _, a := range r.Assets {
		p.assets[a.Symbol] = a
		p.order = append(p.order, a.Symbol)
	}
	if _, ok := p.assets[TON.Symbol]; !ok {
		p.assets[TON.Symbol] = TON
		p.order = append([]string{TON.Symbol}, p.order...)
	}
	return p
}

// canonicalKeys returns m keyed by canonical asset codes (TON read as GRAM).
func canonicalKeys(m map[string]Amount) map[string]Amount {
	if m == nil {
		return nil
	}
	out := make(map[string]Amount, len(m))
	for k, v := range m {
		out[CanonicalSymbol(k)] = v
	}
	return out
}

// OnChain reports whether an asset lives on chain (Gram or a jetton).
func OnChain(a Asset) bool { return a.Symbol == TON.Symbol || a.Master != "" }

// ChainAssets lists the assets that can be paid in and withdrawn, in
// configuration order (Gram first).
func (p *Policy) ChainAssets() []Asset {
	var out []Asset
	for _, s := range p.order {
		if a := p.assets[s]; OnChain(a) {
			out = append(out, a)
		}
	}
	return out
}

// Asset returns a configured on-chain asset by symbol (any case; TON names
// Gram, see CanonicalSymbol).
func (p *Policy) Asset(symbol string) (Asset, error) {
	a, ok := p.assets[CanonicalSymbol(symbol)]
	if !ok || !OnChain(a) {
		names := make([]string, 0, len(p.order))
		for _, c := range p.ChainAssets() {
			names = append(names, c.Symbol)
		}
		return Asset{}, refuse(RefuseUnknownAsset, symbol, "%q is not an asset here; use one of %s", symbol, strings.Join(names, ", "))
	}
	return a, nil
}

// Amount reads an amount of an asset exactly, as a machine wrote it
// (ParseAmount: digits and a dot, no comma, no space).
func (p *Policy) Amount(a Asset, s string) (Amount, error) { return p.amount(a, s, false) }

// TypedAmount reads an amount of an asset a person typed (ParseTypedAmount:
// an unambiguous decimal comma is the dot; "1,500" is refused as
// ambiguous_amount with both readings).
func (p *Policy) TypedAmount(a Asset, s string) (Amount, error) { return p.amount(a, s, true) }

func (p *Policy) amount(a Asset, s string, typed bool) (Amount, error) {
	parse := ParseAmount
	if typed {
		parse = ParseTypedAmount
	}
	v, err := parse(s, a.Decimals)
	if err != nil {
		var ae *AmountError
		if !errors.As(err, &ae) {
			return 0, err
		}
		code, msg := RefuseInvalidAmount, ae.Reason
		switch ae.Kind {
		case AmountDecimals:
			msg = fmt.Sprintf("%s has at most %d decimal places", a.Symbol, a.Decimals)
		case AmountTooLarge:
			msg = "the amount is too large"
		case AmountAmbiguous:
			code = RefuseAmbiguousAmount
		}
		r := refuse(code, a.Symbol, "%s", msg)
		r.Readings = ae.Readings
		return 0, r
	}
	if v <= 0 {
		return 0, refuse(RefuseInvalidAmount, a.Symbol, "the amount must be more than zero")
	}
	return v, nil
}

// Fee is what a withdrawal of asset costs, in GRAM.
func (p *Policy) Fee(a Asset) Amount {
	if f, ok := p.r.WithdrawFee[a.Symbol]; ok {
		return f
	}
	if a.Master != "" {
		return p.r.JettonFee
	}
	return DefaultTONFee
}

// FeeBelowCost lists the assets whose withdrawal fee is less than what a
// payout of them costs the hot wallet on chain (PayoutCost): each such
// withdrawal loses the difference. Configuration order.
func (p *Policy) FeeBelowCost() []Asset {
	var out []Asset
	for _, a := range p.ChainAssets() {
		if p.Fee(a) < PayoutCost(a) {
			out = append(out, a)
		}
	}
	return out
}

// WithdrawMin is the smallest withdrawal of an asset.
func (p *Policy) WithdrawMin(a Asset) Amount {
	if m, ok := p.r.WithdrawMin[a.Symbol]; ok {
		return m
	}
	if a.Symbol == TON.Symbol {
		return DefaultTONMin
	}
	return 0
}

// DailyCap is a user's most withdrawn of an asset in 24 hours (0: no cap).
func (p *Policy) DailyCap(a Asset) Amount { return p.r.DailyCap[a.Symbol] }

// MaxStreams is how many event streams a user may hold open; the events
// face closes the oldest beyond it.
func (p *Policy) MaxStreams() int { return p.r.MaxStreams }

// Quote is what a withdrawal costs, before anything is debited.
type Quote struct {
	Asset       Asset
	Amount      Amount
	Fee         Amount // in FeeAsset
	FeeAsset    string // always GRAM
	Destination Destination
	// Debit is what leaves the balance, per asset (amount and fee; one
	// entry when both are GRAM).
	Debit         map[string]Amount
	NeedsApproval bool
}

// WithdrawRequest is a withdrawal as a face read it.
type WithdrawRequest struct {
	UserID      int64 // or
	MerchantID  int64
	Asset       string
	Amount      string // as typed: the rule book parses it
	Destination string // "" for a user: the linked wallet
	Comment     string
	By          *Actor // a merchant owner asking from the dashboard: audited
	// Typed: a person typed Amount (bot, Mini App): an unambiguous decimal
	// comma is read as the dot. Otherwise (the APIs) only digits and a dot.
	Typed bool
}

// Quote checks a withdrawal against every rule (asset, amount, minimum,
// destination, own addresses, balance for the amount and the fee) and says
// what it would cost, or why not. Nothing changes.
func (p *Policy) Quote(ctx context.Context, req WithdrawRequest) (Quote, error) {
	q, err := p.terms(ctx, req)
	if err != nil {
		return Quote{}, err
	}
	bals, err := p.db.Balances(ctx, p.account(req))
	if err != nil {
		return Quote{}, err
	}
	if err := p.covered(q, bals); err != nil {
		return Quote{}, err
	}
	// What the request would meet of the limits (Withdraw decides again
	// in its transaction).
	load, err := p.db.WithdrawalLoad(ctx, p.account(req), q.Asset.Symbol)
	if err != nil {
		return Quote{}, err
	}
	n := p.limits(req, q)
	if r := load.refusal(n); r != nil {
		return Quote{}, p.described(r, q.Asset)
	}
	if n.ApprovalAbove > 0 && load.Total+q.Amount > n.ApprovalAbove {
		q.NeedsApproval = true
	}
	return q, nil
}

// limits are the limits a withdrawal request meets in the store: approval
// for every account, the daily cap and the queue bound for users.
func (p *Policy) limits(req WithdrawRequest, q Quote) NewWithdrawal {
	n := NewWithdrawal{Asset: q.Asset.Symbol, Amount: q.Amount, ApprovalAbove: p.r.ApprovalAbove[q.Asset.Symbol]}
	if req.UserID != 0 {
		n.DailyCap = p.r.DailyCap[q.Asset.Symbol]
		n.MaxOpen = p.r.MaxQueuedWithdrawals
	}
	return n
}

// described words a limit refusal from the store with the asset's decimals.
func (p *Policy) described(r *Refusal, a Asset) *Refusal {
	switch r.Code {
	case RefuseDailyLimit:
		room := max(r.Limit-r.Have, 0)
		r.Message = fmt.Sprintf("withdrawals of %s are limited to %s %s in 24 hours: %s %s were withdrawn in the last 24 hours, so at most %s %s more now",
			a.Symbol, r.Limit.Format(a.Decimals), a.Symbol, r.Have.Format(a.Decimals), a.Symbol, room.Format(a.Decimals), a.Symbol)
	case RefuseTooManyWithdrawals:
		r.Message = fmt.Sprintf("%d of your withdrawals are still waiting to be sent, the most there may be: wait until one is sent", r.Count)
	}
	return r
}

// terms are the checks that do not depend on the balance.
func (p *Policy) terms(ctx context.Context, req WithdrawRequest) (Quote, error) {
	if req.UserID != 0 {
		u, err := p.db.User(ctx, req.UserID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Quote{}, err
		}
		if u.Blocked {
			return Quote{}, refuse(RefuseBlocked, "", "this account was blocked by an administrator; withdrawals are not possible")
		}
	}
	a, err := p.Asset(req.Asset)
	if err != nil {
		return Quote{}, err
	}
	amount, err := p.amount(a, req.Amount, req.Typed)
	if err != nil {
		return Quote{}, err
	}
	if lo := p.WithdrawMin(a); amount < lo {
		r := refuse(RefuseBelowMinimum, a.Symbol, "the smallest withdrawal is %s %s", lo.Format(a.Decimals), a.Symbol)
		r.Limit = lo
		return Quote{}, r
	}
	dest, err := p.destination(ctx, req)
	if err != nil {
		return Quote{}, err
	}
	q := Quote{Asset: a, Amount: amount, Fee: p.Fee(a), FeeAsset: TON.Symbol, Destination: dest, Debit: map[string]Amount{}}
	q.Debit[a.Symbol] += amount
	q.Debit[TON.Symbol] += q.Fee
	if q.Debit[TON.Symbol] < 0 {
		return Quote{}, refuse(RefuseInvalidAmount, a.Symbol, "the amount is too large")
	}
	return q, nil
}

func (p *Policy) account(req WithdrawRequest) string {
	if req.MerchantID != 0 {
		return MerchantAccount(req.MerchantID)
	}
	return UserAccount(req.UserID)
}

// destination reads the address to pay: the one given, or a user's linked
// wallet; never one of the service's own.
func (p *Policy) destination(ctx context.Context, req WithdrawRequest) (Destination, error) {
	given := strings.TrimSpace(req.Destination)
	if given == "" {
		if req.MerchantID != 0 {
			return Destination{}, refuse(RefuseAddressRequired, "", "give the address to pay")
		}
		w, err := p.db.WalletOf(ctx, req.UserID)
		if errors.Is(err, ErrNotFound) {
			return Destination{}, refuse(RefuseAddressRequired, "", "enter an address or connect your wallet")
		}
		if err != nil {
			return Destination{}, err
		}
		given = w.Address
	}
	if p.r.ParseDestination == nil {
		return Destination{}, errors.New("store: the rule book has no address parser")
	}
	d, err := p.r.ParseDestination(given)
	switch {
	case errors.Is(err, ErrAddressWrongNetwork):
		return Destination{}, refuse(RefuseWrongNetwork, "", "this is a testnet address and this service runs on mainnet: money sent there would be lost")
	case errors.Is(err, ErrAddressChecksum):
		return Destination{}, refuse(RefuseInvalidAddress, "", "the address checksum does not match: check it for typos")
	case err != nil:
		return Destination{}, refuse(RefuseInvalidAddress, "", "not a TON address: paste it as UQ…/EQ… (48 characters) or 0:<64 hex digits>")
	}
	if p.r.Own != nil {
		for _, own := range p.r.Own() {
			if strings.EqualFold(own, d.Raw) {
				return Destination{}, refuse(RefuseOwnAddress, "", "that is one of this service's own wallets: money sent there would be nobody's")
			}
		}
	}
	// A deposit address (or its jetton wallet) is ours too: the Gram of a
	// payout there would be booked as ours in transit (what the hot wallet
	// sends a deposit address is a sweep's gas), never as its owner's.
	var n int
	if err := p.db.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM deposit_wallets WHERE address = ?1)
		+ (SELECT count(*) FROM deposit_jetton_wallets WHERE address = ?1)`, strings.ToLower(d.Raw)).Scan(&n); err != nil {
		return Destination{}, err
	}
	if n > 0 {
		return Destination{}, refuse(RefuseOwnAddress, "", "that is a deposit address of this service: a transfer there would only come back as a deposit")
	}
	return d, nil
}

// covered says which balance falls short of a quote, if one does.
func (p *Policy) covered(q Quote, bals map[string]Amount) error {
	a := q.Asset
	if have := bals[a.Symbol]; have < q.Debit[a.Symbol] {
		need := q.Debit[a.Symbol]
		r := refuse(RefuseInsufficient, a.Symbol, "not enough %s: this withdrawal needs %s %s and the balance is %s %s",
			a.Symbol, need.Format(a.Decimals), a.Symbol, have.Format(a.Decimals), a.Symbol)
		if a.Symbol == TON.Symbol && q.Fee > 0 {
			r.Message = fmt.Sprintf("not enough GRAM: this withdrawal needs %s GRAM (%s plus a %s GRAM fee) and the balance is %s GRAM",
				need.Format(9), q.Amount.Format(9), q.Fee.Format(9), have.Format(9))
		}
		r.Need, r.Have = need, have
		return r
	}
	if a.Symbol != TON.Symbol {
		if have := bals[TON.Symbol]; have < q.Fee {
			r := refuse(RefuseFeeNotCovered, TON.Symbol, "the %s GRAM fee is charged in Gram and the GRAM balance is %s GRAM: top up Gram first",
				q.Fee.Format(9), have.Format(9))
			r.Need, r.Have = q.Fee, have
			return r
		}
	}
	return nil
}

// Withdraw quotes a withdrawal and requests it in one go: the amount and
// the fee move to the hold in ONE transaction, so a balance never goes
// negative. The idempotency key is checked before the balance: a replay
// returns the first withdrawal (created false) even after the balance was
// spent, and a replay with other terms is refused (idempotency_conflict).
func (p *Policy) Withdraw(ctx context.Context, req WithdrawRequest, idemKey string) (Withdrawal, bool, error) {
	q, err := p.terms(ctx, req)
	if err != nil {
		return Withdrawal{}, false, err
	}
	n := p.limits(req, q)
	n.UserID, n.MerchantID, n.IdemKey = req.UserID, req.MerchantID, idemKey
	n.Amount, n.Fee, n.FeeAsset, n.Destination = q.Amount, q.Fee, q.FeeAsset, q.Destination.Display
	n.Comment, n.NeedsApproval, n.By = req.Comment, q.NeedsApproval, req.By
	w, created, err := p.db.RequestWithdrawal(ctx, n)
	if r, ok := AsRefusal(err); ok {
		return Withdrawal{}, false, p.described(r, q.Asset)
	}
	switch {
	case errors.Is(err, ErrInsufficientFunds):
		bals, berr := p.db.Balances(ctx, p.account(req))
		if berr != nil {
			return Withdrawal{}, false, berr
		}
		if r := p.covered(q, bals); r != nil {
			return Withdrawal{}, false, r
		}
		return Withdrawal{}, false, err // the balance changed meanwhile
	case errors.Is(err, ErrConflict):
		return Withdrawal{}, false, refuse(RefuseIdemConflict, "", "this idempotency key was used for a different withdrawal")
	case errors.Is(err, ErrBlocked):
		return Withdrawal{}, false, refuse(RefuseBlocked, "", "this account was blocked by an administrator; withdrawals are not possible")
	}
	return w, created, err
}

// InvoiceRequest is an invoice as a face read it.
type InvoiceRequest struct {
	UserID      int64
	MerchantID  int64
	Asset       string
	Amount      string
	TTL         time.Duration // 0: the configured lifetime
	MemoLess    bool
	OwnAddress  bool // a merchant invoice with a deposit address of its own
	Description string
	Payload     string
	ExternalID  string
	By          *Actor // a merchant owner creating it by hand: audited
	Typed       bool   // a person typed Amount (see WithdrawRequest.Typed)
}

// InvoiceTTL is the configured invoice lifetime, and the longest a merchant may ask.
func (p *Policy) InvoiceTTL() (def, longest time.Duration) { return p.r.InvoiceTTL, p.r.InvoiceMaxTTL }

// DepositMin is the smallest invoice of an asset.
func (p *Policy) DepositMin(a Asset) Amount { return p.r.DepositMin[a.Symbol] }

// NewInvoice checks an invoice against the rules (asset, amount, minimum,
// maximum, lifetime) and returns what to create.
func (p *Policy) NewInvoice(req InvoiceRequest) (NewInvoice, Asset, error) {
	a, err := p.Asset(req.Asset)
	if err != nil {
		return NewInvoice{}, Asset{}, err
	}
	if req.OwnAddress && (req.MerchantID == 0 || req.MemoLess) {
		return NewInvoice{}, a, fmt.Errorf("%w: an address of its own is for a merchant's invoice with its comment", ErrInvalid)
	}
	amount, err := p.amount(a, req.Amount, req.Typed)
	if err != nil {
		return NewInvoice{}, a, err
	}
	if lo := p.r.DepositMin[a.Symbol]; amount < lo {
		r := refuse(RefuseBelowMinimum, a.Symbol, "the smallest payment is %s %s", lo.Format(a.Decimals), a.Symbol)
		r.Limit = lo
		return NewInvoice{}, a, r
	}
	if hi := p.depositMax(a); amount > hi {
		r := refuse(RefuseAboveMaximum, a.Symbol, "the largest payment is %s %s", hi.Format(a.Decimals), a.Symbol)
		r.Limit = hi
		return NewInvoice{}, a, r
	}
	ttl := req.TTL
	if ttl <= 0 {
		ttl = p.r.InvoiceTTL
	}
	if ttl > p.r.InvoiceMaxTTL {
		ttl = p.r.InvoiceMaxTTL
	}
	n := NewInvoice{UserID: req.UserID, MerchantID: req.MerchantID, Asset: a.Symbol, Amount: amount, TTL: ttl, MemoLess: req.MemoLess, OwnAddress: req.OwnAddress,
		Description: req.Description, Payload: req.Payload, ExternalID: req.ExternalID, By: req.By}
	if req.UserID != 0 {
		n.MaxOpen = p.r.MaxOpenInvoices
	}
	return n, a, nil
}

// depositMax is the largest invoice of an asset: configured, or a million
// whole units.
func (p *Policy) depositMax(a Asset) Amount {
	if m := p.r.DepositMax[a.Symbol]; m > 0 {
		return m
	}
	v := Amount(1_000_000)
	for range a.Decimals {
		if v > (1<<62)/10 {
			return 1<<63 - 1
		}
		v *= 10
	}
	return v
}

// Package is a bundle of credits sold for a price in an asset (PACKAGES).
type Package struct {
	Name    string
	Asset   string
	Price   Amount // in the asset's smallest units
	Credits int64
	// Period is a subscription's period in seconds (XTR only:
	// StarsSubscriptionPeriod); 0 for a one-off purchase.
	Period int
}

// Packages lists the credit packages for sale.
func (p *Policy) Packages() []Package { return p.r.Packages }

// RefuseUnknownPackage: no package of that name is for sale.
const RefuseUnknownPackage = "unknown_package"

// Buy sells a package from the balance in ONE ledger transaction. The key
// makes a retry return the first purchase; a balance short of the price is
// insufficient_funds with what is missing.
func (p *Policy) Buy(ctx context.Context, userID int64, name, key string) (Package, PurchaseResult, error) {
	var pkg *Package
	stars := false
	for i := range p.r.Packages {
		if p.r.Packages[i].Name != name {
			continue
		}
		if p.r.Packages[i].Asset == Stars.Symbol {
			stars = true // paid inside Telegram, never from a balance
			continue
		}
		pkg = &p.r.Packages[i]
	}
	if pkg == nil && stars {
		return Package{}, PurchaseResult{}, refuse(RefuseStarsOnly, Stars.Symbol, "package %q is sold for Telegram Stars only: pay it in Telegram", name)
	}
	if pkg == nil {
		return Package{}, PurchaseResult{}, refuse(RefuseUnknownPackage, "", "there is no package %q", name)
	}
	res, err := p.db.BuyPackage(ctx, Purchase{UserID: userID, Key: key, Package: pkg.Name, Asset: pkg.Asset,
		Price: pkg.Price, Credits: Amount(pkg.Credits)})
	switch {
	case errors.Is(err, ErrInsufficientFunds):
		bal, berr := p.db.Balance(ctx, UserAccount(userID), pkg.Asset)
		if berr != nil {
			return *pkg, res, berr
		}
		dec := p.assets[pkg.Asset].Decimals
		r := refuse(RefuseInsufficient, pkg.Asset, "Not enough %s for %s: it costs %s %s and your balance is %s %s. Top up %s %s to buy it.",
			pkg.Asset, pkg.Name, pkg.Price.Format(dec), pkg.Asset, bal.Format(dec), pkg.Asset, (pkg.Price - bal).Format(dec), pkg.Asset)
		r.Need, r.Have = pkg.Price, bal
		return *pkg, res, r
	case errors.Is(err, ErrConflict):
		return *pkg, res, refuse(RefuseIdemConflict, "", "this idempotency key was used for a different purchase")
	}
	return *pkg, res, err
}
