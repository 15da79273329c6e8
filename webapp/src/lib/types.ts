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
  /** Optional: the Mini App's t.me link, where wallets opened by link return after signing. */
  twa_return_url?: string;
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

/** A Stars subscription: active (renews at expires_at), canceled (runs to expires_at) or expired. */
export interface StarsSubscription {
  package: string;
  stars: string;
  credits: number;
  status: 'active' | 'canceled' | 'expired';
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
