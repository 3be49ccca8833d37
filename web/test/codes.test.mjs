// The error codes of @chatd/client-types must be exactly the server's: this reads
// internal/chat/codes.go and compares, so that a code added on one side fails here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** name → value of the string constants of codes.go. */
function goConstants(src) {
  const out = new Map();
  for (const m of src.matchAll(/^\s*((?:Type|Code)\w+)\s*=\s*"([^"]+)"/gm)) out.set(m[1], m[2]);
  return out;
}

test('ERROR_CODES lists the codes of internal/chat/codes.go, with their types, in order', async () => {
  const src = fs.readFileSync(path.join(root, 'internal', 'chat', 'codes.go'), 'utf8');
  const consts = goConstants(src);
  const body = src.slice(src.indexOf('func ErrorCodes()'));
  const server = [...body.matchAll(/\{(Type\w+),\s*(Code\w+),/g)].map(([, t, c]) => ({ type: consts.get(t), code: consts.get(c) }));
  assert.ok(server.length >= 20, `parsed ${server.length} codes from codes.go`);

  const out = await esbuild.build({
    entryPoints: [path.join(root, 'clients', 'typescript', 'src', 'errors.ts')], bundle: true, format: 'esm', write: false,
  });
  const { ERROR_CODES } = await import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));
  assert.deepEqual(ERROR_CODES, server);
});
