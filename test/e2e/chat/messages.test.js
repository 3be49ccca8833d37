// sendMessage (contract §4): receipts, fan-out to every other socket of the room (and only
// that room), optional fields, replies, attachments, metadata, the 16 KiB limit, empty
// content, membership, clientMessageId idempotency; readReceipt and heartbeat.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHATD_ONLY, TIMESTAMP_RE, TRANSPORTS, emitAck, mark, errorOf, join, received, send, settle, sync, tname, uid,
  useServer, waitFor,
} from './harness.js';

const server = useServer();
const LIMIT = 16384;

/** alice (two devices) and bob in a fresh room, carol in another room. */
async function setup(transports) {
  const room = uid('r');
  const other = uid('r');
  const alice = uid('alice');
  const a1 = await server.connect(alice, { transports });
  const a2 = await server.connect(alice, { transports });
  const b = await server.connect(uid('bob'), { transports });
  const c = await server.connect(uid('carol'), { transports });
  for (const s of [a1, a2, b]) await join(s, room);
  await join(c, other);
  return { room, other, alice, a1, a2, b, c };
}

async function refused(socket, payload, code, type = 'validation') {
  const errorEvt = waitFor(socket, 'error', (e) => e.event === 'sendMessage');
  const e = errorOf(await emitAck(socket, 'sendMessage', payload));
  assert.equal(e.type, type, JSON.stringify(e));
  if (Array.isArray(code)) assert.ok(code.includes(e.code), JSON.stringify(e));
  else assert.equal(e.code, code, JSON.stringify(e));
  assert.equal(e.event, 'sendMessage');
  assert.equal(typeof e.message, 'string');
  assert.deepEqual(await errorEvt, e);
  return e;
}

/** A sendMessage payload whose JSON encoding is exactly `bytes` long. */
function payloadOfSize(roomId, bytes) {
  const base = JSON.stringify({ content: '', roomId });
  return { content: 'x'.repeat(bytes - Buffer.byteLength(base)), roomId };
}

for (const transports of TRANSPORTS) {
  describe(`sendMessage (${tname(transports)})`, () => {
    test('receipt shape, and newMessage to every other socket of the room only', async () => {
      const { room, alice, a1, a2, b, c } = await setup(transports);
      const since = mark();
      const toA2 = waitFor(a2, 'newMessage');
      const toB = waitFor(b, 'newMessage');
      const receiptEvt = waitFor(a1, 'messageSent');
      const receipt = await emitAck(a1, 'sendMessage', { content: 'hello', roomId: room });
      assert.deepEqual(Object.keys(receipt).sort(), ['id', 'roomId', 'status', 'timestamp']);
      assert.equal(receipt.status, 'sent');
      assert.equal(receipt.roomId, room);
      assert.equal(typeof receipt.id, 'string');
      assert.match(receipt.timestamp, TIMESTAMP_RE);
      assert.ok(Math.abs(Date.parse(receipt.timestamp) - Date.now()) < 60000, 'timestamp is not now');
      assert.deepEqual(await receiptEvt, receipt);
      const expected = { id: receipt.id, content: 'hello', sender: alice, roomId: room, timestamp: receipt.timestamp };
      // Exactly these keys: the optional ones are omitted, not null.
      assert.deepEqual(await toA2, expected);
      assert.deepEqual(await toB, expected);
      await settle([a1, a2, b, c]);
      assert.deepEqual(received(a1, 'newMessage', () => true, since), [], 'the sending socket got its own message');
      assert.deepEqual(received(c, 'newMessage', () => true, since), [], 'a socket of another room got it');
      assert.equal(received(b, 'newMessage', () => true, since).length, 1);
      assert.equal(received(a2, 'newMessage', () => true, since).length, 1);
    });

    test('ids are unique and sort by creation order within the room; broadcast order is send order', async () => {
      const { room, a1, b } = await setup(transports);
      const got = [];
      b.on('newMessage', (m) => got.push(m));
      const receipts = [];
      for (let i = 0; i < 12; i++) receipts.push(await send(a1, room, `n${i}`));
      // Pipelined sends are handled in order too.
      receipts.push(...await Promise.all(Array.from({ length: 12 }, (_, i) => send(a1, room, `p${i}`))));
      const ids = receipts.map((r) => r.id);
      assert.equal(new Set(ids).size, ids.length);
      assert.deepEqual([...ids].sort(), ids);
      await settle([a1, b]);
      assert.deepEqual(got.map((m) => m.id), ids);
      assert.deepEqual(got.map((m) => m.content), [...Array.from({ length: 12 }, (_, i) => `n${i}`), ...Array.from({ length: 12 }, (_, i) => `p${i}`)]);
    });

    test('replyToId naming a message of the room is kept; unknown or other-room ids are reply_not_found', async () => {
      const { room, other, a1, b, c } = await setup(transports);
      const first = await send(a1, room, 'question');
      const got = waitFor(b, 'newMessage', (m) => m.content === 'answer');
      const r = await send(a1, room, 'answer', { replyToId: first.id });
      const m = await got;
      assert.equal(m.replyToId, first.id);
      assert.equal(m.id, r.id);
      await refused(a1, { content: 'x', roomId: room, replyToId: 'no-such-message' }, 'reply_not_found');
      const elsewhere = await send(c, other, 'elsewhere');
      await refused(a1, { content: 'x', roomId: room, replyToId: elsewhere.id }, 'reply_not_found');
    });

    test('attachments: http and https urls are kept as sent; other schemes are invalid_attachment', async () => {
      const { room, a1, b } = await setup(transports);
      for (const url of ['https://example.com/file.jpg', 'http://example.com/a?b=c#d']) {
        const attachment = { url, type: 'image/jpeg', name: 'image.jpg' };
        const got = waitFor(b, 'newMessage', (m) => m.attachment?.url === url);
        await send(a1, room, 'see attached', { attachment });
        assert.deepEqual((await got).attachment, attachment);
      }
      for (const url of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'data:text/html,<b>x</b>', 'ftp://example.com/f', 'file:///etc/passwd', '//example.com/x', 'example.com/x', '']) {
        await refused(a1, { content: 'x', roomId: room, attachment: { url, type: 'text/html', name: 'x' } }, 'invalid_attachment');
      }
      for (const attachment of ['https://example.com/x', 42, ['https://example.com/x'], { type: 'image/png' }, { url: 42 }]) {
        await refused(a1, { content: 'x', roomId: room, attachment }, 'invalid_attachment');
      }
    });

    test('empty content is refused unless there is an attachment', async () => {
      const { room, a1, b } = await setup(transports);
      for (const content of ['', '   ', '\n\t ']) {
        await refused(a1, { content, roomId: room }, 'invalid_content');
      }
      await refused(a1, { roomId: room }, ['invalid_content', 'invalid_payload']);
      const attachment = { url: 'https://example.com/f.png', type: 'image/png', name: 'f.png' };
      const got = waitFor(b, 'newMessage');
      const r = await send(a1, room, '', { attachment });
      const m = await got;
      assert.equal(m.id, r.id);
      assert.equal(m.content, '');
      assert.deepEqual(m.attachment, attachment);
    });

    test('metadata objects round-trip unchanged; non-objects are refused', async () => {
      const { room, a1, b } = await setup(transports);
      const metadata = { customField: 'value', n: 1.5, nested: { list: [1, 'two', null, true], emoji: 'héllo 👋' }, empty: {} };
      const got = waitFor(b, 'newMessage', (m) => m.content === 'meta');
      await send(a1, room, 'meta', { metadata });
      assert.deepEqual((await got).metadata, metadata);
      for (const bad of ['string', 42, [1, 2], true]) {
        const e = await refused(a1, { content: 'x', roomId: room, metadata: bad }, 'invalid_metadata');
        assert.equal(e.type, 'validation');
      }
    });

    test('content is kept byte for byte (unicode, markup, control characters)', async () => {
      const { room, a1, b } = await setup(transports);
      const content = 'héllo 👋 <script>alert("x")</script> & "quotes" \\ \u2028\u2029 \u0001 tab\tnewline\n 中文';
      const got = waitFor(b, 'newMessage');
      await send(a1, room, content);
      assert.equal((await got).content, content);
    });

    test('the whole payload may be 16 KiB as JSON; one byte more is content_too_large', async () => {
      const { room, a1, b } = await setup(transports);
      const atLimit = payloadOfSize(room, LIMIT);
      assert.equal(Buffer.byteLength(JSON.stringify(atLimit)), LIMIT);
      const got = waitFor(b, 'newMessage');
      const r = await emitAck(a1, 'sendMessage', atLimit);
      assert.equal(r.status, 'sent', JSON.stringify(r).slice(0, 200));
      assert.equal((await got).content.length, atLimit.content.length);
      await refused(a1, payloadOfSize(room, LIMIT + 1), 'content_too_large');
      await refused(a1, payloadOfSize(room, 64 * 1024), 'content_too_large');
      // Multi-byte characters count as their UTF-8 bytes; metadata counts too.
      await refused(a1, { content: 'é'.repeat(8200), roomId: room }, 'content_too_large');
      await refused(a1, { content: 'x', roomId: room, metadata: { pad: 'y'.repeat(LIMIT) } }, 'content_too_large');
      await settle([a1, b]);
      const { messages } = await sync(b, { roomId: room });
      assert.deepEqual(messages.map((m) => m.id), [r.id], 'a refused message was stored');
    });

    test('sending to a room not joined is not_in_room, and nothing is delivered', async () => {
      const { room, b } = await setup(transports);
      const stranger = await server.connect(uid('stranger'), { transports });
      const since = mark();
      await refused(stranger, { content: 'x', roomId: room }, 'not_in_room');
      await settle([stranger, b]);
      assert.deepEqual(received(b, 'newMessage', () => true, since), []);
    });

    test('clientMessageId: a resend returns the original receipt and stores/broadcasts nothing new', async () => {
      const { room, other, alice, a1, a2, b } = await setup(transports);
      const since = mark();
      const clientMessageId = `cm-${uid('x')}`;
      const first = await send(a1, room, 'once', { clientMessageId });
      assert.deepEqual(Object.keys(first).sort(), ['clientMessageId', 'id', 'roomId', 'status', 'timestamp']);
      assert.equal(first.clientMessageId, clientMessageId);
      // Same user, same room, same key — from the same socket and from the user's other device.
      const againEvt = waitFor(a1, 'messageSent', (r) => r.id === first.id);
      const again = await send(a1, room, 'once', { clientMessageId });
      assert.deepEqual(again, first);
      assert.deepEqual(await againEvt, first);
      assert.deepEqual(await send(a2, room, 'once (other device)', { clientMessageId }), first);
      await settle([a1, a2, b]);
      assert.equal(received(b, 'newMessage', () => true, since).length, 1);
      const { messages } = await sync(b, { roomId: room });
      assert.deepEqual(messages.map((m) => m.id), [first.id]);
      assert.equal(messages[0].content, 'once');

      // The key is scoped to (user, room): another user or another room makes a new message.
      const fromBob = await send(b, room, 'bob', { clientMessageId });
      assert.notEqual(fromBob.id, first.id);
      await join(a1, other);
      const otherRoom = await send(a1, other, 'other room', { clientMessageId });
      assert.notEqual(otherRoom.id, first.id);
      assert.equal(otherRoom.roomId, other);
      assert.equal(alice, a1.user);
    });

    test('clientMessageId must be a string of at most 64 characters', { skip: CHATD_ONLY && 'the Node baseline accepts any clientMessageId' }, async () => {
      const { room, a1, b } = await setup(transports);
      assert.equal((await send(a1, room, 'x', { clientMessageId: 'k'.repeat(64) })).clientMessageId, 'k'.repeat(64));
      for (const clientMessageId of ['k'.repeat(65), 42, {}, ['a'], true, '']) {
        await refused(a1, { content: 'x', roomId: room, clientMessageId }, 'invalid_client_message_id');
      }
      const { messages } = await sync(b, { roomId: room });
      assert.equal(messages.length, 1);
    });
  });

  describe(`readReceipt and heartbeat (${tname(transports)})`, () => {
    test('readReceipt → messageRead to the other sockets of the room', async () => {
      const { room, a1, a2, b, c } = await setup(transports);
      const msg = await send(a1, room, 'read me');
      const since = mark();
      const toA1 = waitFor(a1, 'messageRead');
      const toA2 = waitFor(a2, 'messageRead');
      const ack = await emitAck(b, 'readReceipt', { messageId: msg.id, roomId: room });
      assert.ok(!ack.error, JSON.stringify(ack));
      // The ack is the messageRead payload (or {ok:true}; the contract leaves it open).
      const read = await toA1;
      assert.deepEqual(Object.keys(read).sort(), ['messageId', 'roomId', 'timestamp', 'userId']);
      assert.equal(read.messageId, msg.id);
      assert.equal(read.roomId, room);
      assert.equal(read.userId, b.user);
      assert.match(read.timestamp, TIMESTAMP_RE);
      assert.ok(ack.ok === true || ack.messageId === msg.id, JSON.stringify(ack));
      assert.deepEqual(await toA2, read);
      await settle([a1, b, c]);
      assert.deepEqual(received(b, 'messageRead', () => true, since), [], 'the reader got its own receipt');
      assert.deepEqual(received(c, 'messageRead', () => true, since), []);
    });

    test('readReceipt of an unknown message, or of a message of another room, is message_not_found', async () => {
      const { room, other, a1, b, c } = await setup(transports);
      const elsewhere = await send(c, other, 'elsewhere');
      await send(a1, room, 'here');
      for (const messageId of ['no-such-message', elsewhere.id]) {
        const errorEvt = waitFor(b, 'error');
        const e = errorOf(await emitAck(b, 'readReceipt', { messageId, roomId: room }));
        assert.equal(e.type, 'validation');
        assert.equal(e.code, 'message_not_found');
        assert.equal(e.event, 'readReceipt');
        assert.deepEqual(await errorEvt, e);
      }
    });

    test('readReceipt requires having joined the room', { skip: CHATD_ONLY && 'chatd decision; the Node baseline does not check membership' }, async () => {
      const { room, a1 } = await setup(transports);
      const msg = await send(a1, room, 'x');
      const s = await server.connect(uid('u'), { transports });
      const e = errorOf(await emitAck(s, 'readReceipt', { messageId: msg.id, roomId: room }));
      assert.equal(e.code, 'not_in_room');
    });

    test('heartbeat acks {ok:true, timestamp}', async () => {
      const s = await server.connect(uid('u'), { transports });
      const hb = await emitAck(s, 'heartbeat');
      assert.deepEqual(Object.keys(hb).sort(), ['ok', 'timestamp']);
      assert.equal(hb.ok, true);
      assert.match(hb.timestamp, TIMESTAMP_RE);
      // Without an ack it is accepted silently.
      s.emit('heartbeat');
      await settle([s]);
      assert.deepEqual(received(s, 'error'), []);
    });
  });
}
