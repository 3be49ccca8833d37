// Unit tests of the page's model (src/state.ts), compiled on the fly with esbuild.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = await esbuild.build({
  entryPoints: [path.join(here, '..', 'src', 'state.ts')], bundle: true, format: 'esm', write: false, platform: 'neutral',
});
const state = await import('data:text/javascript;base64,' + Buffer.from(out.outputFiles[0].text).toString('base64'));

const msg = (id, sender = 'bob', extra = {}) =>
  ({ id, sender, content: `m${id}`, roomId: 'r', timestamp: '2026-01-01T00:00:00.000Z', ...extra });

test('addMessage ignores duplicates and keeps pending messages last', () => {
  const r = state.newRoom('r');
  assert.equal(state.addMessage(r, msg('1')), true);
  assert.equal(state.addMessage(r, msg('1')), false, 'a sync replaying a message adds nothing');
  state.addMessage(r, msg('p', 'me', { pending: true, clientMessageId: 'c1' }));
  state.addMessage(r, msg('2'));
  assert.deepEqual(r.messages.map((m) => m.id), ['1', '2', 'p']);
  assert.equal(state.lastStoredId(r), '2');
});

test('confirm turns a pending message into the stored one, once', () => {
  const r = state.newRoom('r');
  state.addMessage(r, msg('p', 'me', { pending: true, clientMessageId: 'c1' }));
  state.confirm(r, 'c1', '7', '2026-01-01T00:00:01.000Z');
  assert.deepEqual(r.messages.map((m) => [m.id, !!m.pending]), [['7', false]]);
  // The stored message came by sync before its receipt: no second copy.
  state.addMessage(r, msg('q', 'me', { pending: true, clientMessageId: 'c2' }));
  state.addMessage(r, msg('8', 'me'));
  state.confirm(r, 'c2', '8', '2026-01-01T00:00:02.000Z');
  assert.deepEqual(r.messages.map((m) => m.id), ['7', '8']);
});

test('read markers leave out me and the message sender', () => {
  const r = state.newRoom('r');
  state.addMessage(r, msg('1', 'alice'));
  state.addMessage(r, msg('2', 'bob'));
  r.readBy.set('bob', '1');
  r.readBy.set('carol', '2');
  r.readBy.set('me', '2');
  r.readBy.set('alice', '1'); // her own message: not news
  const by = state.readersByMessage(r, 'me');
  assert.deepEqual(Object.fromEntries(by), { 1: ['bob'], 2: ['carol'] });
  assert.equal(state.lastReceivedId(r, 'bob'), '1');
});

test('typers expire and exclude me', () => {
  const r = state.newRoom('r');
  r.typing.set('bob', 2000);
  r.typing.set('me', 2000);
  r.typing.set('old', 500);
  assert.deepEqual(state.typers(r, 'me', 1000), ['bob']);
  assert.equal(r.typing.has('old'), false);
});

test('a live message that skips sequence numbers is detected, and the gap filled in order', () => {
  const id = (seq) => seq.toString(36).padStart(13, '0') + '-abcdefghijklmnop';
  const r = state.newRoom('r');
  state.addMessage(r, msg(id(1)));
  state.addMessage(r, msg(id(2)));
  r.synced = true;
  assert.equal(state.skipsAhead(r, msg(id(3))), undefined, 'the next message is no gap');
  assert.equal(state.skipsAhead(r, msg(id(6))), id(2), 'messages 3-5 never arrived');
  state.addMessage(r, msg(id(6)));
  assert.equal(state.firstGap(r), id(2));
  state.addMessage(r, msg(id(4)));  // the sync's answers land in order
  state.addMessage(r, msg(id(3)));
  assert.equal(state.firstGap(r), id(4));
  state.addMessage(r, msg(id(5)));
  assert.deepEqual(r.messages.map((m) => state.seqOf(m.id)), [1, 2, 3, 4, 5, 6]);
  assert.equal(state.firstGap(r), undefined);
  assert.equal(state.seqOf('not-a-chatd-id'), -1);
  assert.equal(state.skipsAhead(r, msg('x')), undefined, 'ids of another shape are never a gap');
});
