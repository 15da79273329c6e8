import { useEffect, useRef } from 'react';
import { haptic } from '../lib/telegram';

export interface Tab<T extends string> {
  name: T;
  label: string;
}

/** A row of tabs (scrolls sideways when narrow); test ids `<prefix>-tab-<name>`. */
export function Tabs<T extends string>({ tabs, value, onChange, prefix }: { tabs: Tab<T>[]; value: T; onChange: (t: T) => void; prefix: string }) {
  const row = useRef<HTMLDivElement>(null);
  // The active tab stays in view when the row is scrolled sideways.
  useEffect(() => {
    const el = row.current?.querySelector<HTMLElement>('.tab.active');
    el?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [value]);
  return (
    <div className="tabs" role="tablist" ref={row}>
      {tabs.map((t) => (
        <button
          key={t.name}
          type="button"
          role="tab"
          aria-selected={t.name === value}
          className={`tab${t.name === value ? ' active' : ''}`}
          data-testid={`${prefix}-tab-${t.name}`}
          onClick={() => {
            if (t.name === value) return;
            haptic.select();
            window.scrollTo(0, 0);
            onChange(t.name);
          }}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
