import { assetName, t } from '../lib/i18n';
import { haptic } from '../lib/telegram';
import type { Asset } from '../lib/types';

interface Props {
  id: string;
  testid: string;
  assets: Asset[];
  value: string;
  onChange: (symbol: string) => void;
  label?: string;
}

/** The asset select of a money form. */
export function AssetPicker({ id, testid, assets, value, onChange, label = t('asset') }: Props) {
  return (
    <div className="field">
      <label className="label" htmlFor={id}>
        {label}
      </label>
      <select
        id={id}
        className="select"
        data-testid={testid}
        value={value}
        onChange={(e) => {
          haptic.select();
          onChange(e.target.value);
        }}
      >
        {assets.map((a) => (
          <option key={a.symbol} value={a.symbol}>
            {assetName(a.symbol)}
          </option>
        ))}
      </select>
    </div>
  );
}
