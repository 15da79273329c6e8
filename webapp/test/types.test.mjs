// The merchant API's shapes as the dashboard types them (src/lib/types.ts) against the API's own
// contract (miniapp/merchant/openapi.json): the same fields, the same JSON types, nothing the
// contract requires marked optional, the same enums. A field added to, renamed in or dropped from
// either side fails here until the other follows. Run with `npm test` (node --test).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import ts from 'typescript';

const typesFile = new URL('../src/lib/types.ts', import.meta.url);
const openapiFile = new URL('../../miniapp/merchant/openapi.json', import.meta.url);
const source = ts.createSourceFile('types.ts', readFileSync(typesFile, 'utf8'), ts.ScriptTarget.ES2022, true);
const schemas = JSON.parse(readFileSync(openapiFile, 'utf8')).components.schemas;

// The dashboard's type → the contract's schema it mirrors.
const pairs = [
  ['MerchantInvoice', 'Invoice'],
  ['Payout', 'Payout'],
];

const declarations = new Map();
for (const st of source.statements) {
  if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) declarations.set(st.name.text, st);
}

/** A TS type as JSON types ('string', 'number', 'boolean', 'null') and its string literals, if any. */
function jsonTypes(node) {
  const kinds = new Set();
  const literals = new Set();
  const walk = (n) => {
    if (ts.isUnionTypeNode(n)) return n.types.forEach(walk);
    if (ts.isParenthesizedTypeNode(n)) return walk(n.type);
    if (ts.isLiteralTypeNode(n)) {
      if (n.literal.kind === ts.SyntaxKind.NullKeyword) return kinds.add('null');
      if (ts.isStringLiteral(n.literal)) {
        literals.add(n.literal.text);
        return kinds.add('string');
      }
      if (ts.isNumericLiteral(n.literal)) return kinds.add('number');
      return kinds.add('boolean');
    }
    if (ts.isTypeReferenceNode(n)) {
      const alias = declarations.get(n.typeName.getText(source));
      assert.ok(alias && ts.isTypeAliasDeclaration(alias), `type ${n.typeName.getText(source)} is not an alias in types.ts`);
      return walk(alias.type);
    }
    switch (n.kind) {
      case ts.SyntaxKind.StringKeyword:
        return kinds.add('string');
      case ts.SyntaxKind.NumberKeyword:
        return kinds.add('number');
      case ts.SyntaxKind.BooleanKeyword:
        return kinds.add('boolean');
    }
    assert.fail(`cannot read the type ${n.getText(source)}`);
  };
  walk(node);
  return { kinds, literals };
}

/** An OpenAPI 3.1 schema's type as JSON types (integer is a number in TS). */
function schemaTypes(prop) {
  const list = Array.isArray(prop.type) ? prop.type : [prop.type];
  return new Set(list.map((t) => (t === 'integer' ? 'number' : t)));
}

const sorted = (set) => [...set].sort();

describe('types.ts against openapi.json', () => {
  for (const [tsName, schemaName] of pairs) {
    const decl = declarations.get(tsName);
    const schema = schemas[schemaName];
    test(`${tsName} mirrors ${schemaName}`, () => {
      assert.ok(decl && ts.isInterfaceDeclaration(decl), `interface ${tsName} in types.ts`);
      assert.ok(schema?.properties, `schema ${schemaName} in openapi.json`);
      const required = new Set(schema.required ?? []);
      const fields = new Map();
      for (const m of decl.members) {
        if (!ts.isPropertySignature(m)) continue;
        fields.set(m.name.getText(source), { optional: !!m.questionToken, ...jsonTypes(m.type) });
      }
      assert.deepEqual(sorted(fields.keys()), sorted(Object.keys(schema.properties)), `${tsName}'s fields are ${schemaName}'s properties`);
      for (const [name, prop] of Object.entries(schema.properties)) {
        const f = fields.get(name);
        assert.deepEqual(sorted(f.kinds), sorted(schemaTypes(prop)), `${tsName}.${name}: JSON type`);
        if (required.has(name)) assert.equal(f.optional, false, `${tsName}.${name} is required by ${schemaName}: not optional`);
        if (f.literals.size > 0 || prop.enum) {
          assert.deepEqual(sorted(f.literals), sorted(prop.enum ?? []), `${tsName}.${name}: the enum`);
        }
      }
    });
  }

  // The check itself must be able to fail: a field the contract does not have is seen.
  test('a drifted type is caught', () => {
    const drifted = ts.createSourceFile('x.ts', 'interface X { id: number; invented: string; }', ts.ScriptTarget.ES2022, true);
    const names = drifted.statements[0].members.map((m) => m.name.getText(drifted));
    assert.notDeepEqual(sorted(names), sorted(Object.keys(schemas.Payout.properties)));
  });
});
