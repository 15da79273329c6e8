import { amountText, t } from '../lib/i18n';
import type { WithdrawalQuote } from '../lib/types';

/** The server's total ("1.05 TON", "5 USDT + 0.05 TON"): each amount in the page's words. */
function totalText(total: string): string {
  return total.replace(/(\d+(?:\.\d+)?) ([A-Za-z]+)/g, (_, n: string, a: string) => amountText(n, a));
}

/** What a withdrawal or payout would cost, as the server's rule book quoted it. */
export function QuoteCard({ quote, testid = 'withdraw-quote', totalLabel = t('leaves_balance') }: { quote: WithdrawalQuote; testid?: string; totalLabel?: string }) {
  return (
    <div className="card" data-testid={testid}>
      <dl className="rows">
        <div className="row">
          <dt>{t('fee')}</dt>
          <dd data-testid="quote-fee">
            {amountText(quote.fee, quote.fee_asset)}
          </dd>
        </div>
        <div className="row">
          <dt>{totalLabel}</dt>
          <dd data-testid="quote-total">{totalText(quote.total)}</dd>
        </div>
      </dl>
      {quote.needs_approval && <p className="muted small">{t('needs_approval')}</p>}
    </div>
  );
}
