// The sandbox page: the Mini App in a phone frame, the chat with the bot as
// Telegram would show it, the sandbox wallet and its faucet, the demo
// merchant and its webhook log. Everything talks to this server only.
'use strict';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let state = null;
let user = params.get('user') || '';
let theme = params.get('theme') || 'light';
let chatVersion = 0;
let chatLoop = 0;

async function getJSON(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}
async function postJSON(path, body, headers = {}) {
  const r = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try { data = JSON.parse(text); } catch { /* not JSON */ }
  if (!r.ok) throw new Error((data && data.error && data.error.message) || text || `${r.status}`);
  return data;
}

async function openApp(start) {
  const q = new URLSearchParams({ user, theme });
  if (start) q.set('start', start);
  const { url } = await getJSON(`/sandbox/api/launch?${q}`);
  $('app').src = url;
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

// The bot writes Telegram HTML: keep the tags Telegram renders, escape the rest.
function telegramHTML(s) {
  const allowed = /^<\/?(b|strong|i|em|u|s|code|pre|a( href="[^"]*")?)>$/;
  return String(s).split(/(<[^>]*>)/).map((part) => (allowed.test(part) ? part : esc(part))).join('');
}

function renderChat(messages) {
  const box = $('messages');
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.innerHTML = '';
  for (const m of messages) {
    const el = document.createElement('div');
    el.className = `msg ${m.from}`;
    el.dataset.testid = `chat-${m.from}`;
    if (m.photo) {
      const img = document.createElement('img');
      img.src = m.photo;
      img.alt = 'QR code';
      el.appendChild(img);
    }
    const text = document.createElement('div');
    text.innerHTML = m.html ? telegramHTML(m.text) : esc(m.text);
    el.appendChild(text);
    if (m.edited) {
      const e = document.createElement('span');
      e.className = 'edited';
      e.textContent = 'edited';
      text.appendChild(e);
    }
    const kb = m.markup && m.markup.inline_keyboard;
    if (kb) {
      const wrap = document.createElement('div');
      wrap.className = 'kb';
      for (const row of kb) {
        const r = document.createElement('div');
        r.className = 'krow';
        for (const b of row) {
          const btn = document.createElement('button');
          btn.textContent = b.text;
          btn.dataset.testid = 'chat-button';
          btn.onclick = () => tap(m, b);
          r.appendChild(btn);
        }
        wrap.appendChild(r);
      }
      el.appendChild(wrap);
    }
    box.appendChild(el);
  }
  if (atBottom || messages.length < 4) box.scrollTop = box.scrollHeight;
}

async function tap(m, b) {
  if (b.callback_data) {
    await postJSON('/sandbox/api/chat', { user, message_id: m.id, data: b.callback_data });
  } else if (b.web_app || (b.url && b.url.startsWith(location.origin))) {
    // A Mini App button opens the app beside the chat, with its start parameter.
    const u = new URL((b.web_app && b.web_app.url) || b.url, location.origin);
    const start = u.searchParams.get('startapp') || u.searchParams.get('tgWebAppStartParam') || '';
    openApp(start);
  } else if (b.url && b.url.startsWith('https://t.me/$')) {
    // A Telegram Stars invoice (a Pay button, a subscription link): the
    // Telegram stand-in takes the payment.
    await postJSON('/sandbox/api/pay', { user, link: b.url });
  } else if (b.url) {
    window.open(b.url, '_blank', 'noopener');
  }
}

async function followChat(loop) {
  while (loop === chatLoop) {
    try {
      const r = await getJSON(`/sandbox/api/chat?user=${user}&since=${chatVersion}`);
      if (loop !== chatLoop) return;
      if (r.version !== chatVersion) {
        chatVersion = r.version;
        renderChat(r.messages);
      }
    } catch {
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
}

async function refreshWallet() {
  const me = state?.users.find((u) => String(u.id) === user);
  $('own-address').textContent = me?.deposit_address || 'not available';
  try {
    const w = await getJSON(`/sandbox/api/wallet?user=${user}`);
    $('wallet-address').textContent = w.address;
    $('wallet-ton').textContent = w.ton;
    $('wallet-usdt').textContent = w.usdt;
  } catch { /* next time */ }
}

async function refreshHooks() {
  try {
    const { deliveries } = await getJSON('/sandbox/api/webhooks');
    if (!deliveries.length) return;
    $('hooks').innerHTML = deliveries.slice().reverse().map((d) =>
      `<div class="hook" data-testid="webhook"><b>${esc(d.type)}</b> <span class="${d.verified ? 'ok' : 'bad'}">${d.verified ? 'signature verified' : 'BAD signature'}</span> · ${esc(new Date(d.at).toLocaleTimeString())}</div>`,
    ).join('');
  } catch { /* next time */ }
}

function switchUser(id) {
  user = String(id);
  const q = new URLSearchParams(location.search);
  q.set('user', user);
  history.replaceState(null, '', `?${q}`);
  chatVersion = 0;
  chatLoop++;
  $('messages').innerHTML = '';
  followChat(chatLoop);
  openApp(params.get('startapp') || '');
  refreshWallet();
}

async function main() {
  state = await getJSON('/sandbox/api/state');
  const sel = $('user');
  for (const u of state.users) {
    const o = document.createElement('option');
    o.value = u.id;
    o.textContent = `${u.name} (${u.role})`;
    sel.appendChild(o);
  }
  if (!state.users.some((u) => String(u.id) === user)) user = String(state.users[0].id);
  sel.value = user;
  sel.onchange = () => switchUser(sel.value);
  $('botname').textContent = `@${state.bot}`;
  $('merchant-name').textContent = state.merchant.name;
  $('merchant-token').textContent = state.merchant.token;
  $('curl').textContent =
    `curl -s -X POST ${state.base}/api/v1/invoices \\\n  -H 'Authorization: Bearer ${state.merchant.token}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{"asset":"GRAM","amount":"2"}'`;
  document.body.classList.toggle('dark', theme === 'dark');
  $('theme').textContent = theme === 'dark' ? 'Light' : 'Dark';
  $('theme').onclick = () => {
    theme = theme === 'dark' ? 'light' : 'dark';
    document.body.classList.toggle('dark', theme === 'dark');
    $('theme').textContent = theme === 'dark' ? 'Light' : 'Dark';
    openApp('');
  };
  for (const b of document.querySelectorAll('[data-faucet]')) {
    b.onclick = async () => {
      b.disabled = true;
      try { await postJSON('/sandbox/api/faucet', { user, asset: b.dataset.faucet }); } finally { b.disabled = false; }
      refreshWallet();
    };
    b.disabled = false; // disabled in the HTML until this handler is there
  }
  for (const b of document.querySelectorAll('[data-deposit]')) {
    b.onclick = async () => {
      b.disabled = true;
      try {
        const r = await postJSON('/sandbox/api/wallet/deposit', { user, asset: b.dataset.deposit });
        $('deposit-note').textContent = r.error ? `Not sent: ${r.error}` : `Sent ${b.dataset.deposit === 'USDT' ? '5 USDT' : '1 GRAM'} with no comment; it lands in the next block.`;
      } catch (e) {
        $('deposit-note').textContent = `Not sent: ${e.message || e}`;
      } finally { b.disabled = false; }
      refreshWallet();
    };
    b.disabled = !state.users.some((u) => u.deposit_address);
  }
  $('say').onsubmit = async (e) => {
    e.preventDefault();
    const t = $('text').value.trim();
    if (!t) return;
    $('text').value = '';
    await postJSON('/sandbox/api/chat', { user, text: t });
  };
  for (const c of document.querySelectorAll('[data-cmd]')) {
    c.onclick = () => postJSON('/sandbox/api/chat', { user, text: c.dataset.cmd });
  }
  for (const b of document.querySelectorAll('[data-stars]')) {
    b.onclick = async () => {
      $('stars-note').textContent = '';
      try {
        await postJSON('/sandbox/api/stars', { user, event: b.dataset.stars });
      } catch (err) {
        $('stars-note').textContent = String(err.message || err);
      }
    };
  }
  $('new-invoice').onclick = async () => {
    try {
      const inv = await postJSON('/api/v1/invoices', { asset: 'GRAM', amount: '2', description: 'Sandbox order' },
        { Authorization: `Bearer ${state.merchant.token}` });
      $('invoice').innerHTML = `Invoice <code>${esc(inv.id)}</code> · <a href="${esc(inv.pay_url)}" data-testid="pay-url">pay_url</a>`;
    } catch (err) {
      $('invoice').textContent = String(err.message || err);
    }
  };
  switchUser(user);
  setInterval(refreshWallet, 2000);
  setInterval(refreshHooks, 1500);
  window.addEventListener('message', (e) => {
    if (e.origin === location.origin && String(e.data).includes('wallet-sent')) setTimeout(refreshWallet, 800);
  });
}

main();
