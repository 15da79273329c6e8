import { useState } from 'react';
import { t } from '../lib/i18n';
import { haptic } from '../lib/telegram';

export function Copy({ text, testid }: { text: string; testid?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="copy"
      data-testid={testid}
      onClick={() => {
        navigator.clipboard?.writeText(text).then(
          () => {
            haptic.select();
            setDone(true);
            setTimeout(() => setDone(false), 1500);
          },
          () => {},
        );
      }}
    >
      {done ? t('copied') : t('copy')}
    </button>
  );
}
