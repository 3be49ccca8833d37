// The client document (shared/seed/websocket-api.md), example by example, exactly as a
// client developer would copy it: seed-style clients that listen for response events and
// never pass acks. Placeholders in the examples (tokens, 'room-id', 'message-id') are
// filled with real values; everything else is as written.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import {
  TIMESTAMP_RE, TRANSPORTS, connected, emitAck, mark, received, record, settle, tname, uid, useServer, waitFor,
} from './harness.js';

const server = useServer();

/** The seed's connection example, verbatim apart from the URL and the token. */
function seedSocket(token, extra = {}) {
  const socket = io(server.chatUrl, {
    transports: ['websocket'],
    query: { token },
    forceNew: true,
    reconnection: false,
    ...extra,
  });
  record(socket);
  server.sockets.add(socket);
  return socket;
}

function onceConnected(socket) {
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', (err) => reject(new Error(`connect_error ${err.message} ${JSON.stringify(err.data)}`)));
  });
}

describe('seed: connection and authentication methods', () => {
  test('websocket with query token (the seed example)', async () => {
    const user = uid('alice');
    const socket = seedSocket(server.token(user));
    await onceConnected(socket);
    assert.equal(socket.io.engine.transport.name, 'websocket');
    const room = uid('room-id');
    const joined = waitFor(socket, 'joinedRoom');
    socket.emit('joinRoom', room);
    assert.equal(await joined, room);
  });

  const placements = [
    ['query parameter ?token=', 'query'],
    ['Authorization: Bearer header', 'header'],
    ['cookie token=', 'cookie'],
    ['auth.token (v4 idiom)', 'auth'],
  ];
  for (const transports of [...TRANSPORTS, ['polling', 'websocket']]) {
    for (const [label, via] of placements) {
      test(`${label} over ${tname(transports)}`, async () => {
        const user = uid('u');
        const socket = await server.connect(user, { transports, via });
        const room = uid('r');
        const joined = waitFor(socket, 'joinedRoom');
        socket.emit('joinRoom', room);
        assert.equal(await joined, room);
        // The token identified the user: the sender of a message is the token's sub.
        const peer = await server.connect(uid('peer'), { transports });
        peer.emit('joinRoom', room);
        await waitFor(peer, 'joinedRoom');
        const got = waitFor(peer, 'newMessage');
        socket.emit('sendMessage', { content: 'hi', roomId: room });
        assert.equal((await got).sender, user);
      });
    }
  }
});

for (const transports of TRANSPORTS) {
  describe(`seed: every client and server event as documented (${tname(transports)})`, () => {
    test('joinRoom, sendMessage, typing, presence, readReceipt, heartbeat, sync, leaveRoom', async () => {
      const alice = uid('alice');
      const bob = uid('bob');
      const room = uid('room-id');
      const a = seedSocket(server.token(alice), { transports });
      const b = seedSocket(server.token(bob), { transports });
      await Promise.all([onceConnected(a), onceConnected(b)]);
      const errors = [];
      a.on('error', (e) => errors.push(e));
      b.on('error', (e) => errors.push(e));

      // joinRoom → joinedRoom; the other member sees userJoinedRoom.
      let joined = waitFor(b, 'joinedRoom');
      b.emit('joinRoom', room);
      assert.equal(await joined, room);
      const bSeesJoin = waitFor(b, 'userJoinedRoom', (d) => d.userId === alice);
      joined = waitFor(a, 'joinedRoom');
      a.emit('joinRoom', room);
      assert.equal(await joined, room);
      const uj = await bSeesJoin;
      assert.deepEqual(Object.keys(uj).sort(), ['roomId', 'timestamp', 'userId']);
      assert.equal(uj.roomId, room);
      assert.match(uj.timestamp, TIMESTAMP_RE);

      // A first message, so that the full example can reply to a real message id.
      let sent = waitFor(a, 'messageSent');
      let delivered = waitFor(b, 'newMessage');
      a.emit('sendMessage', { content: 'first', roomId: room });
      const first = await sent;
      assert.equal((await delivered).id, first.id);

      // The full sendMessage example.
      sent = waitFor(a, 'messageSent');
      delivered = waitFor(b, 'newMessage');
      a.emit('sendMessage', {
        content: 'Hello world!',
        roomId: room,
        // Optional fields
        replyToId: first.id,
        attachment: {
          url: 'https://example.com/file.jpg',
          type: 'image/jpeg',
          name: 'image.jpg',
        },
        metadata: {
          // Custom metadata
          customField: 'value',
        },
      });
      const receipt = await sent;
      assert.equal(typeof receipt.id, 'string');
      assert.ok(receipt.id.length > 0);
      assert.match(receipt.timestamp, TIMESTAMP_RE);
      assert.equal(receipt.status, 'sent');
      const message = await delivered;
      assert.deepEqual(message, {
        id: receipt.id,
        content: 'Hello world!',
        sender: alice,
        roomId: room,
        timestamp: receipt.timestamp,
        replyToId: first.id,
        attachment: { url: 'https://example.com/file.jpg', type: 'image/jpeg', name: 'image.jpg' },
        metadata: { customField: 'value' },
      });

      // typingIndicator → userTyping to the others.
      let typing = waitFor(b, 'userTyping', (d) => d.isTyping === true);
      a.emit('typingIndicator', { roomId: room, isTyping: true });
      assert.deepEqual(await typing, { roomId: room, userId: alice, isTyping: true });
      typing = waitFor(b, 'userTyping', (d) => d.isTyping === false);
      a.emit('typingIndicator', { roomId: room, isTyping: false });
      assert.deepEqual(await typing, { roomId: room, userId: alice, isTyping: false });

      // presenceUpdate → presenceUpdate to those sharing a room.
      const presence = waitFor(b, 'presenceUpdate', (d) => d.userId === alice);
      a.emit('presenceUpdate', { status: 'busy' });
      const p = await presence;
      assert.equal(p.status, 'busy');
      assert.match(p.timestamp, TIMESTAMP_RE);

      // readReceipt → messageRead to the others.
      const read = waitFor(a, 'messageRead');
      b.emit('readReceipt', { messageId: receipt.id, roomId: room });
      const r = await read;
      assert.equal(r.messageId, receipt.id);
      assert.equal(r.userId, bob);
      assert.equal(r.roomId, room);
      assert.match(r.timestamp, TIMESTAMP_RE);

      // heartbeat without an ack is accepted silently.
      a.emit('heartbeat');

      // syncMessages → newMessage events, then syncComplete.
      const synced = waitFor(b, 'syncComplete');
      const since = mark();
      b.emit('syncMessages', {
        roomId: room,
        lastMessageId: first.id, // Optional
        limit: 50, // Optional, default is 50
      });
      const done = await synced;
      assert.equal(done.roomId, room);
      assert.equal(done.syncedMessageCount, 1);
      assert.deepEqual(received(b, 'newMessage', (m) => m.roomId === room, since).map((m) => m.id), [receipt.id]);

      // leaveRoom → leftRoom; the other member sees userLeftRoom.
      const left = waitFor(a, 'leftRoom');
      const bSeesLeave = waitFor(b, 'userLeftRoom', (d) => d.userId === alice);
      a.emit('leaveRoom', room);
      assert.equal(await left, room);
      const ul = await bSeesLeave;
      assert.equal(ul.roomId, room);
      assert.match(ul.timestamp, TIMESTAMP_RE);

      await settle([a, b]);
      assert.deepEqual(errors, []);
      // The sender never receives its own broadcasts.
      assert.deepEqual(received(a, 'newMessage'), []);
      assert.deepEqual(received(a, 'userTyping'), []);
    });

    test('the error event reaches a seed-style client', async () => {
      const s = seedSocket(server.token(uid('u')), { transports });
      await onceConnected(s);
      const error = waitFor(s, 'error');
      s.emit('sendMessage', { content: 'not joined', roomId: uid('r') });
      const e = await error;
      assert.equal(e.type, 'validation');
      assert.equal(e.code, 'not_in_room');
      assert.equal(e.event, 'sendMessage');
      assert.equal(typeof e.message, 'string');
    });

    test('seed-style and ack-style clients in the same room', async () => {
      const room = uid('r');
      const seed = seedSocket(server.token(uid('seed')), { transports });
      await onceConnected(seed);
      const acker = await server.connect(uid('ack'), { transports });
      const joined = waitFor(seed, 'joinedRoom');
      seed.emit('joinRoom', room);
      await joined;
      // The ack-style client still gets the response event besides its ack.
      const evt = waitFor(acker, 'joinedRoom');
      assert.equal(await emitAck(acker, 'joinRoom', room), room);
      assert.equal(await evt, room);
      const got = waitFor(seed, 'newMessage');
      const receiptEvt = waitFor(acker, 'messageSent');
      const receipt = await emitAck(acker, 'sendMessage', { content: 'from acker', roomId: room });
      assert.deepEqual(await receiptEvt, receipt);
      assert.equal((await got).id, receipt.id);
    });
  });
}

describe('ack callbacks (plain socket.emit with a function)', () => {
  for (const transports of TRANSPORTS) {
    test(`success payloads and {error} arrive in the callback (${tname(transports)})`, async () => {
      const room = uid('r');
      const s = await server.connect(uid('u'), { transports });
      const call = (event, ...args) => new Promise((resolve) => s.emit(event, ...args, resolve));
      assert.equal(await call('joinRoom', room), room);
      const receipt = await call('sendMessage', { content: 'cb', roomId: room, clientMessageId: 'cb-1' });
      assert.equal(receipt.status, 'sent');
      assert.equal(receipt.clientMessageId, 'cb-1');
      assert.deepEqual(await call('typingIndicator', { roomId: room, isTyping: true }), { ok: true });
      assert.deepEqual(await call('presenceUpdate', { status: 'away' }), { ok: true });
      const hb = await call('heartbeat');
      assert.equal(hb.ok, true);
      const done = await call('syncMessages', { roomId: room });
      assert.equal(done.syncedMessageCount, 1);
      const members = await call('getRoomMembers', { roomId: room });
      assert.deepEqual(members, { roomId: room, members: [{ userId: s.user, status: 'away' }] });
      const refused = await call('sendMessage', { content: '', roomId: room });
      assert.equal(refused.error.code, 'invalid_content');
      assert.equal(await call('leaveRoom', room), room);
    });
  }
});

describe('mixed transports in one room', () => {
  test('websocket, polling and upgraded clients all see each other\'s messages', async () => {
    const room = uid('r');
    const clients = await Promise.all([['websocket'], ['polling'], ['polling', 'websocket']]
      .map((transports) => server.connect(uid(tname(transports)), { transports })));
    for (const c of clients) await emitAck(c, 'joinRoom', room);
    const inboxes = clients.map((c) => {
      const got = [];
      c.on('newMessage', (m) => got.push(m.content));
      return got;
    });
    for (const [i, c] of clients.entries()) {
      for (let k = 0; k < 3; k++) await emitAck(c, 'sendMessage', { content: `${i}:${k}`, roomId: room });
    }
    await settle(clients, 200);
    for (const [i, got] of inboxes.entries()) {
      const expected = clients.flatMap((_, j) => (j === i ? [] : [0, 1, 2].map((k) => `${j}:${k}`)));
      assert.deepEqual(got, expected, `client ${i} (${clients[i].io.engine.transport.name})`);
    }
  });
});

describe('seed: default transports (polling, then upgrade to websocket)', () => {
  test('connects, upgrades, and messages flow before, during and after the upgrade', async () => {
    const room = uid('r');
    const a = server.client(uid('a'), { transports: ['polling', 'websocket'] });
    let initial;
    const upgraded = new Promise((resolve) => a.io.once('open', () => {
      initial = a.io.engine.transport.name;
      a.io.engine.once('upgrade', resolve);
    }));
    await connected(a);
    assert.equal(initial, 'polling');
    const b = await server.connect(uid('b'));
    await emitAck(b, 'joinRoom', room);
    await emitAck(a, 'joinRoom', room);
    const got = [];
    b.on('newMessage', (m) => got.push(m.content));
    // Fire messages while the upgrade is (probably) in progress.
    const early = [];
    for (let i = 0; i < 5; i++) early.push(emitAck(a, 'sendMessage', { content: `m${i}`, roomId: room }));
    await upgraded;
    assert.equal(a.io.engine.transport.name, 'websocket');
    const late = [];
    for (let i = 5; i < 10; i++) late.push(emitAck(a, 'sendMessage', { content: `m${i}`, roomId: room }));
    const receipts = await Promise.all([...early, ...late]);
    for (const r of receipts) assert.equal(r.status, 'sent');
    await settle([a, b]);
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `m${i}`));
  });
});
