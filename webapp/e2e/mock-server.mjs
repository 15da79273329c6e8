// Mock tonpay server: the Mini App API contract in memory, the built page from dist/, and a fake
// wallet signer, so the page can be exercised without the Go server or a chain.
//
//   npm run e2e:mock                      build, start this mock on a free port, run e2e/topup.mjs
//                                         against it (Debian chromium), exit with its status
//   node e2e/mock-server.mjs [--port 8787] serve only; open the printed URL in a browser
//
// Environment for --e2e: CHROMIUM (default /usr/bin/chromium), ARTIFACTS_DIR (default
// webapp/e2e/artifacts), THEME. MOCK_EVENTS=off answers /api/events with 503, so the page must
// fall back to polling (then run with MAX_POLLS=100). MOCK_PAY_DELAY_MS (default 700) is the time
// from the BOC report to `paid`. MOCK_ADMINS (default 424242,515151) are the admins; both own
// merchant 1 ("Coffee shop"); user 1002 (@dave) is blocked. The dashboards' routes
// (/api/admin/*, /api/merchant/:mid/*) answer from sample data kept in memory (createDash).
//
// What it checks like the real server: `Authorization: tma <initData>` on every /api call, exact
// amounts with the asset decimals, the ton_proof payload it issued and an ed25519 ton_proof
// signature, the Idempotency-Key header on withdrawals. Signer endpoints (SIGNER_URL = <base>/signer):
// POST /signer/connect {payload, domain} → {items:[ton_addr, ton_proof]};
// POST /signer/send {valid_until, messages} → {boc}.

import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign, verify, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const DIST = resolve(here, '../dist');

// ---------- TON bits: friendly addresses and single-cell BOCs ----------

function crc16(data) {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** User-friendly form of 0:<hash>, testnet flag as the network says. */
function friendly(hashHex, { bounceable = true, testnet = true } = {}) {
  const b = Buffer.alloc(36);
  b[0] = (bounceable ? 0x11 : 0x51) | (testnet ? 0x80 : 0);
  b[1] = 0;
  Buffer.from(hashHex, 'hex').copy(b, 2);
  const crc = crc16(b.subarray(0, 34));
  b[34] = crc >> 8;
  b[35] = crc & 0xff;
  return b.toString('base64url');
}

function rawFromAny(a) {
  const m = /^(-?\d+):([0-9a-fA-F]{64})$/.exec(a);
  if (m) return `${m[1]}:${m[2].toLowerCase()}`;
  if (!/^[A-Za-z0-9+/_-]{48}$/.test(a)) return null;
  const b = Buffer.from(a.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
  if (b.length !== 36) return null;
  const crc = crc16(b.subarray(0, 34));
  if (b[34] !== crc >> 8 || b[35] !== (crc & 0xff)) return null;
  return `${b[1] === 0xff ? -1 : b[1]}:${b.subarray(2, 34).toString('hex')}`;
}

/** Bag of cells with one byte-aligned cell without refs (≤ 127 bytes): enough for a comment. */
function bocOf(data) {
  if (data.length > 127) throw new Error('cell too long');
  const cell = Buffer.concat([Buffer.from([0, data.length * 2]), data]);
  return Buffer.concat([
    Buffer.from('b5ee9c72', 'hex'),
    Buffer.from([0x01, 0x01, 1, 1, 0, cell.length, 0]), // size=1, off_bytes=1, cells, roots, absent, tot size, root 0
    cell,
  ]).toString('base64');
}
const commentPayload = (text) => bocOf(Buffer.concat([Buffer.alloc(4), Buffer.from(text, 'utf8')]));

/** A user's own deposit address (non-bounceable, as the server shows it) and its links. */
const usdtMaster = friendly(createHash('sha256').update('tonpay-mock-usdt-master').digest('hex'));
function ownAddress(uid) {
  const address = friendly(createHash('sha256').update(`tonpay-mock-deposit-${uid}`).digest('hex'), { bounceable: false });
  const link = `ton://transfer/${address}`;
  return { deposit_address: address, deposit_link: link, deposit_links: { TON: link, USDT: `${link}?jetton=${usdtMaster}` } };
}

// ---------- amounts ----------

const ASSETS = [
  { symbol: 'TON', decimals: 9 },
  { symbol: 'USDT', decimals: 6 },
];
const decimalsOf = (s) => ASSETS.find((a) => a.symbol === s)?.decimals;

function parseExact(text, decimals) {
  if (typeof text !== 'string' || !/^\d+(\.\d+)?$/.test(text)) return null;
  const [w, f = ''] = text.split('.');
  if (f.length > decimals) return null;
  const v = BigInt(w + f.padEnd(decimals, '0'));
  return v > 0n && v <= 9223372036854775807n ? v : null;
}
function fmt(units, decimals) {
  let v = BigInt(units);
  const neg = v < 0n;
  if (neg) v = -v;
  const s = v.toString().padStart(decimals + 1, '0');
  const frac = s.slice(s.length - decimals).replace(/0+$/, '');
  return (neg ? '-' : '') + s.slice(0, s.length - decimals) + (frac ? '.' + frac : '');
}

// ---------- state ----------

export function createMock({ payDelayMs = Number(process.env.MOCK_PAY_DELAY_MS || 700) } = {}) {
  let events = process.env.MOCK_EVENTS !== 'off';
  const depositHash = createHash('sha256').update('tonpay-mock-deposit').digest('hex');
  const depositAddress = friendly(depositHash);
  const users = new Map(); // id → user state
  const payloads = new Map(); // payload → expires ms
  const signer = { key: null, addrItem: null }; // the fake wallet
  const packages = [
    { name: 'starter', asset: 'TON', price: '1500000000', credits: 100 },
    { name: 'pro', asset: 'TON', price: '5000000000', credits: 400 },
  ];
  let seq = 1;
  // Merchant invoices (created through /mock/merchant-invoice, as the merchant API would): any
  // user may open one from its pay link; the user who reports the BOC hears its changes.
  const merchantInvoices = new Map();

  function userFor(initData) {
    const p = new URLSearchParams(initData);
    let u;
    try {
      u = JSON.parse(p.get('user') || 'null');
    } catch {
      u = null;
    }
    if (!u || !u.id || !p.get('hash')) return null;
    if (!users.has(u.id)) {
      users.set(u.id, {
        user: { id: u.id, first_name: u.first_name || '', username: u.username || '' },
        wallet: null,
        balances: new Map(ASSETS.map((a) => [a.symbol, 0n])),
        comment: `u${u.id.toString(36)}`,
        invoices: new Map(),
        withdrawals: new Map(),
        idem: new Map(),
        ledger: [],
        streams: new Set(),
        credits: 0,
      });
    }
    return users.get(u.id);
  }

  const balancesOf = (st) =>
    ASSETS.map((a) => ({ asset: a.symbol, amount: st.balances.get(a.symbol).toString(), formatted: fmt(st.balances.get(a.symbol), a.decimals) }));
  const push = (st, type, data) => {
    for (const res of st.streams) res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const post = (st, asset, amount, kind, description, link) => {
    st.balances.set(asset, st.balances.get(asset) + amount);
    st.ledger.unshift({
      id: String(seq++),
      asset,
      amount: amount.toString(),
      formatted: fmt(amount, decimalsOf(asset)),
      kind,
      description,
      created_at: new Date().toISOString(),
      ...(link ? { link } : {}),
    });
  };
  const invoiceJSON = (inv) => ({ ...inv, formatted: fmt(inv.amount, decimalsOf(inv.asset)) });
  // The fee is in TON whatever is withdrawn, as the server's rule book says.
  const withdrawalJSON = (w) => ({ ...w, fee_asset: 'TON', formatted: fmt(w.amount, decimalsOf(w.asset)), fee_formatted: fmt(w.fee, 9) });
  const withdrawFee = 10_000_000n;
  function quoteOf(st, body) {
    const { asset, amount, address } = body || {};
    const d = decimalsOf(asset);
    if (d === undefined) throw fail(400, 'unknown_asset', `Unknown asset ${asset}`);
    const units = parseExact(amount, d);
    if (units === null) throw fail(400, 'invalid_amount', `Invalid amount for ${asset}`);
    if (!rawFromAny(address || '')) throw fail(400, 'invalid_address', 'Invalid TON address');
    const fee = withdrawFee;
    if (asset === 'TON' ? st.balances.get('TON') < units + fee : st.balances.get(asset) < units) {
      throw fail(409, 'insufficient_funds', `Not enough ${asset}: you need ${fmt(asset === 'TON' ? units + fee : units, d)} ${asset}${asset === 'TON' ? ' including the fee' : ''}.`);
    }
    if (asset !== 'TON' && st.balances.get('TON') < fee) throw fail(409, 'fee_not_covered', `The ${fmt(fee, 9)} TON fee is charged in TON.`);
    const total = asset === 'TON' ? `${fmt(units + fee, 9)} TON` : `${fmt(units, d)} ${asset} + ${fmt(fee, 9)} TON`;
    return { asset, units, fee, address, quote: { asset, amount: fmt(units, d), fee: fmt(fee, 9), fee_asset: 'TON', destination: address, needs_approval: false, total } };
  }
  const explorer = (hash) => `https://testnet.tonviewer.com/transaction/${hash}`;
  const dash = createDash({ users, merchantInvoices, depositAddress, fail: (status, code, message) => Object.assign(new Error(message), { status, code }), explorer });

  function markPaid(st, inv) {
    if (inv.status === 'paid') return;
    inv.status = 'paid';
    inv.paid = inv.amount;
    const hash = randomBytes(32).toString('hex');
    post(st, inv.asset, BigInt(inv.amount), 'deposit', `Top up ${fmt(inv.amount, decimalsOf(inv.asset))} ${inv.asset}`, explorer(hash));
    push(st, 'invoice', { invoice: invoiceJSON(inv) });
    push(st, 'balance', { balances: balancesOf(st) });
  }

  function advanceWithdrawal(st, w) {
    const steps = ['queued', 'sent', 'confirmed'];
    const next = () => {
      const i = steps.indexOf(w.status);
      if (i < 0 || i === steps.length - 1) return;
      w.status = steps[i + 1];
      if (w.status === 'confirmed') {
        w.tx_hash = randomBytes(32).toString('hex');
        w.link = explorer(w.tx_hash);
      }
      push(st, 'withdrawal', { withdrawal: withdrawalJSON(w) });
      setTimeout(next, 900);
    };
    setTimeout(next, 900);
  }

  // ---------- fake wallet (the SIGNER_URL endpoints) ----------

  function signerConnect({ payload, domain }) {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const stateInit = bocOf(Buffer.concat([Buffer.from('mock-wallet-v4:'), pub.subarray(0, 16)]));
    const hash = createHash('sha256').update(Buffer.from(stateInit, 'base64')).digest();
    signer.key = privateKey;
    const timestamp = Math.floor(Date.now() / 1000);
    const domainBytes = Buffer.from(domain, 'utf8');
    const wc = Buffer.alloc(4); // workchain 0, big endian
    const dl = Buffer.alloc(4);
    dl.writeUInt32LE(domainBytes.length);
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64LE(BigInt(timestamp));
    const msg = Buffer.concat([Buffer.from('ton-proof-item-v2/'), wc, hash, dl, domainBytes, ts, Buffer.from(payload, 'utf8')]);
    const full = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.from('ton-connect'), createHash('sha256').update(msg).digest()]);
    const signature = sign(null, createHash('sha256').update(full).digest(), privateKey).toString('base64');
    signer.addrItem = {
      name: 'ton_addr',
      address: `0:${hash.toString('hex')}`,
      network: '-3',
      walletStateInit: stateInit,
      publicKey: pub.toString('hex'),
    };
    return {
      items: [
        signer.addrItem,
        { name: 'ton_proof', proof: { timestamp, domain: { lengthBytes: domainBytes.length, value: domain }, payload, signature } },
      ],
    };
  }

  function signerSend({ valid_until, messages }) {
    if (!signer.key) throw Object.assign(new Error('wallet not connected'), { status: 400 });
    if (!Array.isArray(messages) || !messages.length) throw Object.assign(new Error('no messages'), { status: 400 });
    if (valid_until && valid_until < Date.now() / 1000) throw Object.assign(new Error('expired'), { status: 400 });
    // A stand-in external message: carries the comment of the first message so the mock can match it.
    const first = messages[0];
    const comment = first.payload ? Buffer.from(first.payload, 'base64').subarray(17).toString('utf8') : '';
    return { boc: bocOf(Buffer.concat([Buffer.from('ext:'), Buffer.from(comment)])) };
  }

  function verifyProof(account, proof) {
    const pub = Buffer.from(account.publicKey || '', 'hex');
    if (pub.length !== 32) return 'publicKey missing';
    const [, hashHex] = account.address.split(':');
    const domain = Buffer.from(proof.domain.value, 'utf8');
    const dl = Buffer.alloc(4);
    dl.writeUInt32LE(domain.length);
    const ts = Buffer.alloc(8);
    ts.writeBigUInt64LE(BigInt(proof.timestamp));
    const msg = Buffer.concat([Buffer.from('ton-proof-item-v2/'), Buffer.alloc(4), Buffer.from(hashHex, 'hex'), dl, domain, ts, Buffer.from(proof.payload)]);
    const full = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.from('ton-connect'), createHash('sha256').update(msg).digest()]);
    const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]), format: 'der', type: 'spki' });
    return verify(null, createHash('sha256').update(full).digest(), key, Buffer.from(proof.signature, 'base64')) ? null : 'bad signature';
  }

  // ---------- HTTP ----------

  const fail = (status, code, message) => Object.assign(new Error(message), { status, code });

  async function api(req, res, url, st, body) {
    const p = url.pathname;
    const m = req.method;
    // A blocked user reads /api/me (which says so) and nothing else.
    if (dash.blocked(st) && p !== '/api/me') throw fail(403, 'blocked', 'Your account is blocked by the administrator.');
    if (dash.isDash(p)) return dash.handle(m, p, url, st, body, res);
    if (m === 'GET' && p === '/api/me') {
      return {
        ...dash.me(st),
        user: st.user,
        wallet: st.wallet,
        network: 'testnet',
        assets: ASSETS,
        balances: balancesOf(st),
        deposit: { address: depositAddress, comment: st.comment, link: `ton://transfer/${depositAddress}?text=${st.comment}` },
        ...ownAddress(st.user.id),
      };
    }
    if (m === 'POST' && p === '/api/wallet/payload') {
      const payload = randomBytes(32).toString('hex');
      const exp = Date.now() + 15 * 60_000;
      payloads.set(payload, exp);
      return { payload, expires_at: new Date(exp).toISOString() };
    }
    if (m === 'POST' && p === '/api/wallet') {
      const { account, proof } = body || {};
      if (!account?.address || !proof?.payload) throw fail(400, 'bad_request', 'account and proof are required');
      const exp = payloads.get(proof.payload);
      if (!exp || exp < Date.now()) throw fail(400, 'invalid_proof', 'The wallet proof expired. Connect again.');
      payloads.delete(proof.payload);
      if (proof.domain?.value !== req.headers.host) throw fail(400, 'invalid_proof', `Proof is for ${proof.domain?.value}, not ${req.headers.host}`);
      if (account.chain !== '-3') throw fail(400, 'wrong_network', 'Connect a testnet wallet.');
      const why = verifyProof(account, proof);
      if (why) throw fail(400, 'invalid_proof', `The wallet proof is not valid (${why}).`);
      const hash = account.address.split(':')[1];
      st.wallet = { address: account.address, friendly: friendly(hash, { bounceable: false }) };
      return { wallet: st.wallet };
    }
    if (m === 'DELETE' && p === '/api/wallet') {
      st.wallet = null;
      res.writeHead(204).end();
      return undefined;
    }
    if (m === 'POST' && p === '/api/deposits') {
      const { asset, amount } = body || {};
      const d = decimalsOf(asset);
      if (d === undefined) throw fail(400, 'unknown_asset', `Unknown asset ${asset}`);
      const units = parseExact(amount, d);
      if (units === null) throw fail(400, 'invalid_amount', `Invalid amount for ${asset}: at most ${d} decimals`);
      const id = `inv_${(seq++).toString(36)}`;
      const comment = `tp${randomBytes(4).toString('hex')}`;
      const inv = {
        id,
        asset,
        amount: units.toString(),
        paid: '0',
        status: 'created',
        comment,
        address: depositAddress,
        expires_at: new Date(Date.now() + 20 * 60_000).toISOString(),
      };
      st.invoices.set(id, inv);
      const tx = {
        validUntil: Math.floor(Date.now() / 1000) + 300,
        messages: [{ address: depositAddress, amount: units.toString(), payload: commentPayload(comment) }],
      };
      return { invoice: invoiceJSON(inv), transaction: tx, link: `ton://transfer/${depositAddress}?amount=${units}&text=${comment}` };
    }
    let mm;
    if ((mm = /^\/api\/deposits\/([^/]+)\/boc$/.exec(p)) && m === 'POST') {
      const inv = st.invoices.get(decodeURIComponent(mm[1]));
      if (!inv) throw fail(404, 'not_found', 'Invoice not found');
      if (typeof body?.boc !== 'string' || !body.boc.startsWith('te6cc')) throw fail(400, 'invalid_boc', 'boc must be a base64 BOC');
      if (inv.status === 'created') {
        inv.status = 'pending';
        push(st, 'invoice', { invoice: invoiceJSON(inv) });
        setTimeout(() => markPaid(st, inv), payDelayMs);
      }
      return { invoice: invoiceJSON(inv) };
    }
    if ((mm = /^\/api\/deposits\/([^/]+)$/.exec(p)) && m === 'GET') {
      const inv = st.invoices.get(decodeURIComponent(mm[1]));
      if (!inv) throw fail(404, 'not_found', 'Invoice not found');
      return { invoice: invoiceJSON(inv) };
    }
    if ((mm = /^\/api\/invoices\/([^/]+)$/.exec(p)) && m === 'GET') {
      const id = decodeURIComponent(mm[1]);
      const inv = merchantInvoices.get(id) ?? st.invoices.get(id);
      if (!inv) throw fail(404, 'not_found', 'not found');
      if (inv.status !== 'created' && inv.status !== 'pending') return { invoice: invoiceJSON(inv) };
      if (Date.parse(inv.expires_at) <= Date.now()) return { invoice: { ...invoiceJSON(inv), status: 'expired' } };
      const tx = {
        validUntil: Math.floor(Date.now() / 1000) + 300,
        messages: [{ address: depositAddress, amount: inv.amount, payload: commentPayload(inv.comment) }],
      };
      return { invoice: invoiceJSON(inv), transaction: tx, link: `ton://transfer/${depositAddress}?amount=${inv.amount}&text=${inv.comment}` };
    }
    if ((mm = /^\/api\/invoices\/([^/]+)\/boc$/.exec(p)) && m === 'POST') {
      const id = decodeURIComponent(mm[1]);
      const inv = merchantInvoices.get(id);
      if (!inv) throw fail(404, 'not_found', 'not found');
      if (typeof body?.boc !== 'string' || !body.boc.startsWith('te6cc')) throw fail(400, 'invalid_boc', 'boc must be a base64 BOC');
      if (inv.status === 'created' && Date.parse(inv.expires_at) > Date.now()) {
        inv.status = 'pending';
        push(st, 'invoice', { invoice: invoiceJSON(inv) });
        setTimeout(() => {
          inv.status = 'paid'; // the merchant is credited, not the payer
          inv.paid = inv.amount;
          dash.onMerchantPaid(inv);
          push(st, 'invoice', { invoice: invoiceJSON(inv) });
        }, payDelayMs);
      }
      return { invoice: invoiceJSON(inv) };
    }
    if (m === 'GET' && p === '/api/history') {
      const limit = Math.min(Math.max(Number(url.searchParams.get('limit')) || 20, 1), 100);
      const start = Number(url.searchParams.get('cursor') || 0);
      const items = st.ledger.slice(start, start + limit);
      return { items, next_cursor: start + limit < st.ledger.length ? String(start + limit) : null };
    }
    if (m === 'POST' && p === '/api/withdrawals/quote') {
      return { quote: quoteOf(st, body).quote };
    }
    if (m === 'POST' && p === '/api/withdrawals') {
      const key = req.headers['idempotency-key'];
      if (!key) throw fail(400, 'idempotency_key_required', 'Idempotency-Key header is required');
      if (st.idem.has(key)) return { withdrawal: withdrawalJSON(st.idem.get(key)) };
      const { asset, units, fee, address } = quoteOf(st, body);
      const w = { id: `wd_${(seq++).toString(36)}`, asset, amount: units.toString(), fee: fee.toString(), destination: address, status: 'queued', created_at: new Date().toISOString() };
      post(st, asset, -units, 'withdrawal', `Withdrawal to ${address.slice(0, 6)}…`);
      post(st, 'TON', -fee, 'withdrawal_fee', 'Withdrawal fee');
      st.withdrawals.set(w.id, w);
      st.idem.set(key, w);
      push(st, 'balance', { balances: balancesOf(st) });
      advanceWithdrawal(st, w);
      return { withdrawal: withdrawalJSON(w) };
    }
    if ((mm = /^\/api\/withdrawals\/([^/]+)$/.exec(p)) && m === 'GET') {
      const w = st.withdrawals.get(decodeURIComponent(mm[1]));
      if (!w) throw fail(404, 'not_found', 'Withdrawal not found');
      return { withdrawal: withdrawalJSON(w) };
    }
    if (m === 'GET' && p === '/api/packages') {
      return { packages: packages.map((k) => ({ ...k, formatted: fmt(k.price, decimalsOf(k.asset)) })) };
    }
    if (m === 'POST' && p === '/api/purchases') {
      const k = packages.find((x) => x.name === body?.package);
      if (!k) throw fail(404, 'not_found', 'No such package');
      const price = BigInt(k.price);
      if (st.balances.get(k.asset) < price) {
        throw fail(
          402,
          'insufficient_funds',
          `Not enough ${k.asset}: ${k.name} costs ${fmt(price, decimalsOf(k.asset))} ${k.asset}, you have ${fmt(st.balances.get(k.asset), decimalsOf(k.asset))}.`,
        );
      }
      post(st, k.asset, -price, 'purchase', `Package ${k.name}`);
      st.credits += k.credits;
      push(st, 'balance', { balances: balancesOf(st) });
      return { purchase: { package: k.name, asset: k.asset, price: k.price, credits: k.credits }, balances: balancesOf(st) };
    }
    throw fail(404, 'not_found', 'Not found');
  }

  const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json' };

  function serveStatic(req, res, url) {
    let p = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
    if (p === '/' || p === '') p = '/index.html';
    const file = join(DIST, p);
    if (!file.startsWith(DIST) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
      'Cache-Control': p.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    res.end(readFileSync(file));
  }

  async function readBody(req) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (!chunks.length) return undefined;
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw fail(400, 'bad_json', 'Body is not JSON');
    }
  }

  const send = (res, status, obj) => {
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(obj));
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, `http://${req.headers.host}`);
    try {
      if (url.pathname === '/tonconnect-manifest.json') {
        const origin = `http://${req.headers.host}`;
        return send(res, 200, { url: origin, name: 'tonpay (mock)', iconUrl: `${origin}/icon.png` });
      }
      // Test controls of this mock only: cut the event stream; seed history rows.
      if (url.pathname === '/mock/events' && req.method === 'POST') {
        events = !!(await readBody(req))?.on;
        if (!events) for (const st of users.values()) for (const r of st.streams) r.end();
        return send(res, 200, { events });
      }
      if (url.pathname === '/mock/seed' && req.method === 'POST') {
        const { user_id, n } = (await readBody(req)) || {};
        const st = [...users.values()].find((u) => u.user.id === user_id);
        if (!st) throw fail(404, 'not_found', 'unknown user');
        for (let i = 0; i < n; i++) post(st, 'USDT', 1000n + BigInt(i), 'deposit', `Seeded ${i + 1}`);
        return send(res, 200, { ledger: st.ledger.length });
      }
      if (url.pathname === '/mock/merchant-invoice' && req.method === 'POST') {
        const { asset = 'TON', amount, merchant = 'Shop', description = '', expires_in = 1200 } = (await readBody(req)) || {};
        const units = parseExact(String(amount), decimalsOf(asset));
        if (units === null) throw fail(400, 'invalid_amount', 'bad amount');
        const id = `inv_${randomBytes(10).toString('hex')}`;
        merchantInvoices.set(id, {
          id,
          asset,
          amount: units.toString(),
          paid: '0',
          status: 'created',
          comment: `tp${randomBytes(4).toString('hex')}`,
          address: depositAddress,
          expires_at: new Date(Date.now() + expires_in * 1000).toISOString(),
          merchant,
          description,
        });
        return send(res, 200, { id, pay_url: `https://t.me/tonpay_bot/pay?startapp=${id}` });
      }
      if (url.pathname === '/signer/connect' && req.method === 'POST') return send(res, 200, signerConnect(await readBody(req)));
      if (url.pathname === '/signer/send' && req.method === 'POST') return send(res, 200, signerSend(await readBody(req)));
      if (!url.pathname.startsWith('/api/')) return serveStatic(req, res, url);

      const auth = req.headers.authorization || '';
      const st = auth.startsWith('tma ') ? userFor(auth.slice(4)) : null;
      if (!st) throw fail(401, 'unauthorized', 'Telegram sign-in is missing or invalid.');

      if (url.pathname === '/api/events' && req.method === 'GET') {
        if (dash.blocked(st)) throw fail(403, 'blocked', 'Your account is blocked by the administrator.');
        if (!events) throw fail(503, 'unavailable', 'events are off in this mock');
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
        res.write(': hello\n\n');
        st.streams.add(res);
        const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
        req.on('close', () => {
          clearInterval(ping);
          st.streams.delete(res);
        });
        return;
      }
      const out = await api(req, res, url, st, await readBody(req));
      if (out !== undefined) send(res, 200, out);
    } catch (e) {
      if (!res.headersSent) send(res, e.status || 500, { error: { code: e.code || 'internal', message: e.status ? e.message : 'Internal error' } });
      if (!e.status) console.error(e);
    }
  });
  return server;
}

// ---------- dashboards (notes/dash-api.md): admin and merchant owners ----------
//
// Sample data: admins are MOCK_ADMINS (default the two e2e users, 424242 and 515151); merchant 1
// "Coffee shop" is owned by both, merchant 2 by @carol. A withdrawal awaits approval, two deposits
// are unmatched (one dust), merchant 1 has invoices with webhook deliveries, 30 days of flows.

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function createDash({ users, merchantInvoices, depositAddress, fail, explorer }) {
  const rnd = lcg(17);
  const hex = (n) => randomBytes(n).toString('hex');
  const now = () => new Date().toISOString();
  const ago = (ms) => new Date(Date.now() - ms).toISOString();
  const DAY = 86_400_000;
  const admins = new Set((process.env.MOCK_ADMINS || '424242,515151').split(',').map(Number));
  const money = (asset, units) => ({ asset, amount: BigInt(units).toString(), formatted: fmt(units, decimalsOf(asset)) });
  const zeroes = () => new Map(ASSETS.map((a) => [a.symbol, 0n]));
  const someAddress = () => friendly(hex(32), { bounceable: false });
  let nextId = 100;

  // People the admin can find besides the live e2e users.
  const people = new Map(
    [
      { id: 1001, username: 'carol', first_name: 'Carol', ton: 42_500_000_000n, usdt: 120_000_000n, days: 40 },
      { id: 1002, username: 'dave', first_name: 'Dave', ton: 1_250_000_000n, usdt: 0n, days: 25 },
      { id: 1003, username: 'erin', first_name: 'Erin', ton: 0n, usdt: 5_000_000n, days: 3 },
    ].map((p) => [
      p.id,
      { id: p.id, username: p.username, first_name: p.first_name, balances: new Map([['TON', p.ton], ['USDT', p.usdt]]), created_at: ago(p.days * DAY) },
    ]),
  );
  const blocks = new Map([[1002, 'Chargebacks from a stolen card']]); // user id → reason
  const who = (id) => {
    const live = [...users.values()].find((s) => s.user.id === id);
    const u = live?.user ?? people.get(id);
    return u ? `${u.username ? '@' + u.username : u.first_name} (${id})` : `user ${id}`;
  };

  const merchants = new Map();
  const addMerchant = (id, name, owners, ton, usdt, url) =>
    merchants.set(id, {
      id,
      name,
      owners,
      balances: new Map([['TON', ton], ['USDT', usdt]]),
      webhook: { url, disabled: false, secret: url ? `whsec_${hex(16)}` : '', last_error: '', last_delivered_at: null },
      token: `tp_${hex(16)}`,
      deliveries: [], // newest first
      spends: new Map(), // spend_id → payout
    });
  addMerchant(1, 'Coffee shop', [...admins], 86_250_000_000n, 310_500_000n, 'https://coffee.example/tonpay/webhook');
  addMerchant(2, 'Book corner', [1001], 3_000_000_000n, 0n, '');

  // Admin view of every withdrawal and payout (user withdrawals of live users are added on read).
  const wds = [];
  const addWd = (w) => {
    wds.unshift(w);
    return w;
  };
  const fee = 10_000_000n;
  addWd({ id: 9003, asset: 'TON', amount: 3_000_000_000n, fee, destination: someAddress(), status: 'failed', user_id: 1003, merchant_id: null, error: 'the destination account is frozen', created_at: ago(2 * DAY) });
  addWd({ id: 9002, asset: 'USDT', amount: 50_000_000n, fee, destination: someAddress(), status: 'confirmed', user_id: 1001, merchant_id: null, tx_hash: hex(32), created_at: ago(DAY) });
  addWd({ id: 9001, asset: 'TON', amount: 250_000_000_000n, fee, destination: someAddress(), status: 'awaiting_approval', user_id: 1001, merchant_id: null, created_at: ago(40 * 60_000) });
  const wdJSON = (w) => ({
    id: w.id,
    asset: w.asset,
    amount: money(w.asset, w.amount),
    fee: money('TON', w.fee),
    destination: w.destination,
    status: w.status,
    user_id: w.user_id,
    merchant_id: w.merchant_id,
    who: w.merchant_id ? merchants.get(w.merchant_id).name : who(w.user_id),
    ...(w.tx_hash ? { tx_hash: w.tx_hash, link: explorer(w.tx_hash) } : {}),
    ...(w.error ? { error: w.error } : {}),
    created_at: w.created_at,
  });
  function advance(w) {
    const steps = ['queued', 'sent', 'confirmed'];
    const next = () => {
      const i = steps.indexOf(w.status);
      if (i < 0 || i === steps.length - 1) return;
      w.status = steps[i + 1];
      if (w.status === 'sent') w.tx_hash = hex(32);
      setTimeout(next, 1500);
    };
    setTimeout(next, 1500);
  }
  const liveWithdrawals = () =>
    [...users.values()].flatMap((st) =>
      [...st.withdrawals.values()].map((w) => ({
        id: w.id,
        asset: w.asset,
        amount: BigInt(w.amount),
        fee: BigInt(w.fee),
        destination: w.destination,
        status: w.status,
        user_id: st.user.id,
        merchant_id: null,
        tx_hash: w.tx_hash,
        created_at: w.created_at ?? now(),
      })),
    );
  const allWithdrawals = () => [...liveWithdrawals(), ...wds].sort((a, b) => b.created_at.localeCompare(a.created_at));

  const unmatched = [
    { id: 501, kind: 'unmatched', asset: 'TON', amount: 3_500_000_000n, sender: someAddress(), comment: 'order 1234', tx_hash: hex(32), note: 'The comment matches no invoice or user.', at: ago(5 * 3600_000), resolution: null },
    { id: 502, kind: 'dust', asset: 'TON', amount: 4_000_000n, sender: someAddress(), comment: '', tx_hash: hex(32), note: 'Below the 0.01 TON dust threshold.', at: ago(26 * 3600_000), resolution: null },
    { id: 503, kind: 'unmatched', asset: 'USDT', amount: 15_000_000n, sender: someAddress(), comment: 'carol', tx_hash: hex(32), note: '', at: ago(6 * DAY), resolution: { kind: 'assigned', user_id: 1001, by: [...admins][0], at: ago(5 * DAY) } },
  ];
  const unmatchedJSON = (d) => ({
    id: d.id,
    kind: d.kind,
    amount: money(d.asset, d.amount),
    sender: d.sender,
    comment: d.comment,
    tx_hash: d.tx_hash,
    link: explorer(d.tx_hash),
    note: d.note,
    at: d.at,
    resolution: d.resolution && {
      ...d.resolution,
      ...(d.resolution.user_id ? { who: who(d.resolution.user_id) } : {}),
      ...(d.resolution.merchant_id ? { who: merchants.get(d.resolution.merchant_id)?.name } : {}),
    },
  });

  const payouts = { paused: false, cause: '', reason: '', since: null };
  const fees = new Map([['TON', 12_340_000_000n], ['USDT', 0n]]);
  const audit = [];
  const record = (actor, role, merchant_id, action, subject, before = '', after = '') =>
    audit.unshift({ id: nextId++, at: now(), actor_id: actor, actor: who(actor), role, merchant_id, action, subject, before, after });
  record(1001, 'owner', 2, 'merchant.webhook_url', 'Book corner', 'https://books.example/hook', '');
  audit[0].at = ago(3 * DAY);
  record([...admins][0], 'admin', null, 'user.block', who(1002), 'active', 'blocked: Chargebacks from a stolen card');
  audit[0].at = ago(2 * DAY);
  record([...admins][0], 'admin', null, 'unmatched.assign', 'deposit 503', 'unresolved', `assigned to ${who(1001)}`);
  audit[0].at = ago(DAY);

  // 30 days of flows, oldest first.
  const days = [];
  for (let i = 29; i >= 0; i--) {
    const day = new Date(Date.now() - i * DAY).toISOString().slice(0, 10);
    const dep = {};
    const out = {};
    if (rnd() > 0.12) dep.TON = money('TON', BigInt(Math.floor(rnd() * 120_000)) * 1_000_000n);
    if (rnd() > 0.3) out.TON = money('TON', BigInt(Math.floor(rnd() * 70_000)) * 1_000_000n);
    if (rnd() > 0.4) dep.USDT = money('USDT', BigInt(Math.floor(rnd() * 900)) * 1_000_000n);
    if (rnd() > 0.6) out.USDT = money('USDT', BigInt(Math.floor(rnd() * 500)) * 1_000_000n);
    days.push({ day, deposits: dep, withdrawals: out });
  }

  // ---- merchant invoices: the shared payer copy in merchantInvoices, the owner's extras here ----
  const extra = new Map(); // id → { mid, created_at, paid_at, late, duplicate, external_id, payments }
  const payUrl = (id) => `https://t.me/tonpay_bot/pay?startapp=${id}`;
  function newInvoice(m, asset, units, description, { ageMs = 0, status = 'created', external_id = null } = {}) {
    const id = `inv_${hex(10)}`;
    const created = Date.now() - ageMs;
    merchantInvoices.set(id, {
      id,
      asset,
      amount: units.toString(),
      paid: '0',
      status,
      comment: `tp${hex(4)}`,
      address: depositAddress,
      expires_at: new Date(created + 30 * 60_000).toISOString(),
      merchant: m.name,
      description,
    });
    extra.set(id, { mid: m.id, created_at: new Date(created).toISOString(), paid_at: null, late: false, duplicate: false, external_id, payments: [] });
    return id;
  }
  const statusOf = (inv) => (inv.status === 'created' && Date.parse(inv.expires_at) <= Date.now() ? 'expired' : inv.status);
  function invoiceView(id) {
    const inv = merchantInvoices.get(id);
    const x = extra.get(id);
    const d = decimalsOf(inv.asset);
    return {
      id,
      status: statusOf(inv),
      asset: inv.asset,
      decimals: d,
      amount: fmt(inv.amount, d),
      amount_units: inv.amount,
      paid: fmt(inv.paid, d),
      paid_units: inv.paid,
      late: x.late,
      duplicate: x.duplicate,
      description: inv.description || '',
      payload: '',
      external_id: x.external_id,
      pay_url: payUrl(id),
      address: inv.address,
      comment: inv.comment,
      link: `ton://transfer/${inv.address}?amount=${inv.amount}&text=${inv.comment}`,
      created_at: x.created_at,
      expires_at: inv.expires_at,
      paid_at: x.paid_at,
    };
  }

  // Webhook deliveries: an endpoint whose URL contains "fail" answers 500; others 200 after a moment.
  const deliveryJSON = (d) => {
    const { mid: _mid, ...rest } = d;
    return rest;
  };
  function attempt(m, d) {
    setTimeout(() => {
      d.attempts++;
      if (!m.webhook.url || m.webhook.url.includes('fail')) {
        d.status = 'failed';
        d.last_error = m.webhook.url ? 'HTTP 500 Internal Server Error' : 'no webhook URL';
        d.next_attempt_at = null;
        m.webhook.last_error = d.last_error;
      } else {
        d.status = 'delivered';
        d.last_error = '';
        d.delivered_at = now();
        d.next_attempt_at = null;
        m.webhook.last_delivered_at = d.delivered_at;
      }
    }, 1500);
  }
  function queue(m, type, invoice_id, { ageMs = 0, status = 'pending', error = '' } = {}) {
    const at = new Date(Date.now() - ageMs).toISOString();
    const d = {
      id: `evt_${hex(8)}`,
      type,
      status,
      attempts: status === 'pending' ? 0 : status === 'failed' ? 8 : 1,
      last_error: error,
      next_attempt_at: status === 'pending' ? now() : null,
      created_at: at,
      delivered_at: status === 'delivered' ? at : null,
      ...(invoice_id ? { invoice_id } : {}),
      mid: m.id,
    };
    m.deliveries.unshift(d);
    if (status === 'pending') attempt(m, d);
    return d;
  }
  function paid(m, id, at, { late = false } = {}) {
    const inv = merchantInvoices.get(id);
    const x = extra.get(id);
    inv.status = 'paid';
    inv.paid = inv.amount;
    x.paid_at = at;
    x.late = late;
    const tx = hex(32);
    x.payments.push({ tx_hash: tx, link: explorer(tx), amount: money(inv.asset, BigInt(inv.amount)), sender: someAddress(), at, kind: 'payment' });
  }

  // Seed merchant 1: a month of invoices, most paid, their deliveries.
  {
    const m = merchants.get(1);
    const items = [
      ['Two flat whites', 'TON', 7_500_000_000n],
      ['Croissant box', 'USDT', 18_000_000n],
      ['Beans 1 kg', 'TON', 25_000_000_000n],
      ['Espresso', 'TON', 2_000_000_000n],
      ['Catering, order #88', 'USDT', 240_000_000n],
    ];
    for (let i = 0; i < 24; i++) {
      const [desc, asset, units] = items[i % items.length];
      const ageMs = Math.floor((i + 0.3) * 1.2 * DAY + rnd() * 3600_000);
      const id = newInvoice(m, asset, units, desc, { ageMs, external_id: i % 3 === 0 ? `order-${2000 - i}` : null });
      const created = Date.parse(extra.get(id).created_at);
      if (i % 6 === 4) {
        merchantInvoices.get(id).status = 'expired';
        queue(m, 'invoice.expired', id, { ageMs: ageMs - 30 * 60_000, status: 'delivered' });
      } else {
        paid(m, id, new Date(created + 4 * 60_000).toISOString(), { late: i === 9 });
        queue(m, 'invoice.paid', id, i === 2 ? { ageMs, status: 'failed', error: 'HTTP 502 Bad Gateway' } : { ageMs: ageMs - 4 * 60_000, status: 'delivered' });
      }
    }
    m.webhook.last_error = 'HTTP 502 Bad Gateway';
    m.webhook.last_delivered_at = m.deliveries.find((d) => d.status === 'delivered')?.delivered_at ?? null;
    newInvoice(m, 'TON', 4_000_000_000n, 'Table 4: lunch', { ageMs: 2 * 60_000 }); // open, waiting for its payer
    m.deliveries.sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** The payer's BOC led to `paid` (the existing /api/invoices/:id/boc route): credit the merchant. */
  function onMerchantPaid(inv) {
    const x = extra.get(inv.id);
    if (!x) return;
    const m = merchants.get(x.mid);
    const tx = hex(32);
    x.paid_at = now();
    x.payments.push({ tx_hash: tx, link: explorer(tx), amount: money(inv.asset, BigInt(inv.amount)), sender: someAddress(), at: x.paid_at, kind: 'payment' });
    m.balances.set(inv.asset, m.balances.get(inv.asset) + BigInt(inv.amount));
    queue(m, 'invoice.paid', inv.id);
  }

  const health = (m) => ({
    url: m.webhook.url,
    disabled: m.webhook.disabled,
    pending: m.deliveries.filter((d) => d.status === 'pending').length,
    failed: m.deliveries.filter((d) => d.status === 'failed').length,
    delivered: m.deliveries.filter((d) => d.status === 'delivered').length,
    last_error: m.webhook.last_error,
    last_delivered_at: m.webhook.last_delivered_at,
  });
  const balancesOfMap = (map) => ASSETS.map((a) => money(a.symbol, map.get(a.symbol) ?? 0n));
  const payoutJSON = (m, w) => ({
    id: w.id,
    spend_id: w.spend_id,
    status: w.status,
    asset: w.asset,
    decimals: decimalsOf(w.asset),
    amount: fmt(w.amount, decimalsOf(w.asset)),
    amount_units: w.amount.toString(),
    fee: fmt(w.fee, 9),
    fee_units: w.fee.toString(),
    fee_asset: 'TON',
    address: w.destination,
    ...(w.tx_hash ? { tx_hash: w.tx_hash, explorer_url: explorer(w.tx_hash) } : {}),
    ...(w.error ? { failure_reason: w.error } : {}),
    created_at: w.created_at,
  });

  // Users: the live ones (their state in `users`) and the seeded people.
  function userRow(id) {
    const live = [...users.values()].find((s) => s.user.id === id);
    const p = live ? { ...live.user, balances: live.balances, created_at: live.created_at ?? now() } : people.get(id);
    if (!p) return null;
    return {
      id,
      username: p.username || '',
      first_name: p.first_name || '',
      blocked: blocks.has(id),
      blocked_reason: blocks.get(id) ?? '',
      balances: balancesOfMap(p.balances),
      created_at: p.created_at,
    };
  }
  const allUserIds = () => [...new Set([...[...users.values()].map((s) => s.user.id), ...people.keys()])];
  const creditUser = (id, asset, units) => {
    const live = [...users.values()].find((s) => s.user.id === id);
    const map = live ? live.balances : people.get(id).balances;
    map.set(asset, map.get(asset) + units);
  };

  function quoteFor(m, body) {
    const { asset, amount, address } = body || {};
    const d = decimalsOf(asset);
    if (d === undefined) throw fail(400, 'unknown_asset', `Unknown asset ${asset}`);
    const units = parseExact(String(amount ?? ''), d);
    if (units === null) throw fail(400, 'invalid_amount', `Invalid amount for ${asset}: at most ${d} decimals`);
    if (!rawFromAny(address || '')) throw fail(400, 'invalid_address', 'Invalid TON address');
    const needTon = asset === 'TON' ? units + fee : fee;
    if (m.balances.get(asset) < (asset === 'TON' ? needTon : units)) throw fail(409, 'insufficient_funds', `Not enough ${asset} on the merchant's balance.`);
    if (asset !== 'TON' && m.balances.get('TON') < fee) throw fail(409, 'fee_not_covered', `The ${fmt(fee, 9)} TON fee is charged in TON.`);
    const total = asset === 'TON' ? `${fmt(units + fee, 9)} TON` : `${fmt(units, d)} ${asset} + ${fmt(fee, 9)} TON`;
    const needs_approval = asset === 'TON' ? units >= 100_000_000_000n : units >= 1_000_000_000n;
    return { units, quote: { asset, amount: fmt(units, d), fee: fmt(fee, 9), fee_asset: 'TON', destination: address, needs_approval, total } };
  }

  const me = (st) => ({
    roles: { admin: admins.has(st.user.id), merchants: [...merchants.values()].filter((m) => m.owners.includes(st.user.id)).map((m) => ({ id: m.id, name: m.name })) },
    blocked: blocks.has(st.user.id),
  });

  /** The route's answer; undefined when the path is not a dashboard one. `created` marks a 201. */
  function handle(m, p, url, st, body, res) {
    const uid = st.user.id;
    const send201 = (obj) => {
      res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify(obj));
      return undefined;
    };
    let mm;
    if (p.startsWith('/api/admin/')) {
      if (!admins.has(uid)) throw fail(403, 'forbidden', 'This is for the service administrators only.');
      if (m === 'GET' && p === '/api/admin/overview') {
        const sum = (asset, maps) => maps.reduce((s, x) => s + (x.get(asset) ?? 0n), 0n);
        const userMaps = [...[...users.values()].map((s) => s.balances), ...[...people.values()].map((p) => p.balances)];
        const merchantMaps = [...merchants.values()].map((x) => x.balances);
        return {
          assets: ASSETS.map(({ symbol: a, decimals }) => {
            const usersT = sum(a, userMaps);
            const merchantsT = sum(a, merchantMaps);
            const ledger = usersT + merchantsT + fees.get(a);
            const driftU = a === 'USDT' ? -1_500_000n : 0n;
            const open = unmatched.filter((d) => d.asset === a && !d.resolution);
            const waiting = allWithdrawals().filter((w) => w.asset === a && w.status === 'awaiting_approval');
            return {
              asset: a,
              decimals,
              users: money(a, usersT),
              merchants: money(a, merchantsT),
              fees: money(a, fees.get(a)),
              hot_ledger: money(a, ledger),
              on_deposit: money(a, a === 'USDT' ? 2_000_000n : 1_500_000_000n),
              capital: money(a, a === 'USDT' ? 0n : 100_000_000_000n),
              hot_chain: money(a, ledger + driftU),
              drift: money(a, driftU),
              unmatched: money(a, open.reduce((s, d) => s + d.amount, 0n)),
              unmatched_count: open.length,
              awaiting: money(a, waiting.reduce((s, w) => s + w.amount, 0n)),
              awaiting_count: waiting.length,
            };
          }),
          days,
          payouts,
          reconciled_block: 41_234_567,
          synced: true,
        };
      }
      if (m === 'GET' && p === '/api/admin/withdrawals') {
        const status = url.searchParams.get('status');
        const list = allWithdrawals().filter((w) => !status || w.status === status);
        return { withdrawals: list.slice(0, 50).map(wdJSON) };
      }
      if ((mm = /^\/api\/admin\/withdrawals\/([^/]+)\/(approve|reject)$/.exec(p)) && m === 'POST') {
        const w = wds.find((x) => String(x.id) === decodeURIComponent(mm[1]));
        if (!w) throw fail(404, 'not_found', 'No such withdrawal');
        if (w.status !== 'awaiting_approval') throw fail(409, 'conflict', `This withdrawal is ${w.status.replace(/_/g, ' ')}, no longer awaiting approval.`);
        if (mm[2] === 'approve') {
          w.status = 'queued';
          record(uid, 'admin', w.merchant_id, 'withdrawal.approve', `withdrawal ${w.id}`, 'awaiting approval', 'queued');
          advance(w);
        } else {
          const reason = String(body?.reason ?? '').trim();
          if (!reason || reason.length > 200) throw fail(400, 'bad_request', 'reason must be 1 to 200 characters');
          w.status = 'rejected';
          w.error = reason;
          // The amount and fee go back to whoever asked.
          if (w.user_id) {
            creditUser(w.user_id, w.asset, w.amount);
            creditUser(w.user_id, 'TON', w.fee);
          }
          if (w.merchant_id) {
            const b = merchants.get(w.merchant_id).balances;
            b.set(w.asset, b.get(w.asset) + w.amount);
            b.set('TON', b.get('TON') + w.fee);
          }
          record(uid, 'admin', w.merchant_id, 'withdrawal.reject', `withdrawal ${w.id}`, 'awaiting approval', `rejected: ${reason}`);
        }
        return wdJSON(w);
      }
      if (m === 'GET' && p === '/api/admin/unmatched') {
        const list = [...unmatched].sort((a, b) => (!!a.resolution - !!b.resolution) || b.at.localeCompare(a.at));
        return { deposits: list.map(unmatchedJSON) };
      }
      if ((mm = /^\/api\/admin\/unmatched\/(\d+)\/(assign|refund)$/.exec(p)) && m === 'POST') {
        const d = unmatched.find((x) => x.id === Number(mm[1]));
        if (!d) throw fail(404, 'not_found', 'No such deposit');
        let want;
        if (mm[2] === 'assign') {
          if (body?.user_id) {
            if (!userRow(Number(body.user_id))) throw fail(404, 'not_found', `No user ${body.user_id}`);
            want = { kind: 'assigned', user_id: Number(body.user_id) };
          } else if (body?.merchant_id) {
            if (!merchants.has(Number(body.merchant_id))) throw fail(404, 'not_found', `No merchant ${body.merchant_id}`);
            want = { kind: 'assigned', merchant_id: Number(body.merchant_id) };
          } else throw fail(400, 'bad_request', 'user_id or merchant_id is required');
        } else {
          if (!/^[0-9a-f]{64}$/i.test(body?.tx_hash ?? '')) throw fail(400, 'bad_request', 'tx_hash must be 64 hex characters');
          want = { kind: 'refunded', refund_tx: body.tx_hash.toLowerCase() };
        }
        const same = (r) => r.kind === want.kind && r.user_id === want.user_id && r.merchant_id === want.merchant_id && r.refund_tx === want.refund_tx;
        if (d.resolution) {
          if (same(d.resolution)) return unmatchedJSON(d);
          throw fail(409, 'conflict', `This deposit was already ${d.resolution.kind}.`);
        }
        d.resolution = { ...want, by: uid, at: now() };
        if (want.user_id) creditUser(want.user_id, d.asset, d.amount);
        if (want.merchant_id) merchants.get(want.merchant_id).balances.set(d.asset, merchants.get(want.merchant_id).balances.get(d.asset) + d.amount);
        const view = unmatchedJSON(d);
        record(uid, 'admin', want.merchant_id ?? null, `unmatched.${mm[2]}`, `deposit ${d.id}`, 'unresolved', want.kind === 'refunded' ? `refunded in ${want.refund_tx.slice(0, 8)}…` : `assigned to ${view.resolution.who}`);
        return view;
      }
      if (m === 'GET' && p === '/api/admin/payouts') return payouts;
      if (m === 'POST' && p === '/api/admin/payouts/pause') {
        const before = payouts.paused ? 'paused' : 'running';
        Object.assign(payouts, { paused: true, cause: 'admin', reason: String(body?.reason ?? ''), since: now() });
        record(uid, 'admin', null, 'payouts.pause', 'payouts', before, `paused: ${payouts.reason}`);
        return payouts;
      }
      if (m === 'POST' && p === '/api/admin/payouts/resume') {
        const before = payouts.paused ? 'paused' : 'running';
        Object.assign(payouts, { paused: false, cause: '', reason: '', since: null });
        record(uid, 'admin', null, 'payouts.resume', 'payouts', before, 'running');
        return payouts;
      }
      if (m === 'GET' && p === '/api/admin/merchants') {
        return { merchants: [...merchants.values()].map((x) => ({ id: x.id, name: x.name, owners: x.owners, balances: balancesOfMap(x.balances), webhook: health(x) })) };
      }
      if (m === 'GET' && p === '/api/admin/users') {
        const q = (url.searchParams.get('q') || '').trim().toLowerCase();
        if (!q) return { users: [] };
        const rows = allUserIds()
          .map(userRow)
          .filter((u) => (/^\d+$/.test(q) ? String(u.id) === q : q.startsWith('@') ? u.username.toLowerCase().startsWith(q.slice(1)) : u.first_name.toLowerCase().startsWith(q) || u.username.toLowerCase().startsWith(q)));
        return { users: rows.slice(0, 20) };
      }
      if ((mm = /^\/api\/admin\/users\/(\d+)$/.exec(p)) && m === 'GET') {
        const id = Number(mm[1]);
        const row = userRow(id);
        if (!row) throw fail(404, 'not_found', `No user ${id}`);
        const live = [...users.values()].find((s) => s.user.id === id);
        const history = live
          ? live.ledger.slice(0, 20)
          : [
              { id: `h${id}1`, asset: 'TON', amount: '10000000000', formatted: '10', kind: 'deposit', description: 'Top up 10 TON', created_at: ago(3 * DAY) },
              { id: `h${id}2`, asset: 'TON', amount: '-1500000000', formatted: '-1.5', kind: 'purchase', description: 'Package starter', created_at: ago(2 * DAY) },
            ];
        return { ...row, history, withdrawals: allWithdrawals().filter((w) => w.user_id === id).map(wdJSON) };
      }
      if ((mm = /^\/api\/admin\/users\/(\d+)\/(block|unblock)$/.exec(p)) && m === 'POST') {
        const id = Number(mm[1]);
        if (!userRow(id)) throw fail(404, 'not_found', `No user ${id}`);
        if (mm[2] === 'block') {
          if (id === uid) throw fail(409, 'conflict', 'You cannot block yourself.');
          const reason = String(body?.reason ?? '').trim();
          if (!reason) throw fail(400, 'bad_request', 'reason is required');
          blocks.set(id, reason);
          record(uid, 'admin', null, 'user.block', who(id), 'active', `blocked: ${reason}`);
        } else {
          const was = blocks.get(id);
          blocks.delete(id);
          record(uid, 'admin', null, 'user.unblock', who(id), was ? `blocked: ${was}` : 'active', 'active');
        }
        return userRow(id);
      }
      if (m === 'GET' && p === '/api/admin/audit') {
        const mid = Number(url.searchParams.get('merchant_id') || 0);
        return { entries: audit.filter((e) => !mid || e.merchant_id === mid).slice(0, 100) };
      }
      throw fail(404, 'not_found', 'Not found');
    }

    if ((mm = /^\/api\/merchant\/([^/]+)(\/.*)?$/.exec(p))) {
      const mer = merchants.get(Number(mm[1]));
      // Anyone but an owner is refused alike, whether or not the merchant exists.
      if (!mer || !mer.owners.includes(uid)) throw fail(403, 'forbidden', 'You do not own this merchant.');
      const rest = mm[2] || '';
      const log = (action, subject, before = '', after = '') => record(uid, 'owner', mer.id, action, subject, before, after);
      if (m === 'GET' && rest === '') {
        return { id: mer.id, name: mer.name, assets: ASSETS, balances: balancesOfMap(mer.balances), webhook: health(mer), owners: mer.owners };
      }
      if (m === 'GET' && rest === '/invoices') {
        const status = url.searchParams.get('status') || '';
        const from = url.searchParams.get('from') || '';
        const to = url.searchParams.get('to') || '';
        for (const d of [from, to]) if (d && !/^\d{4}-\d{2}-\d{2}$/.test(d)) throw fail(400, 'bad_request', 'from and to are dates: YYYY-MM-DD');
        const start = Number(url.searchParams.get('cursor') || 0);
        const list = [...extra.entries()]
          .filter(([, x]) => x.mid === mer.id)
          .map(([id]) => invoiceView(id))
          .filter((v) => (!status || v.status === status) && (!from || v.created_at.slice(0, 10) >= from) && (!to || v.created_at.slice(0, 10) <= to))
          .sort((a, b) => b.created_at.localeCompare(a.created_at));
        const page = list.slice(start, start + 10);
        return { invoices: page, next_cursor: start + 10 < list.length ? String(start + 10) : null };
      }
      if ((mm = /^\/invoices\/([^/]+)$/.exec(rest)) && m === 'GET') {
        const id = decodeURIComponent(mm[1]);
        if (extra.get(id)?.mid !== mer.id) throw fail(404, 'not_found', 'No such invoice');
        return {
          invoice: invoiceView(id),
          payments: extra.get(id).payments,
          deliveries: mer.deliveries.filter((d) => d.invoice_id === id).map(deliveryJSON),
        };
      }
      if (m === 'POST' && rest === '/invoices') {
        const { asset, amount, description = '' } = body || {};
        const d = decimalsOf(asset);
        if (d === undefined) throw fail(400, 'unknown_asset', `Unknown asset ${asset}`);
        const units = parseExact(String(amount ?? ''), d);
        if (units === null) throw fail(400, 'invalid_amount', `Invalid amount for ${asset}: at most ${d} decimals`);
        if (String(description).length > 255) throw fail(400, 'bad_request', 'description must be at most 255 bytes');
        const id = newInvoice(mer, asset, units, String(description));
        log('merchant.invoice', id, '', `${fmt(units, d)} ${asset}`);
        return send201(invoiceView(id));
      }
      if (m === 'GET' && rest === '/payouts') {
        return { payouts: wds.filter((w) => w.merchant_id === mer.id).map((w) => payoutJSON(mer, w)) };
      }
      if (m === 'POST' && rest === '/payouts/quote') return { quote: quoteFor(mer, body).quote };
      if (m === 'POST' && rest === '/payouts') {
        const spend = String(body?.spend_id ?? '');
        if (!spend) throw fail(400, 'bad_request', 'spend_id is required');
        const { units, quote } = quoteFor(mer, body);
        const old = mer.spends.get(spend);
        if (old) {
          if (old.asset !== body.asset || old.amount !== units || old.destination !== body.address) throw fail(409, 'idempotency_conflict', `spend_id "${spend}" was already used for a payout with other terms`);
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(payoutJSON(mer, old)));
          return undefined;
        }
        mer.balances.set(body.asset, mer.balances.get(body.asset) - units);
        mer.balances.set('TON', mer.balances.get('TON') - fee);
        fees.set('TON', fees.get('TON') + fee);
        const w = addWd({ id: nextId++, spend_id: spend, asset: body.asset, amount: units, fee, destination: body.address, status: quote.needs_approval ? 'awaiting_approval' : 'queued', user_id: null, merchant_id: mer.id, created_at: now() });
        mer.spends.set(spend, w);
        if (w.status === 'queued') advance(w);
        log('merchant.payout', `payout ${w.id}`, '', `${quote.amount} ${body.asset} to ${body.address.slice(0, 8)}…`);
        return send201(payoutJSON(mer, w));
      }
      if (m === 'GET' && rest === '/webhook/deliveries') return { deliveries: mer.deliveries.slice(0, 50).map(deliveryJSON) };
      if (m === 'PUT' && rest === '/webhook') {
        const u = String(body?.url ?? '').trim();
        if (u && !/^https?:\/\/[^\s/]+\S*$/.test(u)) throw fail(400, 'bad_request', 'url must be an http(s) URL');
        const before = mer.webhook.url;
        mer.webhook.url = u;
        mer.webhook.disabled = false;
        let secret;
        if (u && !mer.webhook.secret) secret = mer.webhook.secret = `whsec_${hex(16)}`;
        log('merchant.webhook_url', mer.name, before, u);
        return { ...health(mer), ...(secret ? { secret } : {}) };
      }
      if (m === 'POST' && rest === '/webhook/rotate') {
        mer.webhook.secret = `whsec_${hex(16)}`;
        log('merchant.webhook_secret', mer.name, '', 'rotated');
        return { secret: mer.webhook.secret };
      }
      if (m === 'POST' && rest === '/webhook/test') {
        if (!mer.webhook.url) throw fail(409, 'conflict', 'Set a webhook URL first.');
        log('merchant.webhook_test', mer.name);
        return deliveryJSON(queue(mer, 'webhook.test'));
      }
      if ((mm = /^\/webhook\/deliveries\/([^/]+)\/redeliver$/.exec(rest)) && m === 'POST') {
        const d = mer.deliveries.find((x) => x.id === decodeURIComponent(mm[1]));
        if (!d) throw fail(404, 'not_found', 'No such delivery');
        d.status = 'pending';
        d.next_attempt_at = now();
        mer.webhook.disabled = false;
        attempt(mer, d);
        log('merchant.redeliver', d.id);
        return deliveryJSON(d);
      }
      if (m === 'POST' && rest === '/token') {
        mer.token = `tp_${hex(20)}`;
        log('merchant.token', mer.name, '', 'rotated');
        return { token: mer.token };
      }
      if (m === 'GET' && rest === '/audit') return { entries: audit.filter((e) => e.merchant_id === mer.id).slice(0, 100) };
      throw fail(404, 'not_found', 'Not found');
    }
    return undefined;
  }

  return { me, handle, onMerchantPaid, blocked: (st) => blocks.has(st.user.id), isDash: (p) => p.startsWith('/api/admin/') || p.startsWith('/api/merchant/') };
}

function fakeInitData(user) {
  const p = new URLSearchParams({
    query_id: 'AAHmock',
    user: JSON.stringify(user),
    auth_date: String(Math.floor(Date.now() / 1000)),
    signature: randomBytes(32).toString('base64url'),
    hash: randomBytes(32).toString('hex'),
  });
  return p.toString();
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = process.argv.slice(2);
  const e2e = args.includes('--e2e');
  const portArg = args.indexOf('--port');
  const port = portArg >= 0 ? Number(args[portArg + 1]) : e2e ? 0 : 8787;
  if (!existsSync(join(DIST, 'index.html'))) {
    console.error('dist/index.html is missing: run `npm run build` first');
    process.exit(2);
  }
  const server = createMock();
  server.listen(port, '127.0.0.1', () => {
    const base = `http://127.0.0.1:${server.address().port}`;
    if (!e2e) {
      const initData = fakeInitData({ id: 424242, first_name: 'Alice', username: 'alice', language_code: 'en' });
      console.log(`mock tonpay on ${base}`);
      console.log(`open: ${base}/#tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0&tgWebAppPlatform=unknown`);
      const blocked = fakeInitData({ id: 1002, first_name: 'Dave', username: 'dave', language_code: 'en' });
      console.log(`a blocked user: ${base}/#tgWebAppData=${encodeURIComponent(blocked)}&tgWebAppVersion=8.0&tgWebAppPlatform=unknown`);
      return;
    }
    // topup.mjs is the contract driver (the Go e2e test runs it too); flows.mjs covers the rest
    // of the page against this mock only. Each runs as a different Telegram user.
    const run = (script, user) =>
      new Promise((done) => {
        const child = spawn(process.execPath, [join(here, script)], {
          stdio: 'inherit',
          env: {
            ...process.env,
            BASE_URL: base,
            INIT_DATA: fakeInitData(user),
            SIGNER_URL: `${base}/signer`,
            ARTIFACTS_DIR: process.env.ARTIFACTS_DIR || join(here, 'artifacts'),
          },
        });
        child.on('exit', (code) => done(code ?? 1));
      });
    (async () => {
      let code = await run('topup.mjs', { id: 424242, first_name: 'Alice', username: 'alice', language_code: 'en' });
      if (code === 0 && !args.includes('--topup-only')) code = await run('flows.mjs', { id: 515151, first_name: 'Bob', username: 'bob', language_code: 'en' });
      server.close();
      server.closeAllConnections?.();
      process.exit(code);
    })();
  });
}
