import type { ReactNode } from 'react';
import { openExternal } from '../lib/telegram';

/** A link that leaves the Mini App (explorer pages): Telegram's external browser inside Telegram. */
export function ExtLink({ href, testid, children }: { href: string; testid?: string; children: ReactNode }) {
  return (
    <a
      href={href}
      target="_blank"
      rel="noopener noreferrer"
      data-testid={testid}
      onClick={(e) => {
        e.preventDefault();
        openExternal(href);
      }}
    >
      {children}
    </a>
  );
}
