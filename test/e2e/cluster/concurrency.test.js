// Concurrent senders on every node of a three-node cluster, all in ONE room: every
// receiver on every node sees every message exactly once and each sender's messages in
// the order sent, and every node's syncMessages returns the same single gap-free order
// (ids ascending as strings, room sequence numbers consecutive), which agrees with what
// the receivers saw live, sender by sender.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join, received, send, seqOf, sleep, syncAll, uid, useCluster, waitUntil } from './harness.js';

const SENDERS_PER_NODE = 5;
const MESSAGES_PER_SENDER = 100;
/** Messages of one sender awaiting their ack at once. */
const IN_FLIGHT = 8;
/** Time for a duplicate to show up once the expected number of messages arrived. */
const SETTLE_MS = 300;

/**
 * Sends contents to room from socket with up to window unacknowledged at once and returns
 * the receipts in content order. Each send is emitted in the same tick as its index is
 * taken, so the emission order is the content order.
 */
async function sendPipelined(socket, room, contents, window) {
  const receipts = new Array(contents.length);
  let next = 0;
  const lane = async () => {
    while (next < contents.length) {
      const k = next++;
      receipts[k] = await send(socket, room, contents[k], 30_000);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return receipts;
}

describe('concurrent senders on three nodes, one room', () => {
  const cluster = useCluster(3);

  test('every receiver sees every message once, in each sender\'s order, and every node stores one order', {
    timeout: 60_000,
  }, async () => {
    const room = uid('room');
    const starter = await cluster.nodes[0].connect(uid('starter'));
    await join(starter, room);
    // The first message of the room: syncMessages after it returns the whole test traffic.
    const marker = await send(starter, room, 'start');

    const senders = [];
    const listeners = [];
    for (const n of cluster.nodes) {
      for (let i = 0; i < SENDERS_PER_NODE; i++) {
        const s = await n.connect(uid(`s-${n.name}-${i}`));
        await join(s, room);
        senders.push(s);
      }
      const l = await n.connect(uid(`listen-${n.name}`));
      await join(l, room);
      listeners.push(l);
    }
    // Room subscriptions on the broker are asynchronous: let them settle before traffic.
    await sleep(200);

    const contentsOf = (s) => Array.from({ length: MESSAGES_PER_SENDER }, (_, k) => `${s.user}#${k}`);
    const receipts = await Promise.all(senders.map((s) => sendPipelined(s, room, contentsOf(s), IN_FLIGHT)));

    const total = senders.length * MESSAGES_PER_SENDER;
    const acked = new Map(); // id → content
    senders.forEach((s, i) => {
      const contents = contentsOf(s);
      receipts[i].forEach((r, k) => acked.set(r.id, contents[k]));
      const ids = receipts[i].map((r) => r.id);
      assert.deepEqual(ids, [...ids].sort(), `${s.user}: receipts' ids not ascending in send order`);
    });
    assert.equal(acked.size, total, 'every receipt has its own id');

    // Live: each socket gets every message but its own, exactly once.
    const inRoom = (m) => m.roomId === room;
    const expected = (sock) => (senders.includes(sock) ? total - MESSAGES_PER_SENDER : total);
    const receivers = [...senders, ...listeners];
    await waitUntil(() => receivers.every((r) => received(r, 'newMessage', inRoom).length >= expected(r)),
      30_000, 'every receiver has every message').catch((err) => {
      const counts = receivers.map((r) => `${r.user}@${r.node.name}=${received(r, 'newMessage', inRoom).length}`);
      throw new Error(`${err.message}; want ${total} (senders ${total - MESSAGES_PER_SENDER}): ${counts.join(' ')}`);
    });
    await sleep(SETTLE_MS);
    // Taken before syncMessages, which delivers newMessage events too.
    const live = new Map(receivers.map((r) => [r, received(r, 'newMessage', inRoom)]));
    for (const r of receivers) {
      const got = live.get(r);
      assert.equal(got.length, expected(r), `${r.user}@${r.node.name}: ${got.length} messages`);
      assert.equal(new Set(got.map((m) => m.id)).size, got.length, `${r.user}: a message arrived twice`);
      for (const m of got) {
        assert.equal(m.content, acked.get(m.id), `${r.user}: ${m.id} is not a message the senders were acked`);
        assert.notEqual(m.sender, r.user, `${r.user}: got its own message as newMessage`);
      }
      for (const s of senders) {
        if (s === r) continue;
        const fromS = got.filter((m) => m.sender === s.user).map((m) => m.content);
        assert.deepEqual(fromS, contentsOf(s), `${r.user}@${r.node.name}: messages of ${s.user} out of order`);
      }
    }

    // Stored: the same sequence on every node, in one gap-free order.
    const stored = [];
    for (const l of listeners) stored.push(await syncAll(l, room, marker.id));
    const ids = stored[0].map((m) => m.id);
    for (const [i, list] of stored.entries()) {
      assert.deepEqual(list.map((m) => m.id), ids, `syncMessages on ${listeners[i].node.name} differs from node1`);
    }
    assert.equal(ids.length, total, `stored ${ids.length} messages after the marker, want ${total}`);
    assert.deepEqual(ids, [...ids].sort(), 'stored ids do not sort as strings in room order');
    ids.forEach((id, i) => assert.equal(seqOf(id), seqOf(marker.id) + 1 + i, `gap or repeat at ${id}`));
    assert.deepEqual(new Set(ids), new Set(acked.keys()), 'stored messages differ from the acknowledged ones');

    // Live order per sender is the stored order per sender.
    for (const r of receivers) {
      for (const s of senders) {
        if (s === r) continue;
        const storedFromS = stored[0].filter((m) => m.sender === s.user).map((m) => m.id);
        assert.deepEqual(live.get(r).filter((m) => m.sender === s.user).map((m) => m.id), storedFromS,
          `${r.user}: live order of ${s.user} differs from the stored order`);
      }
    }
  });
});
