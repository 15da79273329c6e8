// Shared by the e2e drivers: headless Debian Chromium through playwright-core, a Telegram client
// simulated around the page, and an injected TON Connect wallet whose keys live behind SIGNER_URL.

import { join } from 'node:path';
import { chromium } from 'playwright-core';

// Telegram's own palettes (iOS day, Desktop night).
export const THEMES = {
  light: {
    bg_color: '#ffffff',
    text_color: '#000000',
    hint_color: '#8e8e93',
    link_color: '#007aff',
    button_color: '#007aff',
    button_text_color: '#ffffff',
    secondary_bg_color: '#efeff4',
    header_bg_color: '#f8f8f8',
    accent_text_color: '#007aff',
    section_bg_color: '#ffffff',
    section_header_text_color: '#6d6d72',
    subtitle_text_color: '#8e8e93',
    destructive_text_color: '#ff3b30',
    bottom_bar_bg_color: '#f2f2f2',
    section_separator_color: '#c8c7cc',
  },
  dark: {
    bg_color: '#17212b',
    text_color: '#f5f5f5',
    hint_color: '#708499',
    link_color: '#6ab3f3',
    button_color: '#5288c1',
    button_text_color: '#ffffff',
    secondary_bg_color: '#232e3c',
    header_bg_color: '#17212b',
    accent_text_color: '#6ab2f2',
    section_bg_color: '#17212b',
    section_header_text_color: '#6ab3f3',
    subtitle_text_color: '#708499',
    destructive_text_color: '#ec3942',
    bottom_bar_bg_color: '#17212b',
    section_separator_color: '#111921',
  },
};

/** The URL Telegram opens: launch parameters in the hash, as telegram-web-app.js reads them. */
export function launchUrl(baseUrl, initData, theme, platform = 'tdesktop') {
  return (
    `${baseUrl}/#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0&tgWebAppPlatform=${platform}` +
    `&tgWebAppThemeParams=${encodeURIComponent(JSON.stringify(THEMES[theme]))}`
  );
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

// Runs in the page before any of its scripts (serialized by Playwright: no closures).
function pageInit() {
  // Telegram client side of the WebView bridge: record every event the page posts.
  window.__tgEvents = [];
  window.TelegramWebviewProxy = {
    postEvent(type, data) {
      let parsed = data;
      try {
        parsed = data ? JSON.parse(data) : null;
      } catch {
        /* keep raw */
      }
      window.__tgEvents.push({ type, data: parsed });
      // Telegram's invoice sheet: the test's Telegram stand-in takes the payment (or not) and the
      // client closes the sheet with its status, as Telegram does after a payment.
      if (type === 'web_app_open_invoice' && parsed && window.__e2eInvoice) {
        const slug = parsed.slug;
        window.__e2eInvoice(slug).then((status) => window.Telegram.WebView.receiveEvent('invoice_closed', { slug, status }));
      }
    },
  };

  // TON Connect JS bridge of an injected wallet; the key must be one the SDK's wallets list knows
  // (the remote list is unreachable offline, the SDK's built-in fallback list has `tonkeeper`).
  const deviceInfo = {
    platform: 'iphone',
    appName: 'Tonkeeper',
    appVersion: '5.0.0',
    maxProtocolVersion: 2,
    features: ['SendTransaction', { name: 'SendTransaction', maxMessages: 4 }],
  };
  const walletInfo = {
    name: 'Tonkeeper',
    app_name: 'tonkeeper',
    image: 'https://tonkeeper.com/assets/tonconnect-icon.png',
    about_url: 'https://tonkeeper.com',
    platforms: ['ios', 'android', 'chrome', 'firefox', 'macos'],
  };
  let nextId = 1;
  let listeners = [];
  window.tonkeeper = {
    tonconnect: {
      deviceInfo,
      walletInfo,
      protocolVersion: 2,
      // Inside the wallet's own browser: TON Connect UI connects at once, no modal. (With false, the
      // 390 px mobile layout makes TON Connect open Tonkeeper's universal link, which needs the net.)
      isWalletBrowser: true,
      async connect(protocolVersion, request) {
        const proofItem = (request.items || []).find((i) => i.name === 'ton_proof');
        // A real wallet signs for the host of the manifest's `url`.
        let domain = location.host;
        try {
          const manifest = await (await fetch(request.manifestUrl)).json();
          if (manifest.url) domain = new URL(manifest.url).host;
        } catch {
          /* keep location.host */
        }
        const r = await window.__e2eConnect(proofItem ? proofItem.payload : '', domain);
        if (r.error) return { event: 'connect_error', id: nextId++, payload: { code: 0, message: r.error } };
        return { event: 'connect', id: nextId++, payload: { device: deviceInfo, items: r.items } };
      },
      async restoreConnection() {
        const item = await window.__e2eRestore();
        if (!item) return { event: 'connect_error', id: nextId++, payload: { code: 100, message: 'Unknown app' } };
        return { event: 'connect', id: nextId++, payload: { device: deviceInfo, items: [item] } };
      },
      async send(request) {
        if (request.method === 'sendTransaction') {
          const p = JSON.parse(request.params[0]);
          const r = await window.__e2eSend({ valid_until: p.valid_until, messages: p.messages });
          if (r.error) return { error: { code: 300, message: r.error }, id: request.id };
          return { result: r.boc, id: request.id };
        }
        if (request.method === 'disconnect') {
          await window.__e2eDisconnect();
          return { result: {}, id: request.id };
        }
        return { error: { code: 400, message: `unsupported ${request.method}` }, id: request.id };
      },
      listen(cb) {
        listeners.push(cb);
        return () => {
          listeners = listeners.filter((x) => x !== cb);
        };
      },
      disconnect() {
        void window.__e2eDisconnect();
      },
    },
  };
}

async function postJSON(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * A browser context that looks like Telegram with a wallet: only baseUrl is reachable (other
 * origins are aborted and collected in `blocked`); GET /api/deposits/* requests are counted.
 */
export async function telegramContext(browser, { baseUrl, signerUrl, telegramUrl, log }) {
  const base = new URL(baseUrl);
  const stats = { polls: 0, eventStreams: 0, blocked: new Set(), requests: [] };
  const context = await browser.newContext({
    viewport: { width: Number(process.env.E2E_WIDTH || 390), height: 844 },
    deviceScaleFactor: 2,
    locale: 'en-US',
    serviceWorkers: 'block',
  });
  await context.route(
    (u) => u.origin !== base.origin,
    (route) => {
      stats.blocked.add(new URL(route.request().url()).host);
      return route.abort('internetdisconnected');
    },
  );
  let walletAddr = null; // last ton_addr item, for restoreConnection
  await context.exposeFunction('__e2eConnect', async (payload, domain) => {
    try {
      const r = await postJSON(`${signerUrl}/connect`, { payload, domain });
      walletAddr = (r.items || []).find((i) => i.name === 'ton_addr') || null;
      return { items: r.items };
    } catch (e) {
      log(`[signer] connect: ${e.message}`);
      return { error: e.message };
    }
  });
  await context.exposeFunction('__e2eRestore', async () => walletAddr);
  await context.exposeFunction('__e2eDisconnect', async () => {
    walletAddr = null;
  });
  await context.exposeFunction('__e2eSend', async (req) => {
    try {
      return await postJSON(`${signerUrl}/send`, req);
    } catch (e) {
      log(`[signer] send: ${e.message}`);
      return { error: e.message };
    }
  });
  if (telegramUrl) {
    // POST {telegramUrl}/invoice {slug} → {status}: the stand-in pays the invoice (pre-checkout,
    // then successful_payment to the bot) and answers the status the sheet closes with.
    await context.exposeFunction('__e2eInvoice', async (slug) => {
      try {
        return (await postJSON(`${telegramUrl}/invoice`, { slug })).status;
      } catch (e) {
        log(`[telegram] invoice: ${e.message}`);
        return 'failed';
      }
    });
  }
  await context.addInitScript(pageInit);
  context.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin !== base.origin) return;
    stats.requests.push({ method: req.method(), path: u.pathname, headers: req.headers() });
    if (req.method() === 'GET' && u.pathname.startsWith('/api/deposits/')) {
      stats.polls++;
      log(`[poll] GET ${u.pathname}`);
    }
    if (u.pathname === '/api/events') stats.eventStreams++;
  });
  const watch = (page, name) => {
    page.on('console', (m) => {
      const t = m.text();
      if (!t.startsWith('[Telegram.WebView]')) log(`[${name} ${m.type()}] ${t}`);
    });
    page.on('pageerror', (e) => log(`[${name} pageerror] ${e.message}`));
    page.on('requestfailed', (r) => {
      if (new URL(r.url()).origin === base.origin && !r.url().endsWith('/api/events')) {
        log(`[${name} failed] ${r.method()} ${r.url()} ${r.failure()?.errorText}`);
      }
    });
  };
  return { context, stats, watch };
}

/** Click the screen's primary action: the in-page button if shown, else Telegram's MainButton. */
export async function pressPrimary(page, testid, expectText, log = () => {}) {
  const inPage = page.getByTestId(testid);
  if (await inPage.isVisible()) {
    const text = ((await inPage.textContent()) ?? '').trim();
    await inPage.click();
    return { text, in_page: true };
  }
  const handle = await page.waitForFunction(
    (want) => {
      const ev = window.__tgEvents.filter((e) => e.type === 'web_app_setup_main_button').pop();
      return ev && ev.data?.is_visible && ev.data?.is_active && (!want || String(ev.data.text).includes(want)) ? ev.data : null;
    },
    expectText,
    { timeout: 5000 },
  );
  const params = await handle.jsonValue();
  log(`[main button] ${JSON.stringify(params)}`);
  await page.evaluate(() => window.Telegram.WebView.receiveEvent('main_button_pressed'));
  return { text: params.text, in_page: false };
}

/** Connect the injected wallet from the home screen; returns the address the page shows. */
export async function connectWallet(page) {
  const pageError = page.getByTestId('error');
  await page.getByTestId('connect-wallet').or(page.getByTestId('wallet-address')).or(pageError).first().waitFor({ timeout: 15_000 });
  if (await pageError.isVisible()) throw new Error(`page error: ${((await pageError.textContent()) ?? '').trim()}`);
  if (await page.getByTestId('connect-wallet').isVisible()) {
    // Inside a wallet's own browser the SDK may connect the injected wallet by itself (the button
    // turns to "linking", then goes): that is a connection too.
    await page
      .getByTestId('connect-wallet')
      .click({ timeout: 10_000 })
      .catch(async (e) => {
        if (!(await page.getByTestId('wallet-address').isVisible())) throw e;
      });
    // An injected wallet inside its own browser connects at once; otherwise pick it in the modal.
    const tonkeeper = page.locator('#tc-widget-root').getByText('Tonkeeper', { exact: true }).first();
    const linked = page.getByTestId('wallet-address');
    const failed = page.getByTestId('wallet-error');
    await linked.or(tonkeeper).or(failed).first().waitFor({ timeout: 10_000 });
    if (await failed.isVisible()) throw new Error(`wallet error: ${await failed.textContent()}`);
    if (!(await linked.isVisible()) && (await tonkeeper.isVisible())) await tonkeeper.click();
  }
  await page.waitForFunction(
    () =>
      document.querySelector('[data-testid="wallet-address"]')?.textContent?.trim() ||
      document.querySelector('[data-testid="wallet-error"]'),
    null,
    { timeout: 10_000 },
  );
  const failed = page.getByTestId('wallet-error');
  if (await failed.isVisible()) throw new Error(`wallet error: ${await failed.textContent()}`);
  return (await page.getByTestId('wallet-address').textContent()).trim();
}

export async function shoot(page, dir, name, list) {
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  list.push(path);
  return path;
}

export const textOf = async (page, testid) => ((await page.getByTestId(testid).textContent()) ?? '').trim();

export function waitText(page, testid, want, timeout) {
  return page.waitForFunction(
    ([id, w]) => document.querySelector(`[data-testid="${id}"]`)?.textContent?.trim() === w,
    [testid, want],
    { timeout },
  );
}
