import { useState } from 'react';
import { toUnits } from '../../lib/amount';
import { dayLabel } from '../../lib/format';
import { amountText, assetName, formatNumber, t } from '../../lib/i18n';
import type { DayFlow, Money } from '../../lib/types';

const W = 300;
const H = 120;

const units = (m: Money | undefined) => {
  const u = m ? toUnits(m.amount) : 0n;
  return u < 0n ? -u : u;
};

/** Deposits and withdrawals per day, one asset at a time, as plain SVG bars. */
export function FlowChart({ days, assets }: { days: DayFlow[]; assets: string[] }) {
  const [asset, setAsset] = useState(assets[0] ?? 'GRAM');
  if (days.length === 0) return null;
  let max = 0n;
  for (const d of days) {
    const a = units(d.deposits?.[asset]);
    const b = units(d.withdrawals?.[asset]);
    if (a > max) max = a;
    if (b > max) max = b;
  }
  // Heights in thousandths of the tallest bar, by integer arithmetic.
  const h = (u: bigint) => (max === 0n ? 0 : (Number((u * 1000n) / max) / 1000) * (H - 4));
  const slot = W / days.length;
  const bar = Math.max(1, slot / 2 - 1);
  const top = days.reduce<Money | undefined>((best, d) => {
    for (const m of [d.deposits?.[asset], d.withdrawals?.[asset]]) if (m && units(m) === max) return m;
    return best;
  }, undefined);
  return (
    <div className="card" data-testid="chart" data-asset={asset}>
      <div className="item-top">
        <div className="card-title" style={{ margin: 0 }}>
          {t('last_n_days', { n: days.length })}
        </div>
        {assets.length > 1 && (
          <div className="seg" role="group" aria-label={t('asset')}>
            {assets.map((a) => (
              <button key={a} type="button" className={a === asset ? 'active' : ''} data-testid={`chart-asset-${a}`} onClick={() => setAsset(a)}>
                {assetName(a)}
              </button>
            ))}
          </div>
        )}
      </div>
      <svg className="chart" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={t('chart_label', { asset: assetName(asset) })}>
        <line x1="0" x2={W} y1={H - 0.5} y2={H - 0.5} className="axis" />
        {days.map((d, i) => {
          const dep = d.deposits?.[asset];
          const wd = d.withdrawals?.[asset];
          const hd = h(units(dep));
          const hw = h(units(wd));
          const x = i * slot + 0.5;
          return (
            <g key={d.day}>
              <title>{t('chart_day', { day: dayLabel(d.day), in: formatNumber(dep?.formatted ?? '0'), out: amountText(wd?.formatted ?? '0', asset) })}</title>
              <rect className="in" x={x} y={H - 1 - hd} width={bar} height={hd} />
              <rect className="out" x={x + bar} y={H - 1 - hw} width={bar} height={hw} />
            </g>
          );
        })}
      </svg>
      <div className="chart-axis">
        <span>{dayLabel(days[0].day)}</span>
        <span>{dayLabel(days[days.length - 1].day)}</span>
      </div>
      <div className="chart-legend">
        <span>
          <i className="in" /> {t('deposits')}
        </span>
        <span>
          <i className="out" /> {t('withdrawals')}
        </span>
        <span className="muted small">{max === 0n ? t('none') : t('chart_max', { amount: amountText(top?.formatted ?? '', asset) })}</span>
      </div>
    </div>
  );
}
