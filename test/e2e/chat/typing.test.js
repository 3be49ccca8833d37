// typingIndicator (contract §4): state changes only, and the server ends a typing state by
// itself — timeout without refresh, leaveRoom, disconnect, sendMessage in that room —
// each broadcasting isTyping:false to the others in the room.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TRANSPORTS, emitAck, mark, errorOf, join, received, send, settle, sleep, tname, uid, useServer, waitFor,
} from './harness.js';

const TYPING_TIMEOUT_MS = 600;
const server = useServer({ CHATD_TYPING_TIMEOUT: `${TYPING_TIMEOUT_MS}ms` });

async function pair(transports) {
  const room = uid('r');
  const a = await server.connect(uid('typist'), { transports });
  const b = await server.connect(uid('watcher'), { transports });
  await join(a, room);
  await join(b, room);
  return { room, a, b };
}

const typingOf = (s, room) => (d) => d.userId === s.user && d.roomId === room;

for (const transports of TRANSPORTS) {
  describe(`typingIndicator (${tname(transports)})`, () => {
    test('true is broadcast once; repeats are refreshes; false ends it', async () => {
      const { room, a, b } = await pair(transports);
      const since = mark();
      const on = waitFor(b, 'userTyping', typingOf(a, room));
      assert.deepEqual(await emitAck(a, 'typingIndicator', { roomId: room, isTyping: true }), { ok: true });
      assert.deepEqual(await on, { roomId: room, userId: a.user, isTyping: true });
      a.emit('typingIndicator', { roomId: room, isTyping: true });
      a.emit('typingIndicator', { roomId: room, isTyping: true });
      await settle([a, b]);
      assert.equal(received(b, 'userTyping', typingOf(a, room), since).length, 1);
      const off = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && d.isTyping === false);
      await emitAck(a, 'typingIndicator', { roomId: room, isTyping: false });
      assert.deepEqual(await off, { roomId: room, userId: a.user, isTyping: false });
      // false when not typing is not a change: nothing more is broadcast.
      await emitAck(a, 'typingIndicator', { roomId: room, isTyping: false });
      await settle([a, b]);
      assert.equal(received(b, 'userTyping', typingOf(a, room), since).length, 2);
      assert.deepEqual(received(a, 'userTyping', () => true, since), [], 'the typist got its own indicator');
    });

    test('without refresh the server ends typing after the timeout; a refresh re-arms it', async () => {
      const { room, a, b } = await pair(transports);
      const since = mark();
      const on = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && d.isTyping);
      await emitAck(a, 'typingIndicator', { roomId: room, isTyping: true });
      await on;
      await sleep(TYPING_TIMEOUT_MS * 0.6);
      await emitAck(a, 'typingIndicator', { roomId: room, isTyping: true }); // refresh
      await sleep(TYPING_TIMEOUT_MS * 0.6); // past the first deadline, before the re-armed one
      assert.deepEqual(received(b, 'userTyping', (d) => typingOf(a, room)(d) && !d.isTyping, since), [],
        'a refresh did not re-arm the typing timeout');
      const off = await waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && !d.isTyping, TYPING_TIMEOUT_MS * 4);
      assert.deepEqual(off, { roomId: room, userId: a.user, isTyping: false });
      await sleep(TYPING_TIMEOUT_MS);
      assert.equal(received(b, 'userTyping', typingOf(a, room), since).length, 2);
    });

    test('sending a message in the room ends typing', async () => {
      const { room, a, b } = await pair(transports);
      const on = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && d.isTyping);
      await emitAck(a, 'typingIndicator', { roomId: room, isTyping: true });
      await on;
      const off = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && !d.isTyping, TYPING_TIMEOUT_MS / 2);
      const msg = waitFor(b, 'newMessage');
      await send(a, room, 'done typing');
      await off;
      await msg;
    });

    test('a message in another room does not end typing here', async () => {
      const { room, a, b } = await pair(transports);
      const elsewhere = uid('r');
      await join(a, elsewhere);
      const on = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && d.isTyping);
      await emitAck(a, 'typingIndicator', { roomId: room, isTyping: true });
      await on;
      const since = mark();
      await send(a, elsewhere, 'elsewhere');
      await settle([a, b], 100);
      assert.deepEqual(received(b, 'userTyping', () => true, since), []);
    });

    test('leaveRoom ends typing', async () => {
      const { room, a, b } = await pair(transports);
      const on = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && d.isTyping);
      await emitAck(a, 'typingIndicator', { roomId: room, isTyping: true });
      await on;
      const off = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && !d.isTyping, TYPING_TIMEOUT_MS / 2);
      await emitAck(a, 'leaveRoom', room);
      await off;
    });

    test('disconnect ends typing', async () => {
      const { room, a, b } = await pair(transports);
      const on = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && d.isTyping);
      await emitAck(a, 'typingIndicator', { roomId: room, isTyping: true });
      await on;
      const off = waitFor(b, 'userTyping', (d) => typingOf(a, room)(d) && !d.isTyping, TYPING_TIMEOUT_MS / 2);
      a.disconnect();
      await off;
    });

    test('typing needs membership and a boolean isTyping', async () => {
      const { room, a } = await pair(transports);
      const stranger = await server.connect(uid('u'), { transports });
      let e = errorOf(await emitAck(stranger, 'typingIndicator', { roomId: room, isTyping: true }));
      assert.equal(e.type, 'validation');
      assert.equal(e.code, 'not_in_room');
      assert.equal(e.event, 'typingIndicator');
      for (const payload of [{ roomId: room, isTyping: 'true' }, { roomId: room, isTyping: 1 }, { roomId: room }, { isTyping: true }, room, null]) {
        e = errorOf(await emitAck(a, 'typingIndicator', payload));
        assert.equal(e.type, 'validation', JSON.stringify(payload));
        assert.equal(e.event, 'typingIndicator');
      }
    });
  });
}
