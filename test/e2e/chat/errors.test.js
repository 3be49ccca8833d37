// Error conventions (contract §3, §5): the `error` event and {error} acks, unknown events,
// garbage payloads on every event (validation errors, the server stays up, nothing stored),
// oversized frames, and the per-user message rate limit.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHATD_ONLY, TRANSPORTS, Server, emitAck, errorOf, join, mark, received, send, settle, sleep, sync, tname,
  uid, useServer, waitFor,
} from './harness.js';

const server = useServer();

const ERROR_TYPES = ['auth', 'rate_limit', 'validation', 'server'];

function deep(n) {
  let o = { leaf: true };
  for (let i = 0; i < n; i++) o = { o };
  return o;
}

function deepArray(n) {
  let a = [];
  for (let i = 0; i < n; i++) a = [a];
  return a;
}

const HUGE = 'x'.repeat(200 * 1024);

/** Payloads that are wrong for every event. */
const COMMON_GARBAGE = [null, 0, 42, -1.5, true, false, '', [], [1, 2, 3], {}, deep(200), deepArray(200), HUGE, { roomId: HUGE }];

/** Wrong types for every field of each event; {R} is replaced by a joined room, {M} by a message id. */
const FIELD_GARBAGE = {
  joinRoom: [{ roomId: 42 }, { roomId: null }, { roomId: ['a'] }, { roomId: { roomId: 'a' } }, 'bad room', 'x'.repeat(129)],
  leaveRoom: [{ roomId: 42 }, { roomId: null }, { roomId: [] }, 'bad room'],
  sendMessage: [
    { content: 'x' }, { content: 'x', roomId: 42 }, { content: 'x', roomId: null }, { content: 'x', roomId: ['{R}'] },
    { content: 42, roomId: '{R}' }, { content: null, roomId: '{R}' }, { content: ['x'], roomId: '{R}' },
    { content: { text: 'x' }, roomId: '{R}' }, { content: true, roomId: '{R}' },
    { content: 'x', roomId: '{R}', replyToId: 42 }, { content: 'x', roomId: '{R}', replyToId: ['{M}'] },
    { content: 'x', roomId: '{R}', replyToId: { id: '{M}' } },
    { content: 'x', roomId: '{R}', attachment: 'https://example.com/a' },
    { content: 'x', roomId: '{R}', attachment: { url: ['https://example.com/a'] } },
    { content: 'x', roomId: '{R}', attachment: { url: 'javascript:alert(1)', type: 'x', name: 'y' } },
    { content: 'x', roomId: '{R}', metadata: 'meta' }, { content: 'x', roomId: '{R}', metadata: [1] },
    { content: 'x', roomId: '{R}', metadata: 7 },
    { content: HUGE, roomId: '{R}' },
  ],
  typingIndicator: [
    { roomId: '{R}' }, { roomId: '{R}', isTyping: 'yes' }, { roomId: '{R}', isTyping: 1 }, { roomId: '{R}', isTyping: null },
    { roomId: 42, isTyping: true }, { isTyping: true }, { roomId: ['{R}'], isTyping: true },
  ],
  presenceUpdate: [{ status: 'gone' }, { status: 42 }, { status: null }, { status: ['away'] }, 'away', { status: HUGE }],
  readReceipt: [
    { roomId: '{R}' }, { messageId: '{M}' }, { messageId: 42, roomId: '{R}' }, { messageId: null, roomId: '{R}' },
    { messageId: ['{M}'], roomId: '{R}' }, { messageId: '{M}', roomId: 42 }, { messageId: 'nope', roomId: '{R}' },
  ],
  syncMessages: [
    { roomId: 42 }, { roomId: null }, { lastMessageId: '{M}' }, { roomId: '{R}', lastMessageId: 42 },
    { roomId: '{R}', lastMessageId: ['{M}'] }, { roomId: '{R}', lastMessageId: 'nope' }, { roomId: 'bad room' },
  ],
  refreshToken: [{ token: 42 }, { token: null }, { token: '' }, { token: ['a.b.c'] }, { token: 'a.b.c' }, { token: HUGE }],
  getRoomMembers: [{ roomId: 42 }, { roomId: null }, { roomId: [] }, { roomId: 'bad room' }],
};

function fill(payload, room, messageId) {
  return JSON.parse(JSON.stringify(payload ?? null).replaceAll('{R}', room).replaceAll('{M}', messageId));
}

const show = (p) => JSON.stringify(p)?.slice(0, 80);

for (const transports of TRANSPORTS) {
  describe(`error conventions (${tname(transports)})`, () => {
    test('a refused event: one error event {type,code,message,event} and an {error} ack with the same payload', async () => {
      const s = await server.connect(uid('u'), { transports });
      const since = mark();
      const errorEvt = waitFor(s, 'error');
      const ack = await emitAck(s, 'sendMessage', { content: 'x', roomId: uid('r') });
      assert.deepEqual(Object.keys(ack), ['error']);
      const e = ack.error;
      assert.ok(ERROR_TYPES.includes(e.type));
      assert.equal(e.type, 'validation');
      assert.equal(e.code, 'not_in_room');
      assert.equal(e.event, 'sendMessage');
      assert.equal(typeof e.message, 'string');
      assert.ok(e.message.length > 0);
      assert.deepEqual(await errorEvt, e);
      await settle([s]);
      assert.equal(received(s, 'error', () => true, since).length, 1, 'one error event per refused event');
      // No response event on failure.
      assert.deepEqual(received(s, 'messageSent', () => true, since), []);
    });

    test('unknown events are validation/unknown_event, with and without ack', async () => {
      const s = await server.connect(uid('u'), { transports });
      for (const event of ['fooBar', 'joinroom', 'SENDMESSAGE', 'message', 'toString', '__proto__', 'constructor']) {
        const errorEvt = waitFor(s, 'error', (e) => e.event === event);
        const e = errorOf(await emitAck(s, event, { roomId: 'r' }));
        assert.equal(e.type, 'validation', event);
        assert.equal(e.code, 'unknown_event', event);
        assert.equal(e.event, event);
        assert.deepEqual(await errorEvt, e);
      }
      const errorEvt = waitFor(s, 'error', (e) => e.event === 'noAck');
      s.emit('noAck', 1, 2, 3);
      assert.equal((await errorEvt).code, 'unknown_event');
    });

    test('garbage on every event: validation errors, nothing stored, the server stays up', async () => {
      const room = uid('r');
      const s = await server.connect(uid('u'), { transports });
      const watcher = await server.connect(uid('w'), { transports });
      await join(s, room);
      await join(watcher, room);
      const delivered = waitFor(watcher, 'newMessage');
      const msg = await send(s, room, 'the only message');
      await delivered;
      const since = mark();
      let count = 0;
      // One socket per event, all events at once: a socket's events are handled in order,
      // and one event's refusals cannot count against another's.
      await Promise.all(Object.entries(FIELD_GARBAGE).map(async ([event, specific]) => {
        const g = await server.connect(uid('g'), { transports });
        await join(g, room);
        for (const raw of [...COMMON_GARBAGE, ...specific]) {
          const payload = fill(raw, room, msg.id);
          const e = errorOf(await emitAck(g, event, payload, 10000));
          const allowed = event === 'refreshToken' ? ['validation', 'auth'] : ['validation'];
          assert.ok(allowed.includes(e.type), `${event} ${show(payload)} → ${JSON.stringify(e)}`);
          assert.equal(e.event, event, `${event} ${show(payload)} → ${JSON.stringify(e)}`);
          assert.equal(typeof e.code, 'string');
          assert.ok(e.code.length > 0);
          assert.ok(g.connected, `${event} ${show(payload)} disconnected the socket`);
          count++;
        }
        // No argument at all, and several garbage arguments (seed-style, no ack).
        for (const args of [[], [42, 'extra', 3], [null, null]]) {
          const errorEvt = waitFor(g, 'error', (e) => e.event === event, 10000);
          g.emit(event, ...args);
          const e = await errorEvt;
          assert.ok(['validation', 'auth'].includes(e.type), `${event} ${show(args)} → ${JSON.stringify(e)}`);
        }
      }));
      assert.ok(count > 150);
      assert.ok(await server.healthy(), 'the server is not healthy any more');
      await settle([s, watcher]);
      // Nothing was stored or broadcast.
      assert.deepEqual(received(watcher, 'newMessage', () => true, since), []);
      assert.deepEqual(received(watcher, 'userTyping', () => true, since), []);
      assert.deepEqual(received(watcher, 'presenceUpdate', () => true, since), []);
      assert.deepEqual(received(watcher, 'messageRead', () => true, since), []);
      const { messages } = await sync(watcher, { roomId: room });
      assert.deepEqual(messages.map((m) => m.id), [msg.id]);
      // The original sockets still work.
      assert.equal((await emitAck(s, 'heartbeat')).ok, true);
      assert.equal((await send(s, room, 'still fine')).status, 'sent');
    });

    test('binary payloads are refused with validation errors, nothing stored', async () => {
      const room = uid('r');
      const s = await server.connect(uid('u'), { transports });
      await join(s, room);
      const bin = Buffer.from('hello, binary');
      const cases = [
        ['sendMessage', bin], ['sendMessage', { content: bin, roomId: room }],
        ['sendMessage', { content: 'x', roomId: room, attachment: { url: bin, type: 'x', name: 'y' } }],
        ['joinRoom', bin], ['joinRoom', { roomId: bin }], ['typingIndicator', { roomId: room, isTyping: bin }],
        ['presenceUpdate', { status: bin }], ['syncMessages', { roomId: bin }],
      ];
      for (const [event, payload] of cases) {
        const e = errorOf(await emitAck(s, event, payload));
        assert.equal(e.type, 'validation', `${event} → ${JSON.stringify(e)}`);
        assert.equal(e.event, event);
      }
      const { messages } = await sync(s, { roomId: room });
      assert.deepEqual(messages, []);
    });

    // metadata is "a JSON object": binary inside it cannot be stored as sent. The Node
    // baseline stores Buffer's JSON form instead; chatd must refuse rather than store the
    // protocol's {_placeholder:true,num:0} stand-in.
    test('binary inside metadata or attachment is refused', { skip: CHATD_ONLY && 'the Node baseline stores Buffer\'s JSON form' }, async () => {
      const room = uid('r');
      const s = await server.connect(uid('u'), { transports });
      await join(s, room);
      const bin = Buffer.from('hello, binary');
      for (const extra of [{ metadata: bin }, { metadata: { nested: { b: bin } } },
        { attachment: { url: 'https://example.com/a', type: 'x', name: bin } }]) {
        const e = errorOf(await emitAck(s, 'sendMessage', { content: 'x', roomId: room, ...extra }));
        assert.equal(e.type, 'validation', JSON.stringify(e));
      }
      const { messages } = await sync(s, { roomId: room });
      assert.deepEqual(messages, []);
    });

    test('an oversized frame closes that connection only; the server stays up', async () => {
      const s = await server.connect(uid('u'), { transports });
      const other = await server.connect(uid('o'), { transports });
      const gone = waitFor(s, 'disconnect', () => true, 10000);
      s.emit('sendMessage', { content: 'x'.repeat(1_100_000), roomId: 'r' });
      const reason = await gone;
      assert.notEqual(reason, 'io client disconnect');
      assert.ok(await server.healthy());
      assert.equal((await emitAck(other, 'heartbeat')).ok, true);
      const again = await server.connect(uid('u'), { transports });
      assert.ok(again.connected);
    });
  });
}

describe('rate limit', () => {
  const RATE = 2;
  const BURST = 3;
  const limited = new Server({ CHATD_RATE_MESSAGES: String(RATE), CHATD_RATE_BURST: String(BURST) });
  before(() => limited.start(), { timeout: 600000 });
  afterEach(() => limited.closeSockets());
  after(() => limited.destroy());

  for (const transports of TRANSPORTS) {
    test(`burst, then rate_limit with retryAfterMs; refused messages are not stored (${tname(transports)})`, async () => {
      const room = uid('r');
      const s = await limited.connect(uid('u'), { transports });
      const watcher = await limited.connect(uid('w'), { transports });
      await join(s, room);
      await join(watcher, room);
      const since = mark();
      const ok = [];
      for (let i = 0; i < BURST; i++) ok.push(await send(s, room, `ok ${i}`));
      const errorEvt = waitFor(s, 'error', (e) => e.type === 'rate_limit');
      const e = errorOf(await emitAck(s, 'sendMessage', { content: 'too fast', roomId: room }));
      assert.equal(e.type, 'rate_limit');
      assert.equal(e.code, 'rate_limited');
      assert.equal(e.event, 'sendMessage');
      assert.equal(typeof e.retryAfterMs, 'number');
      assert.ok(e.retryAfterMs > 0, `retryAfterMs ${e.retryAfterMs}`);
      assert.ok(e.retryAfterMs <= 1000 / RATE + 50, `retryAfterMs ${e.retryAfterMs} for ${RATE}/s`);
      assert.deepEqual(await errorEvt, e);
      await settle([s, watcher]);
      assert.deepEqual(received(watcher, 'newMessage', () => true, since).map((m) => m.id), ok.map((r) => r.id));
      let { messages } = await sync(watcher, { roomId: room });
      assert.deepEqual(messages.map((m) => m.id), ok.map((r) => r.id), 'a rate-limited message was stored');

      // After retryAfterMs a message goes through again.
      await sleep(e.retryAfterMs + 20);
      const live = waitFor(watcher, 'newMessage', (m) => m.content === 'later');
      const later = await send(s, room, 'later');
      await live;
      ({ messages } = await sync(watcher, { roomId: room }));
      assert.deepEqual(messages.map((m) => m.content), ['ok 0', 'ok 1', 'ok 2', 'later']);
      assert.equal(messages.at(-1).id, later.id);
    });
  }

  test('the limit is per user, across the user\'s sockets', { skip: CHATD_ONLY && 'the Node baseline limits per socket' }, async () => {
    const room = uid('r');
    const user = uid('u');
    const s1 = await limited.connect(user, { transports: ['websocket'] });
    const s2 = await limited.connect(user, { transports: ['websocket'] });
    await join(s1, room);
    await join(s2, room);
    for (let i = 0; i < BURST; i++) await send(i % 2 ? s1 : s2, room, `m${i}`);
    const e = errorOf(await emitAck(s2, 'sendMessage', { content: 'x', roomId: room }));
    assert.equal(e.type, 'rate_limit');
    const e1 = errorOf(await emitAck(s1, 'sendMessage', { content: 'x', roomId: room }));
    assert.equal(e1.type, 'rate_limit');
    // Another user is not affected.
    const other = await limited.connect(uid('o'), { transports: ['websocket'] });
    await join(other, room);
    await send(other, room, 'unaffected');
  });

  // "A client can safely resend every unacknowledged message after a reconnect": a resend
  // is answered with the original receipt even when the user is being rate limited.
  test('an idempotent resend is answered even when the user is rate limited', async () => {
    const room = uid('r');
    const s = await limited.connect(uid('u'), { transports: ['websocket'] });
    await join(s, room);
    const first = await send(s, room, 'm0', { clientMessageId: 'c0' });
    for (let i = 1; i < BURST; i++) await send(s, room, `m${i}`);
    assert.equal(errorOf(await emitAck(s, 'sendMessage', { content: 'x', roomId: room })).type, 'rate_limit');
    assert.deepEqual(await send(s, room, 'm0', { clientMessageId: 'c0' }), first);
  });
});
