// Thin client for the Mini App API. Every call carries `Authorization: tma <initData>`;
// errors come back as {"error":{"code","message"}} and surface as ApiError with the message in the
// page's language (the code through the dictionary, i18n.apiErrorText).
import { apiErrorText, t } from './i18n';
import type {
  Balance, CreditPackage, DepositResponse, HistoryPage, Invoice, InvoicePayResponse, LinkedWallet, Me, Purchase,
  StarsPurchase, StarsSubscription, TonProofAccount, TonProofBody, Withdrawal, WithdrawalQuote,
} from './types';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let initData = '';

/** Set once at start from Telegram.WebApp.initData. */
export function setInitData(raw: string) {
  initData = raw;
}

export function authHeader(): string {
  return `tma ${initData}`;
}

export async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        Authorization: authHeader(),
        Accept: 'application/json',
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'network', t('err_network'));
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      /* not JSON: handled below */
    }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    const code = err?.code ?? `http_${res.status}`;
    throw new ApiError(res.status, code, apiErrorText(res.status, code, err?.message));
  }
  if (data === undefined) throw new ApiError(res.status, 'bad_response', t('err_bad_response'));
  return data as T;
}

export const enc = encodeURIComponent;

export const api = {
  me: () => call<Me>('GET', '/api/me'),
  walletPayload: () => call<{ payload: string; expires_at: string | number }>('POST', '/api/wallet/payload'),
  linkWallet: (account: TonProofAccount, proof: TonProofBody) =>
    call<{ wallet: LinkedWallet }>('POST', '/api/wallet', { account, proof }),
  unlinkWallet: () => call<void>('DELETE', '/api/wallet'),
  createDeposit: (asset: string, amount: string) => call<DepositResponse>('POST', '/api/deposits', { asset, amount }),
  reportBoc: (id: string, boc: string) => call<{ invoice: Invoice }>('POST', `/api/deposits/${enc(id)}/boc`, { boc }),
  deposit: (id: string) => call<{ invoice: Invoice }>('GET', `/api/deposits/${enc(id)}`),
  /** A merchant invoice opened from its pay link (start_param inv_<id>), or the user's own top-up. */
  invoice: (id: string) => call<InvoicePayResponse>('GET', `/api/invoices/${enc(id)}`),
  reportInvoiceBoc: (id: string, boc: string) => call<{ invoice: Invoice }>('POST', `/api/invoices/${enc(id)}/boc`, { boc }),
  history: (cursor: string | null, limit = 20) =>
    call<HistoryPage>('GET', `/api/history?${new URLSearchParams({ cursor: cursor ?? '', limit: String(limit) })}`),
  quoteWithdrawal: (asset: string, amount: string, address: string) =>
    call<{ quote: WithdrawalQuote }>('POST', '/api/withdrawals/quote', { asset, amount, address }),
  withdraw: (asset: string, amount: string, address: string, idempotencyKey: string) =>
    call<{ withdrawal: Withdrawal }>('POST', '/api/withdrawals', { asset, amount, address }, { 'Idempotency-Key': idempotencyKey }),
  withdrawal: (id: string | number) => call<{ withdrawal: Withdrawal }>('GET', `/api/withdrawals/${enc(String(id))}`),
  packages: () => call<{ packages: CreditPackage[] }>('GET', '/api/packages'),
  /** A Telegram Stars invoice link for a package priced in XTR (opened with WebApp.openInvoice). */
  starsInvoice: (name: string) => call<{ link: string }>('POST', '/api/stars/invoices', { package: name }),
  subscriptions: () => call<{ subscriptions: StarsSubscription[] }>('GET', '/api/stars/subscriptions'),
  setSubscriptionCanceled: (pkg: string, canceled: boolean) =>
    call<{ subscription: StarsSubscription }>('POST', `/api/stars/subscriptions/${enc(pkg)}`, { canceled }),
  starsPayments: () => call<{ payments: StarsPurchase[] }>('GET', '/api/stars/payments'),
  purchase: (name: string) => call<{ purchase: Purchase; balances: Balance[] }>('POST', '/api/purchases', { package: name }),
};

export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error && e.message) return e.message;
  return t('error_generic');
}
