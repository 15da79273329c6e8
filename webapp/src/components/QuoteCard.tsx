import type { WithdrawalQuote } from '../lib/types';

/** What a withdrawal or payout would cost, as the server's rule book quoted it. */
export function QuoteCard({ quote, testid = 'withdraw-quote', totalLabel = 'Leaves your balance' }: { quote: WithdrawalQuote; testid?: string; totalLabel?: string }) {
  return (
    <div className="card" data-testid={testid}>
      <dl className="rows">
        <div className="row">
          <dt>Fee</dt>
          <dd data-testid="quote-fee">
            {quote.fee} {quote.fee_asset}
          </dd>
        </div>
        <div className="row">
          <dt>{totalLabel}</dt>
          <dd data-testid="quote-total">{quote.total}</dd>
        </div>
      </dl>
      {quote.needs_approval && <p className="muted small">An administrator approves withdrawals this large first.</p>}
    </div>
  );
}
