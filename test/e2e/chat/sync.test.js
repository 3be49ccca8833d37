// syncMessages (contract §4) and the seed's "Reconnection Strategy": newest `limit` without
// lastMessageId, everything after lastMessageId oldest first, paging with hasMore with no
// gaps or duplicates, limits, and a client that reconnects through socket.io's own
// reconnection and gets exactly the messages it missed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import {
  CHATD_ONLY, TRANSPORTS, collect, emitAck, errorOf, join, mark, received, record, send, settle, sleep, sync, tname, uid,
  useServer, waitFor,
} from './harness.js';

const server = useServer();

/** A room with n messages from a writer; returns the receipts in order and a reader in the room. */
async function roomWith(n, transports) {
  const room = uid('r');
  const writer = await server.connect(uid('w'), { transports });
  const reader = await server.connect(uid('reader'), { transports });
  await join(writer, room);
  await join(reader, room);
  const live = collect(reader, 'newMessage', (m) => m.roomId === room);
  const receipts = [];
  // Pipelined in chunks: one socket's events are handled in order, so ids follow this order.
  for (let i = 0; i < n; i += 25) {
    const chunk = [];
    for (let j = i; j < Math.min(n, i + 25); j++) chunk.push(send(writer, room, `m${j}`));
    receipts.push(...await Promise.all(chunk));
  }
  // Quiesce: the reader has had every live broadcast, so later syncs see only sync output.
  for (let t = 0; live.length < n && t < 100; t++) await sleep(20);
  live.stop();
  assert.equal(live.length, n, 'live broadcasts missing');
  return { room, writer, reader, ids: receipts.map((r) => r.id) };
}

for (const transports of TRANSPORTS) {
  describe(`syncMessages (${tname(transports)})`, () => {
    test('without lastMessageId: the newest `limit` messages, oldest first, then syncComplete', async () => {
      const { room, reader, ids } = await roomWith(7, transports);
      const { messages, complete } = await sync(reader, { roomId: room, limit: 3 });
      assert.deepEqual(messages.map((m) => m.id), ids.slice(4));
      assert.deepEqual(messages.map((m) => m.content), ['m4', 'm5', 'm6']);
      assert.deepEqual(Object.keys(complete).sort(), ['hasMore', 'lastMessageId', 'roomId', 'syncedMessageCount']);
      assert.equal(complete.roomId, room);
      assert.equal(complete.syncedMessageCount, 3);
      assert.equal(complete.lastMessageId, ids[6]);
      assert.equal(typeof complete.hasMore, 'boolean');
      // Synced messages have the shape of live ones.
      for (const m of messages) {
        assert.deepEqual(Object.keys(m).sort(), ['content', 'id', 'roomId', 'sender', 'timestamp']);
      }
    });

    test('with lastMessageId: the messages after it; paging with hasMore until complete', async () => {
      const { room, reader, ids } = await roomWith(11, transports);
      const seen = [];
      let last = ids[0];
      let pages = 0;
      for (;;) {
        const { messages, complete } = await sync(reader, { roomId: room, lastMessageId: last, limit: 3 });
        pages++;
        assert.equal(complete.syncedMessageCount, messages.length);
        seen.push(...messages.map((m) => m.id));
        if (messages.length) assert.equal(complete.lastMessageId, messages.at(-1).id);
        else assert.equal(complete.lastMessageId, last);
        last = complete.lastMessageId;
        if (!complete.hasMore) break;
        assert.equal(messages.length, 3, 'hasMore with a short page');
        assert.ok(pages < 10, 'paging does not end');
      }
      assert.deepEqual(seen, ids.slice(1), 'gaps, duplicates or wrong order');
      // From the newest id: nothing, hasMore false, lastMessageId echoed.
      const { messages, complete } = await sync(reader, { roomId: room, lastMessageId: ids.at(-1) });
      assert.deepEqual(messages, []);
      assert.deepEqual(complete, { roomId: room, syncedMessageCount: 0, hasMore: false, lastMessageId: ids.at(-1) });
    });

    test('seed-style: newMessage events then syncComplete, without an ack', async () => {
      const { room, reader, ids } = await roomWith(4, transports);
      const since = mark();
      const done = waitFor(reader, 'syncComplete', (d) => d.roomId === room);
      reader.emit('syncMessages', { roomId: room, lastMessageId: ids[1] });
      const complete = await done;
      assert.equal(complete.syncedMessageCount, 2);
      assert.equal(complete.hasMore, false);
      // Every newMessage of the sync arrives before syncComplete.
      const order = reader.log.filter((e) => e.seq > since).map((e) => (e.event === 'newMessage' ? e.args[0].id : e.event));
      assert.deepEqual(order, [ids[2], ids[3], 'syncComplete']);
    });

    test('limit defaults to 50', async () => {
      const { room, reader, ids } = await roomWith(53, transports);
      const first = await sync(reader, { roomId: room, lastMessageId: ids[0] });
      assert.equal(first.messages.length, 50);
      assert.equal(first.complete.hasMore, true);
      assert.deepEqual(first.messages.map((m) => m.id), ids.slice(1, 51));
      const latest = await sync(reader, { roomId: room });
      assert.deepEqual(latest.messages.map((m) => m.id), ids.slice(3));
    });

    test('an empty room syncs nothing', async () => {
      const room = uid('r');
      const s = await server.connect(uid('u'), { transports });
      await join(s, room);
      const { messages, complete } = await sync(s, { roomId: room });
      assert.deepEqual(messages, []);
      assert.equal(complete.syncedMessageCount, 0);
      assert.equal(complete.hasMore, false);
      assert.equal(complete.lastMessageId ?? null, null);
    });

    test('an unknown lastMessageId, or one of another room, is message_not_found', async () => {
      const { room, reader } = await roomWith(2, transports);
      const other = await roomWith(1, transports);
      for (const lastMessageId of ['no-such-message', other.ids[0]]) {
        const errorEvt = waitFor(reader, 'error');
        const e = errorOf(await emitAck(reader, 'syncMessages', { roomId: room, lastMessageId }));
        assert.equal(e.type, 'validation');
        assert.equal(e.code, 'message_not_found');
        assert.equal(e.event, 'syncMessages');
        assert.deepEqual(await errorEvt, e);
      }
    });

    test('syncMessages requires having joined the room', async () => {
      const { room } = await roomWith(1, transports);
      const s = await server.connect(uid('u'), { transports });
      const e = errorOf(await emitAck(s, 'syncMessages', { roomId: room }));
      assert.equal(e.type, 'validation');
      assert.equal(e.code, 'not_in_room');
    });

    test('join then sync in one go: events of a socket are handled in order', async () => {
      const { room, ids } = await roomWith(3, transports);
      const s = await server.connect(uid('u'), { transports });
      const done = waitFor(s, 'syncComplete');
      s.emit('joinRoom', room);
      s.emit('syncMessages', { roomId: room });
      const complete = await done;
      assert.equal(complete.syncedMessageCount, 3);
      assert.deepEqual(received(s, 'newMessage').map((m) => m.id), ids);
    });
  });
}

describe('syncMessages limits', () => {
  test('limit above 200 is capped at 200', async () => {
    const { room, reader, ids } = await roomWith(203, ['websocket']);
    const { messages, complete } = await sync(reader, { roomId: room, lastMessageId: ids[0], limit: 1000 });
    assert.equal(messages.length, 200);
    assert.equal(complete.hasMore, true);
    assert.deepEqual(messages.map((m) => m.id), ids.slice(1, 201));
  });

  test('a non-integer or non-positive limit is invalid_limit', { skip: CHATD_ONLY && 'the Node baseline falls back to the default' }, async () => {
    const { room, reader } = await roomWith(1, ['websocket']);
    for (const limit of [0, -1, 1.5, 'ten', [5], {}, true]) {
      const e = errorOf(await emitAck(reader, 'syncMessages', { roomId: room, limit }));
      assert.equal(e.type, 'validation');
      assert.equal(e.code, 'invalid_limit', JSON.stringify(limit));
    }
  });
});

for (const transports of TRANSPORTS) {
  describe(`seed Reconnection Strategy (${tname(transports)})`, () => {
    test('reconnect via socket.io reconnection, rejoin, sync from the last known id: exactly the missed messages', async () => {
      const room = uid('r');
      const user = uid('mobile');
      const myRooms = [room];
      const lastKnown = new Map();
      const getLastKnownMessageId = (roomId) => lastKnown.get(roomId);

      // The seed's options (URL, token and the chatd-unrelated forceNew aside).
      const socket = record(io(server.chatUrl, {
        transports,
        query: { token: server.token(user) },
        reconnection: true,
        reconnectionAttempts: Infinity,
        reconnectionDelay: 1000, // Start with 1s delay
        reconnectionDelayMax: 30000, // Maximum delay of 30s
        randomizationFactor: 0.5, // Add randomization to prevent all clients reconnecting at once
        forceNew: true,
      }));
      socket.user = user;
      server.sockets.add(socket);
      const inbox = [];
      socket.on('newMessage', (m) => { inbox.push(m); lastKnown.set(m.roomId, m.id); });
      // socket.io-client v4 emits 'reconnect' on the Manager (socket.io), not on the socket
      // as the seed's snippet has it; the handler body is the seed's.
      let reconnects = 0;
      socket.io.on('reconnect', (attemptNumber) => {
        reconnects = attemptNumber;
        // Re-join all rooms after reconnection
        myRooms.forEach((roomId) => socket.emit('joinRoom', roomId));
        // Sync missed messages
        myRooms.forEach((roomId) => {
          socket.emit('syncMessages', { roomId, lastMessageId: getLastKnownMessageId(roomId) });
        });
      });
      await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('connect_error', reject); });
      await join(socket, room);

      const writer = await server.connect(uid('writer'), { transports });
      await join(writer, room);
      const live = [await send(writer, room, 'live 1'), await send(writer, room, 'live 2')];
      await settle([writer, socket]);
      assert.deepEqual(inbox.map((m) => m.id), live.map((r) => r.id));

      // The connection drops (not a server disconnect: the client will reconnect by itself).
      const gone = waitFor(writer, 'userLeftRoom', (d) => d.userId === user);
      const reason = waitFor(socket, 'disconnect');
      const dropped = mark();
      socket.io.engine.close();
      // engine.close() reports 'forced close'; what matters is that socket.io treats it as
      // a lost connection and reconnects by itself (unlike 'io server/client disconnect').
      assert.ok(!['io server disconnect', 'io client disconnect'].includes(await reason));
      await gone; // the server has noticed: what follows is missed

      const missed = [];
      for (let i = 0; i < 3; i++) missed.push(await send(writer, room, `missed ${i}`));

      const complete = await waitFor(socket, 'syncComplete', (d) => d.roomId === room, 20000).catch((err) => {
        err.message += `; connected=${socket.connected} reconnects=${reconnects} since the drop: `
          + JSON.stringify(socket.log.filter((e) => e.seq > dropped).map((e) => [e.event, e.args[0]])).slice(0, 1500);
        throw err;
      });
      assert.ok(reconnects >= 1);
      assert.equal(complete.syncedMessageCount, 3);
      assert.equal(complete.hasMore, false);
      assert.equal(complete.lastMessageId, missed.at(-1).id);
      assert.deepEqual(inbox.map((m) => m.id), [...live, ...missed].map((r) => r.id), 'missed messages not exactly delivered');
      assert.deepEqual(inbox.slice(2).map((m) => m.content), ['missed 0', 'missed 1', 'missed 2']);

      // Back to live delivery after the sync.
      const after = await send(writer, room, 'after');
      await settle([writer, socket]);
      assert.equal(inbox.at(-1).id, after.id);
      assert.equal(inbox.length, 6);
    });
  });
}
