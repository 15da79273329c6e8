// Telegram WebApp integration: the official telegram-web-app.js, bundled through @twa-dev/sdk
// (no CDN), plus small hooks for MainButton, BackButton and HapticFeedback.
import TwaSdk from '@twa-dev/sdk';
import { useEffect, useRef, useSyncExternalStore } from 'react';

// @twa-dev/sdk is CommonJS with an `exports.default`; under Node-style interop (this package is
// "type": "module") the default import is the whole exports object, so unwrap it when needed.
export const WebApp: typeof TwaSdk = (TwaSdk as unknown as { default?: typeof TwaSdk }).default ?? TwaSdk;

/** Running inside a Telegram client (launch params present), not a plain browser tab. */
export const inTelegram = WebApp.platform !== 'unknown';

const atLeast = (v: string) => {
  try {
    return inTelegram && WebApp.isVersionAtLeast(v);
  } catch {
    return false;
  }
};

/** The native MainButton exists: then it carries the screen's primary action instead of an in-page button. */
export const hasMainButton = atLeast('6.0');

export function initTelegram() {
  WebApp.ready();
  if (!inTelegram) return;
  WebApp.expand();
  if (atLeast('6.1')) {
    WebApp.setHeaderColor('secondary_bg_color');
    WebApp.setBackgroundColor('secondary_bg_color');
  }
  if (atLeast('7.10')) WebApp.setBottomBarColor('secondary_bg_color');
}

/**
 * The invoice a merchant's pay link opened: Telegram passes `startapp=inv_<id>` as start_param in
 * initData (and as tgWebAppStartParam in the URL). Null when the app was opened otherwise.
 */
export function startInvoiceId(): string | null {
  let param = '';
  try {
    param = WebApp.initDataUnsafe?.start_param ?? '';
  } catch {
    /* no initData */
  }
  if (!param) {
    const q = new URLSearchParams(location.search);
    param = q.get('tgWebAppStartParam') ?? q.get('startapp') ?? '';
  }
  return /^inv_[0-9a-f]{1,64}$/i.test(param) ? param : null;
}

export const haptic = {
  tap() {
    if (atLeast('6.1')) WebApp.HapticFeedback.impactOccurred('light');
  },
  select() {
    if (atLeast('6.1')) WebApp.HapticFeedback.selectionChanged();
  },
  success() {
    if (atLeast('6.1')) WebApp.HapticFeedback.notificationOccurred('success');
  },
  error() {
    if (atLeast('6.1')) WebApp.HapticFeedback.notificationOccurred('error');
  },
  warning() {
    if (atLeast('6.1')) WebApp.HapticFeedback.notificationOccurred('warning');
  },
};

/** Open an https link outside the Mini App (explorer pages). */
export function openExternal(url: string) {
  if (inTelegram && /^https?:/i.test(url)) WebApp.openLink(url);
  else window.open(url, '_blank', 'noopener');
}

/**
 * Share a link: Telegram's share sheet (choose a chat) inside Telegram; the system share sheet or
 * a new tab outside it.
 */
export function shareLink(url: string, text = '') {
  const share = `https://t.me/share/url?${new URLSearchParams({ url, ...(text ? { text } : {}) })}`;
  if (inTelegram && atLeast('6.1')) {
    WebApp.openTelegramLink(share);
    return;
  }
  if (typeof navigator.share === 'function') {
    navigator.share({ url, text }).catch(() => {});
    return;
  }
  window.open(share, '_blank', 'noopener');
}

// Color scheme as a React store, so theme switches (themeChanged) re-render.
function subscribeTheme(cb: () => void) {
  WebApp.onEvent('themeChanged', cb);
  const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
  mq?.addEventListener?.('change', cb);
  return () => {
    WebApp.offEvent('themeChanged', cb);
    mq?.removeEventListener?.('change', cb);
  };
}
export function colorScheme(): 'light' | 'dark' {
  if (inTelegram) return WebApp.colorScheme === 'dark' ? 'dark' : 'light';
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}
export function useColorScheme() {
  return useSyncExternalStore(subscribeTheme, colorScheme);
}

export interface MainButtonSpec {
  text: string;
  onClick: () => void;
  visible?: boolean;
  enabled?: boolean;
  progress?: boolean;
}

/**
 * Drive Telegram's MainButton from a component. Pass null to hide it. Only one mounted
 * component should own the button at a time (the current screen).
 */
export function useMainButton(spec: MainButtonSpec | null) {
  const click = useRef<() => void>(() => {});
  click.current = spec?.onClick ?? (() => {});
  useEffect(() => {
    if (!hasMainButton) return;
    const handler = () => click.current();
    WebApp.MainButton.onClick(handler);
    return () => {
      WebApp.MainButton.offClick(handler);
      WebApp.MainButton.hideProgress();
      WebApp.MainButton.hide();
    };
  }, []);
  const text = spec?.text ?? '';
  const visible = !!spec && spec.visible !== false;
  const enabled = !!spec && spec.enabled !== false && !spec.progress;
  const progress = !!spec?.progress;
  useEffect(() => {
    if (!hasMainButton) return;
    const mb = WebApp.MainButton;
    if (!visible) {
      mb.hideProgress();
      mb.hide();
      return;
    }
    mb.setParams({
      text,
      is_visible: true,
      is_active: enabled,
      color: enabled || progress ? WebApp.themeParams.button_color || '#2481cc' : WebApp.themeParams.hint_color || '#a8a8a8',
      text_color: WebApp.themeParams.button_text_color || '#ffffff',
    });
    if (progress) mb.showProgress(false);
    else mb.hideProgress();
  }, [text, visible, enabled, progress]);
}

/** Show Telegram's BackButton while `onBack` is set. */
export function useBackButton(onBack: (() => void) | null) {
  const cb = useRef(onBack);
  cb.current = onBack;
  const shown = !!onBack;
  useEffect(() => {
    if (!inTelegram || !atLeast('6.1') || !shown) return;
    const handler = () => cb.current?.();
    WebApp.BackButton.onClick(handler);
    WebApp.BackButton.show();
    return () => {
      WebApp.BackButton.offClick(handler);
      WebApp.BackButton.hide();
    };
  }, [shown]);
}
