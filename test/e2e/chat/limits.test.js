// Limits and abuse (contract §5) that the Node baseline does not implement, so chatd-only:
// join and typing rate limits, new connections per IP, a client that keeps flooding, and a
// client that stops reading (bounded send queue, then disconnected, others unaffected).
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHATD_ONLY, Server, emitAck, join, rawClient, send, sleep, uid, waitFor,
} from './harness.js';

const SKIP = CHATD_ONLY && 'the Node baseline has no such limit';

/** A server with env for the enclosing describe block. */
function scopedServer(env) {
  const server = new Server(env);
  before(() => (SKIP ? undefined : server.start()), { timeout: 600000 });
  afterEach(() => server.closeSockets());
  after(() => server.destroy());
  return server;
}

describe('join and typing rate limits', { skip: SKIP }, () => {
  const server = scopedServer({ CHATD_RATE_JOINS: '2', CHATD_RATE_TYPING: '2' });

  test('joins beyond the per-user rate are rate_limited with retryAfterMs', async () => {
    const s = await server.connect(uid('u'));
    let limited = null;
    for (let i = 0; i < 20 && !limited; i++) {
      const res = await emitAck(s, 'joinRoom', uid('r'));
      if (res && res.error) limited = res.error;
    }
    assert.ok(limited, 'twenty joins in a row were never limited at 2/s');
    assert.equal(limited.type, 'rate_limit');
    assert.equal(limited.event, 'joinRoom');
    assert.ok(limited.retryAfterMs > 0);
    await sleep(limited.retryAfterMs + 20);
    await join(s, uid('r'));
  });

  test('typing state changes beyond the rate are rate_limited', async () => {
    const room = uid('r');
    const s = await server.connect(uid('u'));
    await join(s, room);
    let limited = null;
    for (let i = 0; i < 30 && !limited; i++) {
      const res = await emitAck(s, 'typingIndicator', { roomId: room, isTyping: i % 2 === 0 });
      if (res && res.error) limited = res.error;
    }
    assert.ok(limited, 'thirty typing changes in a row were never limited at 2/s');
    assert.equal(limited.type, 'rate_limit');
    assert.equal(limited.event, 'typingIndicator');
    assert.ok(limited.retryAfterMs > 0);
  });
});

describe('new connections per IP', { skip: SKIP }, () => {
  const server = scopedServer({ CHATD_RATE_CONNECTIONS: '2' });

  test('a burst of connections from one IP is refused with rate_limit', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, async () => {
      const socket = server.client(uid('u'));
      return new Promise((resolve) => {
        socket.once('connect', () => resolve({ ok: true }));
        socket.once('connect_error', (err) => resolve({ ok: false, err }));
      });
    }));
    const refused = results.filter((r) => !r.ok);
    assert.ok(refused.length > 0, 'twenty simultaneous connections at 2/s were all accepted');
    assert.ok(results.some((r) => r.ok), 'no connection was accepted at all');
    for (const { err } of refused) {
      assert.equal(err.data?.type, 'rate_limit', `${err.message} ${JSON.stringify(err.data)}`);
      assert.ok(err.data.retryAfterMs > 0, JSON.stringify(err.data));
    }
  });
});

describe('flooding and slow consumers', { skip: SKIP }, () => {
  const server = scopedServer({ CHATD_RATE_MESSAGES: '2', CHATD_RATE_BURST: '3', CHATD_SEND_QUEUE: '16' });

  test('a client that keeps flooding past the rate limit is disconnected', async () => {
    const room = uid('r');
    const s = await server.connect(uid('flooder'));
    await join(s, room);
    const gone = waitFor(s, 'disconnect', () => true, 10000);
    for (let i = 0; i < 60 && s.connected; i++) s.emit('sendMessage', { content: `flood ${i}`, roomId: room });
    const reason = await gone;
    assert.notEqual(reason, 'io client disconnect');
    // The server is fine, and so is the next well-behaved client.
    assert.ok(await server.healthy());
    const next = await server.connect(uid('polite'));
    assert.equal((await emitAck(next, 'heartbeat')).ok, true);
  });

  test('a client that stops reading is cut off; the room keeps flowing to the others', async () => {
    const room = uid('r');
    const slowUser = uid('slow');
    const slow = await rawClient(server, slowUser);
    await slow.joinRoom(room);
    slow.ws._socket.pause(); // stop reading: the kernel buffers fill, then chatd's queue

    const reader = await server.connect(uid('reader'));
    await join(reader, room);
    const cut = waitFor(reader, 'userLeftRoom', (d) => d.userId === slowUser, 60000);
    let cutOff = false;
    cut.then(() => { cutOff = true; }, () => {});
    // Writers are separate users, so the message rate limit (per user) is not the bottleneck.
    const content = 'z'.repeat(15000);
    let sent = 0;
    let received = 0;
    reader.on('newMessage', () => { received++; });
    for (let round = 0; round < 400 && !cutOff; round++) {
      const writer = await server.connect(uid('writer'));
      await join(writer, room);
      for (let i = 0; i < 3; i++) await send(writer, room, content);
      sent += 3;
      writer.disconnect();
    }
    await cut;
    assert.ok(sent > 0);
    await sleep(200);
    assert.equal(received, sent, 'a healthy reader missed messages while another was cut off');
    slow.ws.terminate();
  });
});
