package store

// Outbox event types and change kinds: the names producers (the store, the
// payer, the bot's approval) and consumers (the bot's notifier, merchant
// webhooks, the Mini App's event streams) share. Each is spelled once, here.

// EventType names an outbox event: what happened.
type EventType string

// Events for the bot (TopicBot): told to a user, or to the admins.
const (
	EventDepositCredited         EventType = "deposit.credited"             // DepositEvent, to the user
	EventWithdrawalAwaiting      EventType = "withdrawal.awaiting_approval" // WithdrawalEvent, to the admins
	EventWithdrawalQueued        EventType = "withdrawal.queued"            // WithdrawalEvent, to the user (an admin approved it)
	EventWithdrawalSent          EventType = "withdrawal.sent"              // WithdrawalEvent, to the user
	EventWithdrawalConfirmed     EventType = "withdrawal.confirmed"         // WithdrawalEvent, to the user
	EventWithdrawalFailed        EventType = "withdrawal.failed"            // WithdrawalEvent, to the user
	EventWithdrawalRefunded      EventType = "withdrawal.refunded"          // WithdrawalEvent, to the user
	EventWithdrawalRejected      EventType = "withdrawal.rejected"          // WithdrawalEvent, to the user
	EventWebhookDisabled         EventType = "webhook.disabled"             // WebhookDisabled, to the admins
	EventPayerPaused             EventType = "payer.paused"                 // the payer's notice, to the admins
	EventLedgerForeign           EventType = "ledger.foreign"               // ForeignNotice, to the admins
	EventLedgerDrift             EventType = "ledger.drift"                 // DriftNotice, to the admins
	EventStarsPaid               EventType = "stars.paid"                   // StarPaidEvent, to the user
	EventStarsRefunded           EventType = "stars.refunded"               // StarRefundEvent, to the user
	EventStarsRefundShortfall    EventType = "stars.refund_shortfall"       // StarRefundEvent, to the admins
	EventStarsMissing            EventType = "stars.missing"                // StarMissingEvent, to the admins
	EventStarsSubscriptionChange EventType = "stars.subscription"           // StarSubscriptionEvent, to the user
)

// Events for merchants (TopicWebhook), as the OpenAPI document lists them.
const (
	EventInvoicePaid     EventType = "invoice.paid"     // InvoiceEvent
	EventInvoicePending  EventType = "invoice.pending"  // InvoiceEvent
	EventInvoiceExpired  EventType = "invoice.expired"  // InvoiceEvent
	EventInvoicePayment  EventType = "invoice.payment"  // InvoiceEvent: money after the invoice was paid or expired
	EventPayoutConfirmed EventType = "payout.confirmed" // WithdrawalEvent
	EventPayoutFailed    EventType = "payout.failed"    // WithdrawalEvent
	EventPayoutRejected  EventType = "payout.rejected"  // WithdrawalEvent
	EventWebhookTest     EventType = "webhook.test"     // {"message": ...}, sent by hand
)

// Produced lists every event type the store and its callers put on a topic.
func Produced(topic string) []EventType {
	switch topic {
	case TopicBot:
		return []EventType{EventDepositCredited, EventWithdrawalAwaiting, EventWithdrawalQueued, EventWithdrawalSent,
			EventWithdrawalConfirmed, EventWithdrawalFailed, EventWithdrawalRefunded, EventWithdrawalRejected,
			EventWebhookDisabled, EventPayerPaused, EventLedgerForeign, EventLedgerDrift, EventStarsPaid, EventStarsRefunded,
			EventStarsRefundShortfall, EventStarsMissing, EventStarsSubscriptionChange}
	case TopicWebhook:
		return []EventType{EventInvoicePaid, EventInvoicePending, EventInvoiceExpired, EventInvoicePayment,
			EventPayoutConfirmed, EventPayoutFailed, EventPayoutRejected, EventWebhookTest}
	}
	return nil
}

// WithdrawalEventType is the bot's event of a user's withdrawal in status.
func WithdrawalEventType(status string) EventType { return EventType("withdrawal." + status) }

// PayoutEventType is the webhook event of a merchant's payout in status.
func PayoutEventType(status string) EventType { return EventType("payout." + status) }

// InvoiceEventType is the webhook event of a merchant invoice in status.
func InvoiceEventType(status string) EventType { return EventType("invoice." + status) }

// IsInvoice reports whether t is an invoice.* event (its data is the invoice).
func (t EventType) IsInvoice() bool { return len(t) > 8 && t[:8] == "invoice." }

// IsPayout reports whether t is a payout.* event (its data is the payout).
func (t EventType) IsPayout() bool { return len(t) > 7 && t[:7] == "payout." }

// ChangeKind says what a committed Change is about.
type ChangeKind string

// Change kinds.
const (
	ChangeInvoice      ChangeKind = "invoice"      // an invoice's state (ID: the invoice)
	ChangeBalance      ChangeKind = "balance"      // a user's or merchant's balance
	ChangeWithdrawal   ChangeKind = "withdrawal"   // a withdrawal's state (ID: the withdrawal)
	ChangePurchase     ChangeKind = "purchase"     // a Stars payment booked or refunded (ID: its charge id)
	ChangeSubscription ChangeKind = "subscription" // a Stars subscription (ID: the package)
	ChangeUser         ChangeKind = "user"         // an admin blocked or unblocked the user
	ChangeWebhook      ChangeKind = "webhook"      // a merchant's webhook event to deliver now
	// ChangeResync (no user, no merchant, no id): anything may have
	// changed unheard, because this node stopped hearing the other nodes
	// for a while (PostgreSQL). Subscribers re-read all they show.
	ChangeResync ChangeKind = "resync"
)
