// Shapes of the Mini App API (see shared/docs/ARCHITECTURE.md). Amounts are decimal strings of
// smallest units; `formatted` fields are the server's human form of the same number.

export interface User {
  id: number;
  first_name: string;
  username?: string;
}

export interface LinkedWallet {
  address: string;
  friendly: string;
}

export interface Asset {
  symbol: string;
  decimals: number;
}

export interface Balance {
  asset: string;
  amount: string;
  formatted: string;
}

export interface DepositInfo {
  address: string;
  comment: string;
  link: string;
}

export interface Me {
  user: User;
  wallet: LinkedWallet | null;
  network: 'testnet' | 'mainnet';
  assets: Asset[];
  balances: Balance[];
  deposit: DepositInfo;
  /** The user's own deposit address (whatever arrives there is theirs, no comment needed); absent when
   * the server hands out none. deposit_link is its ton://transfer link for the native coin,
   * deposit_links the link of every on-chain asset by symbol. */
  deposit_address?: string;
  deposit_link?: string;
  deposit_links?: Record<string, string>;
  /** Optional: the Mini App's t.me link, where wallets opened by link return after signing. */
  twa_return_url?: string;
  /** What this user may manage (absent from servers before the dashboards). */
  roles?: Roles;
  /** An admin blocked this user: every other /api call answers 403 "blocked". */
  blocked?: boolean;
}

export interface Roles {
  admin: boolean;
  merchants: { id: number; name: string }[];
}

export type InvoiceStatus = 'created' | 'pending' | 'paid' | 'expired' | 'error';

export interface Invoice {
  id: string;
  asset: string;
  amount: string;
  formatted: string;
  paid: string;
  status: InvoiceStatus;
  comment: string;
  address: string;
  expires_at: string;
  /** Merchant invoices (opened from a pay link): the merchant's name and what is paid for. */
  merchant?: string;
  description?: string;
}

export interface TxMessage {
  address: string;
  amount: string;
  payload?: string;
  stateInit?: string;
}

export interface TxRequest {
  validUntil: number;
  network?: string;
  from?: string;
  messages: TxMessage[];
}

export interface DepositResponse {
  invoice: Invoice;
  transaction: TxRequest;
  link: string;
}

/** GET /api/invoices/{id}: the transaction and link only while it can still be paid. */
export interface InvoicePayResponse {
  invoice: Invoice;
  transaction?: TxRequest;
  link?: string;
}

export interface HistoryItem {
  id: string | number;
  asset: string;
  amount: string;
  formatted: string;
  kind: string;
  description: string;
  created_at: string;
  link?: string | null;
}

export interface HistoryPage {
  items: HistoryItem[];
  next_cursor: string | null;
}

export interface Withdrawal {
  id: string | number;
  asset: string;
  amount: string;
  fee: string;
  /** The fee is always charged in TON, whatever is withdrawn. */
  fee_asset?: string;
  formatted: string;
  fee_formatted: string;
  destination: string;
  status: string;
  tx_hash?: string | null;
  link?: string | null;
}

export interface CreditPackage {
  name: string;
  asset: string;
  price: string;
  formatted: string;
  credits: number | string;
  /** Seconds between renewals of a Stars subscription (2592000: monthly); absent otherwise. */
  period?: number;
}

/**
 * A Stars subscription: active (renews at expires_at), canceled (runs to expires_at), payment_failed
 * (Telegram could not charge the renewal: credits stop at expires_at) or expired.
 */
export interface StarsSubscription {
  package: string;
  stars: string;
  credits: number;
  status: 'active' | 'canceled' | 'payment_failed' | 'expired';
  expires_at: string;
}

/** A Telegram Stars payment as the server booked it (pushed as `event: purchase`). */
export interface StarsPurchase {
  charge_id: string;
  package: string;
  stars: number;
  credits: number;
  status: string;
  recurring?: boolean;
}

export interface Purchase {
  package: string;
  asset: string;
  price: string;
  credits: number | string;
}

export interface TonProofAccount {
  address: string;
  chain: string;
  walletStateInit: string;
  publicKey?: string;
}

export interface TonProofBody {
  timestamp: number;
  domain: { lengthBytes: number; value: string };
  payload: string;
  signature: string;
  state_init?: string;
}

/** What a withdrawal would cost, from the server's rule book, before the user confirms. */
export interface WithdrawalQuote {
  asset: string;
  amount: string;
  fee: string;
  fee_asset: string;
  destination: string;
  needs_approval: boolean;
  /** What leaves the balance, e.g. "1.05 TON" or "5 USDT + 0.05 TON". */
  total: string;
}

// ---------- Dashboards (admin and merchant owners), see notes/dash-api.md ----------

/** An amount of one asset: `amount` in smallest units, `formatted` the same in whole units. */
export interface Money {
  asset: string;
  amount: string;
  formatted: string;
}

export interface AssetOverview {
  asset: string;
  decimals: number;
  users: Money;
  merchants: Money;
  fees: Money;
  /** What the books say the hot wallet holds. */
  hot_ledger: Money;
  /** The last reconciliation's chain figure; null before one or for an off-chain asset. */
  hot_chain: Money | null;
  /** What the books say deposit addresses hold, not yet swept to the hot wallet. */
  on_deposit?: Money;
  /** The operator's own money (funding, opening balance): never a user's, never unmatched. */
  capital?: Money;
  /** chain − ledger; "0" when equal. */
  drift: Money | null;
  unmatched: Money;
  unmatched_count: number;
  awaiting: Money;
  awaiting_count: number;
}

export interface DayFlow {
  day: string;
  deposits: Record<string, Money>;
  withdrawals: Record<string, Money>;
}

export interface PayoutsState {
  paused: boolean;
  cause: string;
  reason: string;
  since: string | null;
}

export interface AdminOverview {
  assets: AssetOverview[];
  /** 30 days, oldest first, every day present. */
  days: DayFlow[];
  payouts: PayoutsState;
  reconciled_block: number;
  synced: boolean;
}

/** A withdrawal as the admin sees it: a user's or a merchant's payout. */
export interface AdminWithdrawal {
  id: number | string;
  asset: string;
  amount: Money;
  fee: Money;
  destination: string;
  status: string;
  user_id: number | null;
  merchant_id: number | null;
  /** "@ann (42)" or the merchant's name. */
  who: string;
  tx_hash?: string;
  link?: string;
  error?: string;
  created_at: string;
}

export interface Resolution {
  kind: 'assigned' | 'refunded';
  user_id?: number;
  merchant_id?: number;
  who?: string;
  refund_tx?: string;
  /** The refund's explorer page (sent by the server beyond the contract). */
  refund_link?: string;
  by: number;
  at: string;
}

/** A deposit no invoice or user comment matched (or too small to credit: dust). */
export interface UnmatchedDeposit {
  id: number;
  kind: 'unmatched' | 'dust';
  amount: Money;
  sender: string;
  comment: string;
  tx_hash: string;
  link: string;
  note: string;
  at: string;
  resolution: Resolution | null;
}

export interface WebhookHealth {
  url: string;
  disabled: boolean;
  pending: number;
  failed: number;
  delivered: number;
  last_error: string;
  last_delivered_at: string | null;
}

export interface AdminMerchant {
  id: number;
  name: string;
  owners: number[];
  balances: Money[];
  webhook: WebhookHealth;
}

export interface UserRow {
  id: number;
  username: string;
  first_name: string;
  blocked: boolean;
  blocked_reason: string;
  balances: Money[];
  created_at: string;
}

/**
 * A history row of the admin's user detail. The contract lists {asset, amount, formatted}; the
 * server sends `amount` as Money: both are read (lib/format.ts historyMoney).
 */
export interface AdminHistoryItem {
  id: string | number;
  amount: Money | string;
  asset?: string;
  formatted?: string;
  kind: string;
  description: string;
  created_at: string;
}

export interface UserDetail extends UserRow {
  history: AdminHistoryItem[];
  withdrawals: AdminWithdrawal[];
}

export interface AuditEntry {
  id: number | string;
  at: string;
  actor_id: number;
  /** "@admin (1)" */
  actor: string;
  role: 'admin' | 'owner' | 'operator';
  merchant_id: number | null;
  action: string;
  subject: string;
  before: string;
  after: string;
}

export interface MerchantInfo {
  id: number;
  name: string;
  assets: Asset[];
  balances: Money[];
  webhook: WebhookHealth;
  owners: number[];
}

/**
 * The merchant API's invoice: `amount` and `paid` in whole units, `*_units` in smallest units.
 * Its fields are checked against the Invoice schema of miniapp/merchant/openapi.json (test/types.test.mjs).
 */
export interface MerchantInvoice {
  id: string;
  status: InvoiceStatus;
  asset: string;
  decimals: number;
  amount: string;
  amount_units: string;
  paid: string;
  paid_units: string;
  late: boolean;
  duplicate: boolean;
  description: string;
  payload: string;
  external_id: string | null;
  pay_url?: string;
  address: string;
  comment: string;
  link: string;
  jetton_master?: string;
  /** Webhooks only: the transaction that caused the event. */
  tx_hash?: string;
  created_at: string;
  expires_at: string;
  paid_at: string | null;
}

export interface InvoicePayment {
  tx_hash: string;
  link: string;
  amount: Money;
  sender: string;
  at: string;
  kind: string;
}

export interface Delivery {
  id: number | string;
  type: string;
  status: 'delivered' | 'pending' | 'failed';
  attempts: number;
  last_error: string;
  next_attempt_at: string | null;
  created_at: string;
  delivered_at: string | null;
  invoice_id?: string;
}

export interface InvoiceDetail {
  invoice: MerchantInvoice;
  payments: InvoicePayment[];
  deliveries: Delivery[];
}

export type PayoutStatus = 'requested' | 'awaiting_approval' | 'queued' | 'sent' | 'confirmed' | 'failed' | 'refunded' | 'rejected';

/**
 * The merchant API's payout: `amount` and `fee` in whole units, `*_units` in smallest units.
 * Its fields are checked against the Payout schema of miniapp/merchant/openapi.json (test/types.test.mjs).
 */
export interface Payout {
  id: number;
  spend_id: string;
  status: PayoutStatus;
  asset: string;
  decimals: number;
  amount: string;
  amount_units: string;
  fee: string;
  fee_units: string;
  fee_asset: string;
  address: string;
  comment?: string;
  tx_hash?: string;
  explorer_url?: string;
  failure_reason?: string;
  created_at: string;
}

export interface WebhookSettings extends WebhookHealth {
  /** Present only when a first URL created the secret: shown once. */
  secret?: string;
}
