// Unit tests for the money and address helpers, run with `npm test` (node --test). The TypeScript
// sources are transpiled in memory with the project's own typescript package.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import ts from 'typescript';

const dir = mkdtempSync(join(tmpdir(), 'webapp-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
async function load(name) {
  const src = readFileSync(new URL(`../src/lib/${name}.ts`, import.meta.url), 'utf8');
  const out = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, out.outputText);
  return import(file);
}
const { parseAmount, formatUnits, toUnits } = await load('amount');
const { toRaw, sameAddress } = await load('address');

describe('parseAmount', () => {
  const ok = [
    ['1.5', 9, 1_500_000_000n, '1.5'],
    ['0,25', 9, 250_000_000n, '0.25'],
    [' 10 ', 6, 10_000_000n, '10'],
    ['.5', 6, 500_000n, '0.5'],
    ['1.', 9, 1_000_000_000n, '1'],
    ['0.000000001', 9, 1n, '0.000000001'],
    ['007.100', 6, 7_100_000n, '7.1'],
    ['9223372036.854775807', 9, 9_223_372_036_854_775_807n, '9223372036.854775807'],
    ['3', 0, 3n, '3'],
  ];
  for (const [input, dec, units, text] of ok) {
    test(`${JSON.stringify(input)} with ${dec} decimals`, () => {
      assert.deepEqual(parseAmount(input, dec, 'X'), { ok: true, units, text });
    });
  }
  const bad = [
    ['', 9, /Enter an amount/],
    ['abc', 9, /digits/],
    ['1.2.3', 9, /digits/],
    ['-1', 9, /digits/],
    ['1e3', 9, /digits/],
    ['0.0000000001', 9, /GRAM allows at most 9 decimal places/],
    ['1.1234567', 6, /at most 6 decimal places/],
    ['1.5', 0, /whole numbers/],
    ['0', 9, /greater than zero/],
    ['0.000', 9, /greater than zero/],
    ['9223372036.854775808', 9, /too large/],
  ];
  for (const [input, dec, re] of bad) {
    test(`rejects ${JSON.stringify(input)} with ${dec} decimals`, () => {
      const r = parseAmount(input, dec, dec === 9 ? 'GRAM' : 'USDT');
      assert.equal(r.ok, false);
      assert.match(r.error, re);
    });
  }
  test('never goes through floats: 0.1 + 0.2 style values stay exact', () => {
    assert.equal(parseAmount('0.3', 9).units, 300_000_000n);
    assert.equal(parseAmount('1234567890.123456789', 9).units, 1_234_567_890_123_456_789n);
  });
});

describe('formatUnits', () => {
  test('formats without trailing zeros', () => {
    assert.equal(formatUnits('1500000000', 9), '1.5');
    assert.equal(formatUnits(1n, 9), '0.000000001');
    assert.equal(formatUnits('-100', 9), '-0.0000001');
    assert.equal(formatUnits('0', 6), '0');
    assert.equal(formatUnits('5', 0), '5');
  });
  test('round-trips with parseAmount', () => {
    for (const s of ['1', '1.5', '0.000001', '123456.654321']) assert.equal(formatUnits(parseAmount(s, 6).units, 6), s);
  });
  test('toUnits', () => {
    assert.equal(toUnits('42'), 42n);
    assert.equal(toUnits('-7'), -7n);
    assert.equal(toUnits('1.5'), 0n);
    assert.equal(toUnits(undefined), 0n);
  });
});

describe('addresses', () => {
  const raw = '0:4f8515d18343cf314bda1518da258183658c1c538dccaad03e0ae05a38906117';
  test('friendly forms decode to the same raw address', () => {
    // bounceable testnet and non-bounceable testnet forms of `raw`
    const b = Buffer.alloc(36);
    for (const tag of [0x11, 0x51, 0x91, 0xd1]) {
      b[0] = tag;
      b[1] = 0;
      Buffer.from(raw.slice(2), 'hex').copy(b, 2);
      let crc = 0;
      for (const byte of b.subarray(0, 34)) {
        crc ^= byte << 8;
        for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
      }
      b[34] = crc >> 8;
      b[35] = crc & 0xff;
      assert.equal(toRaw(b.toString('base64url')), raw);
      assert.equal(toRaw(b.toString('base64')), raw);
      assert.ok(sameAddress(b.toString('base64url'), raw.toUpperCase().replace('0:', '0:')));
    }
  });
  test('rejects a bad checksum and junk', () => {
    assert.equal(toRaw('0QBPhRXRg0zxMUvaFRjaJYGDZYwcU43MqtA-CuBaOJBhF0qn'), null);
    assert.equal(toRaw('hello'), null);
    assert.equal(toRaw('0:1234'), null);
    assert.ok(!sameAddress(null, raw));
  });
});

describe('dictionaries', () => {
  const en = JSON.parse(readFileSync(new URL('../src/i18n/en.json', import.meta.url), 'utf8'));
  const ru = JSON.parse(readFileSync(new URL('../src/i18n/ru.json', import.meta.url), 'utf8'));
  test('English and Russian have the same keys', () => {
    assert.deepEqual(Object.keys(ru).sort(), Object.keys(en).sort());
  });
  test('the same placeholders in both', () => {
    const names = (s) => (s.match(/\{\w+\}/g) ?? []).sort().join(',');
    for (const k of Object.keys(en)) assert.equal(names(ru[k]), names(en[k]), k);
  });
  test('no text names the coin TON', () => {
    for (const [k, v] of [...Object.entries(en), ...Object.entries(ru)]) {
      for (const m of v.matchAll(/(?<![A-Za-z])TON(?![A-Za-z])/g)) {
        const after = v.slice(m.index + 3);
        const before = v.slice(0, m.index);
        assert.ok(/^( Connect| address| wallet|-кошел| \(EQ)/.test(after) || /(адрес |on )$/.test(before), `${k}: ${v}`);
      }
    }
  });
});

describe('formatNumber (i18n)', () => {
  // i18n.ts reads Telegram's initData through telegram.ts; here only its pure number code is loaded.
  const src = readFileSync(new URL('../src/lib/i18n.ts', import.meta.url), 'utf8');
  const body = src.slice(src.indexOf('export function formatNumber'), src.indexOf('/** The native coin'));
  const make = (group, decimal) =>
    new Function('groupSep', 'decimalSep', `${ts.transpileModule(body.replace('export ', ''), {}).outputText}; return formatNumber;`)(group, decimal);
  test('English and Russian separators, digits untouched', () => {
    const enF = make(',', '.');
    const ruF = make('\u00a0', ',');
    assert.equal(enF('1234567.000000001'), '1,234,567.000000001');
    assert.equal(ruF('1234567.000000001'), '1\u00a0234\u00a0567,000000001');
    assert.equal(enF('999'), '999');
    assert.equal(enF('-1000'), '-1,000');
    assert.equal(ruF('+0.5'), '+0,5');
    assert.equal(enF('9223372036.854775807'), '9,223,372,036.854775807');
    assert.equal(enF('n/a'), 'n/a');
  });
});
