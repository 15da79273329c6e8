import type { ReactNode } from 'react';
import { ExtLink } from '../../components/ExtLink';
import { StatusPill } from '../../components/StatusPill';
import { money, when, whoWords } from '../../lib/format';
import { t } from '../../lib/i18n';
import type { AdminWithdrawal } from '../../lib/types';

/** One withdrawal: amount and fee, who, where to, when, status; actions below when given. */
export function WithdrawalRow({ w, testid, statusTestid, children }: { w: AdminWithdrawal; testid: string; statusTestid?: string; children?: ReactNode }) {
  return (
    <li className="item" data-testid={testid} data-status={w.status}>
      <div className="item-top">
        <span className="item-title strong">{money(w.amount)}</span>
        <StatusPill status={w.status} testid={statusTestid} />
      </div>
      <div className="item-sub">
        {(w.who && whoWords(w.who)) || (w.merchant_id ? t('merchant_n', { id: w.merchant_id }) : t('user_n', { id: w.user_id ?? '?' }))} · {t('fee_amount', { amount: money(w.fee) })} · {when(w.created_at)}
      </div>
      <div className="address small-address">{w.destination}</div>
      {w.error && <div className="item-error mono">{w.error}</div>}
      {w.link && (
        <div className="item-sub">
          <ExtLink href={w.link} testid={`${testid}-link`}>
            {t('view_in_explorer')} ↗
          </ExtLink>
        </div>
      )}
      {children && <div className="item-actions">{children}</div>}
    </li>
  );
}
