// Durability (contract §4 sendMessage/syncMessages, §6 SIGTERM): an acknowledged message is
// stored, so it survives a graceful restart and a `kill -9`, and sync after the restart
// returns it with the same id, in order, with no gaps or duplicates. Also the seed's
// `disconnect` handler across a server restart. The Node baseline keeps messages in memory,
// so the durability tests are chatd-only.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import {
  CHATD_ONLY, emitAck, isChatd, join, record, send, sync, uid, useServer, waitFor,
} from './harness.js';

const NOT_DURABLE = CHATD_ONLY && 'the Node baseline stores messages in memory only';
const server = useServer();

/** Every message of room in order (the rooms here stay below one sync page of 200). */
async function history(socket, roomId) {
  const { messages } = await sync(socket, { roomId, limit: 200 });
  assert.ok(messages.length < 200, 'history helper needs paging for this room');
  return messages;
}

async function restart(signal) {
  const res = await server.stop(signal);
  await server.start();
  return res;
}

describe('restarts', () => {
  test('acknowledged messages survive a SIGTERM restart, with the same ids, order and fields', { skip: NOT_DURABLE }, async () => {
    const room = uid('r');
    const alice = uid('alice');
    const a = await server.connect(alice);
    await join(a, room);
    const receipts = [];
    for (let i = 0; i < 20; i++) {
      const extra = i === 5 ? { metadata: { k: 'v', n: [1, 2] }, attachment: { url: 'https://example.com/a.png', type: 'image/png', name: 'a.png' } } : {};
      if (i === 6) extra.replyToId = receipts[5].id;
      if (i === 7) extra.clientMessageId = 'client-7';
      receipts.push(await send(a, room, `msg ${i} ✓`, extra));
    }
    const before = await history(a, room);
    assert.equal(before.length, 20);

    const res = await restart('SIGTERM');
    assert.equal(res.code, 0, `exit after SIGTERM: ${JSON.stringify(res)}\n${server.logTail()}`);

    const b = await server.connect(alice);
    await join(b, room);
    const after = await history(b, room);
    assert.deepEqual(after, before, 'history changed across the restart');
    assert.deepEqual(after.map((m) => m.id), receipts.map((r) => r.id));
    assert.deepEqual(after.map((m) => m.timestamp), receipts.map((r) => r.timestamp));

    // Sync from an id issued before the restart.
    const tail = await sync(b, { roomId: room, lastMessageId: receipts[14].id });
    assert.deepEqual(tail.messages.map((m) => m.id), receipts.slice(15).map((r) => r.id));
    // New ids keep sorting after the old ones; replies to old messages work.
    const next = await send(b, room, 'after restart', { replyToId: receipts[0].id });
    assert.ok(next.id > receipts.at(-1).id, `${next.id} does not sort after ${receipts.at(-1).id}`);
    // An idempotent resend from before the restart is still recognised.
    assert.deepEqual(await send(b, room, 'msg 7 ✓', { clientMessageId: 'client-7' }), receipts[7]);
    const final = await history(b, room);
    assert.deepEqual(final.map((m) => m.id), [...receipts.map((r) => r.id), next.id]);
    // A read receipt on a message from before the restart.
    const ack = await emitAck(b, 'readReceipt', { messageId: receipts[3].id, roomId: room });
    assert.ok(!ack.error, JSON.stringify(ack));
  });

  for (const signal of ['SIGKILL', 'SIGTERM']) {
    test(`every acknowledged message survives ${signal} during a burst of sends`, { skip: NOT_DURABLE }, async () => {
      const room = uid('r');
      const user = uid('u');
      const a = await server.connect(user, { io: { timeout: 2000 } });
      await join(a, room);
      const acked = [];
      const N = 150;
      let killed = false;
      const sends = [];
      for (let i = 0; i < N; i++) {
        sends.push(a.timeout(8000).emitWithAck('sendMessage', { content: `burst ${i}`, roomId: room, clientMessageId: `b${i}` })
          .then((r) => {
            if (r && r.status === 'sent') acked.push({ i, ...r });
            if (acked.length === 40 && !killed) { killed = true; server.child.kill(signal); }
          }, () => {}));
      }
      await Promise.all(sends);
      assert.ok(killed, `only ${acked.length} acks before the end`);
      await server.stop(signal).catch(() => {});
      await server.start();

      const b = await server.connect(user);
      await join(b, room);
      const after = await history(b, room);
      const ids = after.map((m) => m.id);
      assert.equal(new Set(ids).size, ids.length, 'duplicates after restart');
      assert.deepEqual([...ids].sort(), ids, 'ids out of order after restart');
      const index = new Map(after.map((m, pos) => [m.id, pos]));
      for (const r of acked) {
        assert.ok(index.has(r.id), `acknowledged message ${r.i} (${r.id}) lost by ${signal}`);
        assert.equal(after[index.get(r.id)].content, `burst ${r.i}`);
      }
      // Stored messages are in send order (one socket's events are handled in order).
      const order = after.map((m) => Number(m.content.split(' ')[1]));
      assert.deepEqual([...order].sort((x, y) => x - y), order);
      // Resending every message (as a reconnecting client would) duplicates nothing.
      for (let i = 0; i < N; i++) {
        const r = await send(b, room, `burst ${i}`, { clientMessageId: `b${i}` });
        const old = acked.find((x) => x.i === i);
        if (old) assert.equal(r.id, old.id);
      }
      const final = await history(b, room);
      assert.equal(final.length, N);
      assert.deepEqual(final.map((m) => m.content).sort(), Array.from({ length: N }, (_, i) => `burst ${i}`).sort());
    });
  }

  test('the seed\'s disconnect handler gets the client back after a server restart', async () => {
    const user = uid('u');
    const room = uid('r');
    // The seed's connection and reconnection options, and its disconnect handler verbatim.
    const socket = record(io(server.chatUrl, {
      transports: ['websocket'],
      query: { token: server.token(user) },
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 30000,
      randomizationFactor: 0.5,
      forceNew: true,
    }));
    socket.user = user;
    server.sockets.add(socket);
    const reasons = [];
    socket.on('disconnect', (reason) => {
      reasons.push(reason);
      if (reason === 'io server disconnect') {
        // The disconnection was initiated by the server, you need to reconnect manually
        socket.connect();
      }
      // else the socket will automatically try to reconnect
    });
    let connects = 0;
    socket.on('connect', () => { connects++; });
    await waitFor(socket, 'connect', () => true, 5000);
    await join(socket, room);

    const res = await server.stop('SIGTERM');
    if (isChatd) assert.equal(res.code, 0, `exit after SIGTERM: ${JSON.stringify(res)}\n${server.logTail()}`);
    await server.start();
    const back = connects >= 2 ? null : waitFor(socket, 'connect', () => true, 15000);
    await back;
    assert.equal(reasons.length, 1, JSON.stringify(reasons));
    await join(socket, room);
    assert.equal((await emitAck(socket, 'heartbeat')).ok, true);
  });

  test('/metrics serves Prometheus text with chatd metrics', { skip: CHATD_ONLY }, async () => {
    const res = await fetch(`${server.url}/metrics`);
    const body = await res.text();
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain|openmetrics/);
    assert.match(body, /^chatd_/m);
  });

  test('/healthz and /readyz answer 200 while serving', async () => {
    for (const p of ['/healthz', '/readyz']) {
      const res = await fetch(`${server.url}${p}`);
      await res.arrayBuffer();
      assert.equal(res.status, 200, p);
    }
  });
});
