// Dashboard calls (notes/dash-api.md): /api/admin/* for ADMIN_IDS, /api/merchant/:mid/* for the
// merchant's owners. Same auth and error shape as the rest of the Mini App API.
import { call, enc } from './api';
import type {
  AdminMerchant, AdminOverview, AdminWithdrawal, AuditEntry, Delivery, InvoiceDetail, MerchantInfo, MerchantInvoice,
  Payout, PayoutsState, UnmatchedDeposit, UserDetail, UserRow, WebhookSettings, WithdrawalQuote,
} from './types';

export interface InvoiceFilter {
  status?: string;
  from?: string;
  to?: string;
}

const query = (q: Record<string, string | undefined>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
};

export const admin = {
  overview: () => call<AdminOverview>('GET', '/api/admin/overview'),
  withdrawals: (status?: string) => call<{ withdrawals: AdminWithdrawal[] }>('GET', `/api/admin/withdrawals${query({ status })}`),
  approve: (id: string | number) => call<AdminWithdrawal>('POST', `/api/admin/withdrawals/${enc(String(id))}/approve`),
  reject: (id: string | number, reason: string) =>
    call<AdminWithdrawal>('POST', `/api/admin/withdrawals/${enc(String(id))}/reject`, { reason }),
  unmatched: () => call<{ deposits: UnmatchedDeposit[] }>('GET', '/api/admin/unmatched'),
  assign: (id: number, to: { user_id: number } | { merchant_id: number }) =>
    call<UnmatchedDeposit>('POST', `/api/admin/unmatched/${id}/assign`, to),
  refund: (id: number, txHash: string) => call<UnmatchedDeposit>('POST', `/api/admin/unmatched/${id}/refund`, { tx_hash: txHash }),
  payouts: () => call<PayoutsState>('GET', '/api/admin/payouts'),
  pause: (reason: string) => call<PayoutsState>('POST', '/api/admin/payouts/pause', { reason }),
  resume: () => call<PayoutsState>('POST', '/api/admin/payouts/resume'),
  merchants: () => call<{ merchants: AdminMerchant[] }>('GET', '/api/admin/merchants'),
  users: (q: string) => call<{ users: UserRow[] }>('GET', `/api/admin/users${query({ q })}`),
  user: (id: number) => call<UserDetail>('GET', `/api/admin/users/${id}`),
  block: (id: number, reason: string) => call<UserRow>('POST', `/api/admin/users/${id}/block`, { reason }),
  unblock: (id: number) => call<UserRow>('POST', `/api/admin/users/${id}/unblock`),
  audit: (merchantId?: number) =>
    call<{ entries: AuditEntry[] }>('GET', `/api/admin/audit${query({ merchant_id: merchantId ? String(merchantId) : undefined })}`),
};

export function merchant(mid: number) {
  const base = `/api/merchant/${mid}`;
  return {
    info: () => call<MerchantInfo>('GET', base),
    invoices: (f: InvoiceFilter, cursor: string | null) =>
      call<{ invoices: MerchantInvoice[]; next_cursor: string | null }>(
        'GET',
        `${base}/invoices${query({ status: f.status, from: f.from, to: f.to, cursor: cursor ?? undefined })}`,
      ),
    invoice: (id: string) => call<InvoiceDetail>('GET', `${base}/invoices/${enc(id)}`),
    createInvoice: (asset: string, amount: string, description: string) =>
      call<MerchantInvoice>('POST', `${base}/invoices`, { asset, amount, description }),
    payouts: () => call<{ payouts: Payout[] }>('GET', `${base}/payouts`),
    // The contract says "the same quote shape as POST /api/withdrawals/quote": that one is wrapped
    // in {quote}; a bare quote is taken as well.
    quote: async (asset: string, amount: string, address: string) => {
      const r = await call<{ quote?: WithdrawalQuote } & Partial<WithdrawalQuote>>('POST', `${base}/payouts/quote`, { asset, amount, address });
      return r.quote ?? (r as WithdrawalQuote);
    },
    payout: (asset: string, amount: string, address: string, spendId: string) =>
      call<Payout>('POST', `${base}/payouts`, { asset, amount, address, spend_id: spendId }),
    deliveries: () => call<{ deliveries: Delivery[] }>('GET', `${base}/webhook/deliveries`),
    setWebhook: (url: string) => call<WebhookSettings>('PUT', `${base}/webhook`, { url }),
    rotateSecret: () => call<{ secret: string }>('POST', `${base}/webhook/rotate`),
    testWebhook: () => call<Delivery>('POST', `${base}/webhook/test`),
    redeliver: (eventId: string | number) => call<Delivery>('POST', `${base}/webhook/deliveries/${enc(String(eventId))}/redeliver`),
    rotateToken: () => call<{ token: string }>('POST', `${base}/token`),
    audit: () => call<{ entries: AuditEntry[] }>('GET', `${base}/audit`),
  };
}
export type MerchantApi = ReturnType<typeof merchant>;
