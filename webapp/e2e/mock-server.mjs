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
// from the BOC report to `paid`.
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
    if (m === 'GET' && p === '/api/me') {
      return {
        user: st.user,
        wallet: st.wallet,
        network: 'testnet',
        assets: ASSETS,
        balances: balancesOf(st),
        deposit: { address: depositAddress, comment: st.comment, link: `ton://transfer/${depositAddress}?text=${st.comment}` },
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
      const w = { id: `wd_${(seq++).toString(36)}`, asset, amount: units.toString(), fee: fee.toString(), destination: address, status: 'queued' };
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
