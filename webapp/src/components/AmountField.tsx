import type { ReactNode } from 'react';
import { assetName, t } from '../lib/i18n';

interface Props {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  symbol: string;
  error: string | null;
  testid: string;
  errorTestid: string;
  hint?: ReactNode;
  onMax?: () => void;
}

/** Decimal amount input. Validation is the caller's (exact, per asset decimals). */
export function AmountField(p: Props) {
  return (
    <div className="field">
      <label className="label" htmlFor={p.id}>
        {p.label}
      </label>
      <div className="amount-box">
        <input
          id={p.id}
          className={`input${p.error ? ' invalid' : ''}`}
          data-testid={p.testid}
          inputMode="decimal"
          autoComplete="off"
          spellCheck={false}
          placeholder="0"
          value={p.value}
          aria-invalid={!!p.error}
          aria-describedby={p.error ? `${p.id}-error` : undefined}
          onChange={(e) => p.onChange(e.target.value.replace(/[^\d.,]/g, ''))}
        />
        {p.onMax ? (
          <button type="button" className="chip max" data-testid={`${p.testid}-max`} onClick={p.onMax}>
            {t('max')}
          </button>
        ) : (
          <span className="suffix">{assetName(p.symbol)}</span>
        )}
      </div>
      {p.error ? (
        <div className="field-error" id={`${p.id}-error`} data-testid={p.errorTestid} role="alert">
          {p.error}
        </div>
      ) : (
        p.hint && <div className="field-hint">{p.hint}</div>
      )}
    </div>
  );
}
