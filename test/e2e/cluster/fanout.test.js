// Cross-node fan-out (CHATD_BROKER=redis://…): three chatd processes sharing PostgreSQL
// and Redis; a room's broadcasts reach its members on every node exactly once.
// User-level join/leave, presence and getRoomMembers across nodes need a cluster
// registry and are not tested here.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emitAck, join, received, sleep, uid, useCluster, waitFor } from './harness.js';

/** Time for a relayed broadcast that should not come (or not twice) to show up. */
const SETTLE_MS = 300;

describe('cluster fan-out over Redis', () => {
  const cluster = useCluster(3);
  const [n1, n2, n3] = cluster.nodes;

  /** Connects one user per node and joins them all to a fresh room. */
  async function roomOnEveryNode() {
    const room = uid('room');
    const sockets = [];
    for (const n of [n1, n2, n3]) {
      const s = await n.connect(uid(`u${n.name}`));
      await join(s, room);
      sockets.push(s);
    }
    // Subscriptions are asynchronous; a broadcast right after a join on another node
    // may beat them, so give them a moment.
    await sleep(100);
    return { room, sockets };
  }

  test('a message sent on node 1 reaches members on nodes 2 and 3 exactly once', async () => {
    const { room, sockets: [a, b, c] } = await roomOnEveryNode();
    const c2 = await n3.connect(uid('second'));
    await join(c2, room);
    const outsider = await n2.connect(uid('outsider'));
    await sleep(100);

    const receipt = await emitAck(a, 'sendMessage', { roomId: room, content: 'hello cluster' });
    assert.equal(receipt.status, 'sent', JSON.stringify(receipt));
    for (const s of [b, c, c2]) {
      const m = await waitFor(s, 'newMessage', (m) => m.roomId === room);
      assert.equal(m.content, 'hello cluster');
      assert.equal(m.id, receipt.id);
      assert.equal(m.sender, a.user);
    }
    await sleep(SETTLE_MS);
    for (const s of [b, c, c2]) {
      assert.equal(received(s, 'newMessage', (m) => m.roomId === room).length, 1, `${s.user} got it once`);
    }
    assert.equal(received(a, 'newMessage').length, 0, 'the sender gets its receipt, not newMessage');
    assert.equal(received(outsider, 'newMessage').length, 0, 'a socket outside the room gets nothing');
  });

  test('many messages from every node arrive once each, in each sender\'s order', async () => {
    const { room, sockets } = await roomOnEveryNode();
    const perSender = 20;
    await Promise.all(sockets.map(async (s, i) => {
      for (let k = 0; k < perSender; k++) {
        await emitAck(s, 'sendMessage', { roomId: room, content: `${i}:${k}` });
      }
    }));
    for (const [i, s] of sockets.entries()) {
      const want = 2 * perSender;
      const deadline = Date.now() + 5000;
      while (received(s, 'newMessage', (m) => m.roomId === room).length < want && Date.now() < deadline) {
        await sleep(20);
      }
      await sleep(i === 0 ? SETTLE_MS : 0);
      const got = received(s, 'newMessage', (m) => m.roomId === room).map((m) => m.content);
      assert.equal(got.length, want, `${s.user}: ${got.length} messages, want ${want}`);
      assert.equal(new Set(got).size, want, `${s.user}: duplicates in ${got}`);
      for (const [j] of sockets.entries()) {
        if (j === i) continue;
        const fromJ = got.filter((c) => c.startsWith(`${j}:`));
        assert.deepEqual(fromJ, Array.from({ length: perSender }, (_, k) => `${j}:${k}`), `order from sender ${j}`);
      }
    }
  });

  test('read receipts and typing cross nodes', async () => {
    const { room, sockets: [a, b, c] } = await roomOnEveryNode();
    const receipt = await emitAck(a, 'sendMessage', { roomId: room, content: 'read me' });
    const msg = await waitFor(c, 'newMessage', (m) => m.roomId === room);

    const ack = await emitAck(c, 'readReceipt', { roomId: room, messageId: msg.id });
    assert.ok(!ack?.error, JSON.stringify(ack));
    for (const s of [a, b]) {
      const r = await waitFor(s, 'messageRead', (r) => r.roomId === room);
      assert.equal(r.messageId, msg.id);
      assert.equal(r.userId, c.user);
    }

    await emitAck(b, 'typingIndicator', { roomId: room, isTyping: true });
    for (const s of [a, c]) {
      const t = await waitFor(s, 'userTyping', (t) => t.roomId === room && t.isTyping);
      assert.equal(t.userId, b.user);
    }
    await emitAck(b, 'typingIndicator', { roomId: room, isTyping: false });
    for (const s of [a, c]) {
      await waitFor(s, 'userTyping', (t) => t.roomId === room && !t.isTyping);
    }
    await sleep(SETTLE_MS);
    for (const s of [a, c]) {
      assert.equal(received(s, 'messageRead', (r) => r.roomId === room).length, s === c ? 0 : 1);
      assert.equal(received(s, 'userTyping', (t) => t.roomId === room && t.userId === b.user).length, 2);
    }
    assert.equal(receipt.id, msg.id);
  });

  test('syncMessages on node 3 returns what node 1 stored', async () => {
    const room = uid('room');
    const a = await n1.connect(uid('writer'));
    await join(a, room);
    const ids = [];
    for (let k = 0; k < 5; k++) {
      const r = await emitAck(a, 'sendMessage', { roomId: room, content: `m${k}` });
      assert.equal(r.status, 'sent');
      ids.push(r.id);
    }
    const c = await n3.connect(uid('reader'));
    await join(c, room);
    const complete = await emitAck(c, 'syncMessages', { roomId: room });
    assert.ok(!complete?.error, JSON.stringify(complete));
    assert.equal(complete.syncedMessageCount, 5, JSON.stringify(complete));
    const got = received(c, 'newMessage', (m) => m.roomId === room);
    assert.deepEqual(got.map((m) => m.content), ['m0', 'm1', 'm2', 'm3', 'm4']);
    assert.deepEqual(got.map((m) => m.id), ids);
  });

  test('every node reports ready on /readyz', async () => {
    for (const n of cluster.nodes) assert.ok(await n.ready(), `${n.name} not ready`);
  });
});
