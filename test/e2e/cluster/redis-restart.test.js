// Redis restart under traffic: the cluster runs on a private redis-server, which is
// killed (SIGKILL, all keys lost) for about two seconds while publishers on the three
// nodes keep sending. Nodes report 503 on /readyz while Redis is down and 200 after;
// rooms local to one node keep working; cross-node delivery resumes after the restart;
// every acknowledged message is stored once, in one gap-free order that every node's
// syncMessages returns; receivers recover what they missed with syncMessages from the
// last message they hold before a gap in the room sequence.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  emitAck, join, received, send, seqOf, sleep, syncAll, uid, useCluster, waitFor, waitUntil,
} from './harness.js';

/** How long Redis stays down. */
const OUTAGE_MS = 2000;
/** Pause between two sends of one publisher. */
const SEND_EVERY_MS = 20;

/** Sends to room from socket until stopped; every acknowledged receipt lands in acked. */
function publisher(socket, room) {
  const p = { acked: [], errors: [], stopped: false };
  p.done = (async () => {
    for (let k = 0; !p.stopped; k++) {
      const sentAt = Date.now();
      try {
        p.acked.push({ ...(await send(socket, room, `${socket.user}#${k}`, 5000)), at: Date.now(), sentAt });
      } catch (err) {
        p.errors.push(err.message);
      }
      await sleep(SEND_EVERY_MS);
    }
  })();
  p.stop = () => { p.stopped = true; return p.done; };
  return p;
}

/** Ids of the room's newMessage events socket received (live, or by sync). */
const idsOf = (socket, room) => received(socket, 'newMessage', (m) => m.roomId === room).map((m) => m.id);

/**
 * The id up to which ids hold the room's messages without a gap in the sequence,
 * starting after the marker (the room's first message): where a client that noticed a
 * gap syncs from.
 */
function lastContiguous(ids, marker) {
  const bySeq = new Map(ids.map((id) => [seqOf(id), id]));
  let last = marker.id;
  for (let s = seqOf(marker.id) + 1; bySeq.has(s); s++) last = bySeq.get(s);
  return last;
}

describe('Redis restart under traffic', () => {
  const cluster = useCluster(3, { privateRedis: true });
  const nodes = cluster.nodes;

  test('readiness follows Redis, local rooms keep working, nothing acknowledged is lost', { timeout: 60_000 }, async (t) => {
    const room = uid('room');
    const local = uid('local');
    const starter = await nodes[0].connect(uid('starter'));
    await join(starter, room);
    const marker = await send(starter, room, 'start');

    const pubs = [];
    const recv = [];
    for (const n of nodes) {
      const p = await n.connect(uid(`pub-${n.name}`));
      const r = await n.connect(uid(`recv-${n.name}`));
      await join(p, room);
      await join(r, room);
      pubs.push(p);
      recv.push(r);
    }
    // A room whose members are all on node 1: it needs no broker.
    const l1 = await nodes[0].connect(uid('local-a'));
    const l2 = await nodes[0].connect(uid('local-b'));
    await join(l1, local);
    await join(l2, local);
    await sleep(200);

    const running = pubs.map((s) => publisher(s, room));
    await sleep(1000);

    await cluster.redis.kill();
    const downAt = Date.now();
    await waitUntil(async () => (await Promise.all(nodes.map((n) => n.readyStatus()))).every((s) => s === 503),
      5000, 'every node answers 503 on /readyz while Redis is down');

    const localSentAt = Date.now();
    const during = await send(l1, local, 'while redis is down');
    const localAckMs = Date.now() - localSentAt;
    const got = await waitFor(l2, 'newMessage', (m) => m.roomId === local, 3000);
    assert.equal(got.id, during.id, 'a local room delivers while Redis is down');

    await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));
    const stillDown = await Promise.all(nodes.map((n) => n.readyStatus()));
    assert.deepEqual(stillDown, [503, 503, 503], 'readiness at the end of the outage');
    await cluster.redis.start();
    const restartedAt = Date.now();
    await waitUntil(async () => (await Promise.all(nodes.map((n) => n.ready()))).every(Boolean),
      20_000, 'every node ready again after the restart');
    const readyAfterMs = Date.now() - restartedAt;

    // Cross-node delivery resumes: each receiver gets, live, a message that each
    // publisher of another node sent after the restart.
    const since = Date.now();
    const resumed = (r, i) => pubs.every((p, j) => j === i
      || running[j].acked.some((a) => a.at > since && idsOf(r, room).includes(a.id)));
    await waitUntil(() => recv.every(resumed), 15_000, 'cross-node delivery after the restart')
      .catch((err) => {
        const tails = nodes.map((n) => `--- ${n.name}\n${n.logTail(15)}`).join('\n');
        throw new Error(`${err.message}\n${tails}`);
      });
    await Promise.all(running.map((p) => p.stop()));
    await sleep(300);

    const acked = running.flatMap((p) => p.acked.map((a) => a.id));
    const errors = running.flatMap((p) => p.errors);
    const liveIds = recv.map((r) => idsOf(r, room));
    const missed = liveIds.map((ids) => acked.filter((id) => !ids.includes(id)).length);

    // Stored: every node returns the same single gap-free order holding every ack.
    const stored = [];
    for (const r of recv) stored.push((await syncAll(r, room, marker.id)).map((m) => m.id));
    for (const [i, ids] of stored.entries()) {
      assert.deepEqual(ids, stored[0], `syncMessages on ${nodes[i].name} differs from node1`);
    }
    const ids = stored[0];
    assert.equal(new Set(ids).size, ids.length, 'a stored message is repeated');
    assert.deepEqual(ids, [...ids].sort(), 'stored ids are not ascending');
    ids.forEach((id, i) => assert.equal(seqOf(id), seqOf(marker.id) + 1 + i, `gap in the stored sequence at ${id}`));
    const storedSet = new Set(ids);
    const lost = acked.filter((id) => !storedSet.has(id));
    assert.deepEqual(lost, [], 'acknowledged messages missing from the store');

    // Receivers catch up from the last message before their first gap.
    for (const [i, r] of recv.entries()) {
      const from = lastContiguous(liveIds[i], marker);
      const synced = await syncAll(r, room, from);
      const have = new Set([...liveIds[i], ...synced.map((m) => m.id)]);
      const stillMissing = ids.filter((id) => !have.has(id));
      assert.deepEqual(stillMissing, [], `${r.user}@${nodes[i].name}: missing after syncMessages from ${from}`);
    }

    const outage = running.flatMap((p) => p.acked).filter((a) => a.sentAt >= downAt && a.sentAt < restartedAt);
    const slowest = Math.max(0, ...running.flatMap((p) => p.acked).map((a) => a.at - a.sentAt));
    const note = `acked=${acked.length} (${outage.length} sent while Redis was down) send errors=${errors.length} `
      + `slowest ack ${slowest} ms, local-room ack during the outage ${localAckMs} ms, missed live per node=${missed.join('/')}, `
      + `ready again ${readyAfterMs} ms after the restart`;
    t.diagnostic(`redis-restart: ${note}`);
  });

  test('every node answers getRoomMembers with the members and statuses of every node after Redis lost its keys', async () => {
    // The registry lives in Redis; after a restart without persistence the nodes must
    // publish their members again. Runs after the restart of the test above.
    const room = uid('room');
    const sockets = [];
    for (const n of nodes) {
      const s = await n.connect(uid(`m-${n.name}`));
      await join(s, room);
      sockets.push(s);
    }
    assert.deepEqual(await emitAck(sockets[2], 'presenceUpdate', { status: 'busy' }), { ok: true });
    await waitFor(sockets[0], 'presenceUpdate', (d) => d.userId === sockets[2].user && d.status === 'busy');
    await cluster.redis.kill();
    await cluster.redis.start();
    await waitUntil(async () => (await Promise.all(nodes.map((n) => n.ready()))).every(Boolean),
      20_000, 'every node ready again after the restart');
    // The status set before the restart is re-registered too.
    const want = sockets.map((s, i) => `${s.user}:${i === 2 ? 'busy' : 'online'}`).sort();
    for (const s of sockets) {
      await waitUntil(async () => {
        const res = await emitAck(s, 'getRoomMembers', { roomId: room });
        return JSON.stringify(res.members.map((m) => `${m.userId}:${m.status}`).sort()) === JSON.stringify(want);
      }, 10_000, `getRoomMembers on ${s.node.name} lists the users of all three nodes`).catch(async (err) => {
        const res = await emitAck(s, 'getRoomMembers', { roomId: room });
        throw new Error(`${err.message}: ${JSON.stringify(res)}`);
      });
    }
  });
});
