// Node crash: node 3 of three is killed with SIGKILL while its users share rooms with
// users of nodes 1 and 2 and messages flow. Within the node TTL (CHATD_NODE_TTL, 3 s
// here, plus a reaping interval of at most a third of it) the surviving nodes announce
// that its users left their rooms and went offline (also a user whose grace period was
// running there), except users who still have a socket elsewhere. Every message
// acknowledged before the crash is kept; a client that reconnects to the next node URL
// rejoins, syncs and sees no gap.
//
// The tests of this file check one scenario in turn, set up by before(); sockets stay
// open between them.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { emitAck, join, received, send, seqOf, sleep, syncAll, uid, useCluster, waitFor, waitUntil } from './harness.js';

const TTL_MS = 3000;
const GRACE_MS = 1000;
/** Upper bound on when the survivors must have announced the crashed node's users. */
const REAP_WITHIN_MS = TTL_MS + TTL_MS / 3 + GRACE_MS + 3000;
/** Time for an event that should not come (a wrong leave or offline) to show up. */
const QUIET_MS = GRACE_MS + 1500;
/** Time for a duplicate to show up. */
const SETTLE_MS = 400;
/** How long the roaming client waits before it reconnects. */
const RECONNECT_DELAY_MS = 300;

/** The id up to which ids hold the room's messages without a gap, from afterId on. */
function lastContiguous(ids, afterId) {
  const bySeq = new Map(ids.map((id) => [seqOf(id), id]));
  let last = afterId;
  for (let s = seqOf(afterId) + 1; bySeq.has(s); s++) last = bySeq.get(s);
  return last;
}

/**
 * A client that knows every node's URL: when its connection drops it connects to the
 * next node, rejoins its room and syncs from the last message it holds without a gap,
 * as an app with a list of servers would.
 */
class RoamingClient {
  constructor(nodes, user, room, marker) {
    Object.assign(this, { nodes, user, room, marker });
    this.sockets = [];
    this.roams = [];
  }

  /** Ids of the room's messages this client received, on any of its sockets. */
  ids() {
    return this.sockets.flatMap((s) => received(s, 'newMessage', (m) => m.roomId === this.room).map((m) => m.id));
  }

  async connect(first) {
    let lastErr;
    for (let k = 0; k < this.nodes.length; k++) {
      const node = this.nodes[(first + k) % this.nodes.length];
      try {
        const s = await node.connect(this.user);
        this.sockets.push(s);
        s.on('disconnect', (reason) => {
          if (reason === 'transport close' || reason === 'ping timeout' || reason === 'transport error') {
            this.roams.push(this.roam(this.nodes.indexOf(node) + 1, reason));
          }
        });
        await join(s, this.room);
        return s;
      } catch (err) {
        lastErr = err;
      }
    }
    throw new Error(`${this.user}: no node to connect to: ${lastErr?.message}`);
  }

  async roam(next, reason) {
    const at = Date.now();
    // Like socket.io-client's reconnection delay; messages sent meanwhile need the sync.
    await sleep(RECONNECT_DELAY_MS);
    const from = lastContiguous(this.ids(), this.marker.id);
    const s = await this.connect(next);
    const before = received(s, 'newMessage').length;
    let last = from;
    for (;;) {
      const done = await s.timeout(10_000).emitWithAck('syncMessages', { roomId: this.room, lastMessageId: last, limit: 200 });
      if (!done || done.error) throw new Error(`${this.user}: sync after roaming: ${JSON.stringify(done)}`);
      if (!done.hasMore) break;
      last = done.lastMessageId;
    }
    return { node: s.node.name, reason, from, tookMs: Date.now() - at, synced: received(s, 'newMessage').length - before };
  }
}

describe('a node killed with SIGKILL', () => {
  const cluster = useCluster(3, {
    keepSockets: true,
    env: { CHATD_NODE_TTL: `${TTL_MS}ms`, CHATD_PRESENCE_GRACE: `${GRACE_MS}ms` },
  });
  const [n1, n2, n3] = cluster.nodes;
  const s = {}; // the scenario, built by before()
  const leftRoom = (user, room) => (d) => d.userId === user && d.roomId === room;
  const offline = (user) => (d) => d.userId === user && d.status === 'offline';

  before(async () => {
    s.room = uid('room');
    s.room2 = uid('room2');
    const starter = await n1.connect(uid('starter'));
    await join(starter, s.room);
    s.marker = await send(starter, s.room, 'start');

    s.w1 = await n1.connect(uid('watch1'));
    s.w2 = await n2.connect(uid('watch2'));
    for (const w of [s.w1, s.w2]) await join(w, s.room);
    await join(s.w1, s.room2);

    // victim: only on node 3, in two rooms it shares with w1.
    s.victim = await n3.connect(uid('victim'));
    await join(s.victim, s.room);
    await join(s.victim, s.room2);
    // dual: one socket on node 3, one on node 2, both in room.
    s.dual = uid('dual');
    for (const n of [n3, n2]) await join(await n.connect(s.dual), s.room);
    // leaver: only on node 3; disconnects just before the crash, inside its grace period,
    // so that node 3 dies before it can announce the offline.
    s.leaver = await n3.connect(uid('leaver'));
    await join(s.leaver, s.room);
    // roamer: on node 3, moves on to node 1, then node 2.
    s.roamer = new RoamingClient([n3, n1, n2], uid('roamer'), s.room, s.marker);
    await s.roamer.connect(0);
    await sleep(200);

    // Writers: x on the node that dies (several sends in flight), y on node 1.
    const x = await n3.connect(uid('writer-x'));
    const y = await n1.connect(uid('writer-y'));
    await join(x, s.room);
    await join(y, s.room);
    s.ackedX = [];
    s.ackedY = [];
    let stopY = false;
    const writeX = Promise.all(Array.from({ length: 4 }, async (_, lane) => {
      for (let k = 0; ; k++) {
        try {
          s.ackedX.push((await send(x, s.room, `x${lane}:${k}`, 2000)).id);
        } catch {
          return; // the node is gone
        }
      }
    }));
    const writeY = (async () => {
      for (let k = 0; !stopY; k++) {
        s.ackedY.push((await send(y, s.room, `y:${k}`, 5000)).id);
        await sleep(30);
      }
    })();

    await sleep(500);
    s.leaver.disconnect();
    await waitFor(s.w1, 'userLeftRoom', leftRoom(s.leaver.user, s.room));
    await sleep(200);
    s.killedAt = Date.now();
    await n3.kill();
    await writeX;
    await waitUntil(() => s.roamer.roams.length > 0, 5000, 'the roamer noticed the crash');
    s.roam = await s.roamer.roams[0];
    await sleep(500);
    stopY = true;
    await writeY;
  }, { timeout: 60_000 });

  test('the survivors announce that the crashed node\'s users left their rooms and went offline', { timeout: 30_000 }, async (t) => {
    const v = s.victim.user;
    const seen = [];
    for (const [w, room] of [[s.w1, s.room], [s.w2, s.room], [s.w1, s.room2]]) {
      await waitFor(w, 'userLeftRoom', leftRoom(v, room), REAP_WITHIN_MS - (Date.now() - s.killedAt));
      seen.push(`userLeftRoom ${room === s.room ? 'room' : 'room2'}@${w.node.name} after `
        + `${w.log.find((e) => e.event === 'userLeftRoom' && leftRoom(v, room)(e.args[0])).at - s.killedAt} ms`);
    }
    for (const w of [s.w1, s.w2]) {
      await waitFor(w, 'presenceUpdate', offline(v), REAP_WITHIN_MS - (Date.now() - s.killedAt));
      seen.push(`offline@${w.node.name} after ${w.log.find((e) => e.event === 'presenceUpdate' && offline(v)(e.args[0])).at - s.killedAt} ms`);
    }
    t.diagnostic(`failover: ${seen.join(', ')}`);
    await sleep(QUIET_MS);
    for (const w of [s.w1, s.w2]) {
      assert.equal(received(w, 'userLeftRoom', leftRoom(v, s.room)).length, 1, `${w.user}: userLeftRoom of room not once`);
      assert.equal(received(w, 'presenceUpdate', offline(v)).length, 1, `${w.user}: offline not once (shares two rooms)`);
    }
    assert.equal(received(s.w1, 'userLeftRoom', leftRoom(v, s.room2)).length, 1, 'userLeftRoom of room2 not once');

    // The survivors' member lists drop the victim and keep the users still connected.
    for (const w of [s.w1, s.w2]) {
      const res = await emitAck(w, 'getRoomMembers', { roomId: s.room });
      const listed = new Map(res.members.map((m) => [m.userId, m.status]));
      assert.ok(!listed.has(v), `${w.node.name} still lists the victim: ${JSON.stringify(res)}`);
      for (const user of [s.dual, s.roamer.user]) {
        assert.equal(listed.get(user), 'online', `${w.node.name}: ${user} in ${JSON.stringify(res)}`);
      }
    }
  });

  test('a user whose grace period was running on the crashed node still goes offline, once', async () => {
    for (const w of [s.w1, s.w2]) {
      await waitFor(w, 'presenceUpdate', offline(s.leaver.user), REAP_WITHIN_MS - (Date.now() - s.killedAt));
    }
    await sleep(SETTLE_MS);
    for (const w of [s.w1, s.w2]) {
      assert.equal(received(w, 'presenceUpdate', offline(s.leaver.user)).length, 1, `${w.user}: offline not once`);
      assert.equal(received(w, 'userLeftRoom', leftRoom(s.leaver.user, s.room)).length, 1, `${w.user}: userLeftRoom not once`);
    }
  });

  test('users with a socket on a surviving node neither leave nor go offline', async () => {
    await sleep(Math.max(0, s.killedAt + REAP_WITHIN_MS - Date.now()));
    for (const user of [s.dual, s.roamer.user]) {
      for (const w of [s.w1, s.w2]) {
        assert.deepEqual(received(w, 'userLeftRoom', (d) => d.userId === user), [], `${w.user} saw ${user} leave`);
        assert.deepEqual(received(w, 'presenceUpdate', offline(user)), [], `${w.user} saw ${user} go offline`);
      }
    }
  });

  test('every message acknowledged before the crash is kept, in one gap-free order on every survivor', async () => {
    const reader1 = await n1.connect(uid('reader'));
    const reader2 = await n2.connect(uid('reader'));
    await join(reader1, s.room);
    await join(reader2, s.room);
    const ids1 = (await syncAll(reader1, s.room, s.marker.id)).map((m) => m.id);
    const ids2 = (await syncAll(reader2, s.room, s.marker.id)).map((m) => m.id);
    assert.deepEqual(ids2, ids1, 'node 1 and node 2 return different histories');
    ids1.forEach((id, i) => assert.equal(seqOf(id), seqOf(s.marker.id) + 1 + i, `gap in the stored sequence at ${id}`));
    assert.ok(s.ackedX.length > 0 && s.ackedY.length > 0, `acked x=${s.ackedX.length} y=${s.ackedY.length}`);
    const stored = new Set(ids1);
    assert.deepEqual(s.ackedX.filter((id) => !stored.has(id)), [], 'acknowledged on the crashed node, then lost');
    assert.deepEqual(s.ackedY.filter((id) => !stored.has(id)), [], 'acknowledged on node 1, then lost');
  });

  test('a client reconnecting to the next node URL rejoins, syncs and sees no gap', async (t) => {
    assert.equal(s.roam.node, 'node1', JSON.stringify(s.roam));
    assert.ok(s.roam.synced > 0, `nothing was sent while the roamer was away: ${JSON.stringify(s.roam)}`);
    const reader = await n2.connect(uid('reader'));
    await join(reader, s.room);
    const stored = (await syncAll(reader, s.room, s.marker.id)).map((m) => m.id);
    const have = new Set(s.roamer.ids());
    assert.deepEqual(stored.filter((id) => !have.has(id)), [], `roamer (${JSON.stringify(s.roam)}) misses messages`);
    // After the roam, live delivery on node 1 works: y's last messages arrived there.
    const onNode1 = s.roamer.sockets.at(-1);
    assert.ok(received(onNode1, 'newMessage', (m) => m.id === s.ackedY.at(-1)).length === 1,
      'the last message of y did not reach the roamer on node 1 once');
    t.diagnostic(`failover: roam ${JSON.stringify(s.roam)}, stored ${stored.length}, `
      + `acked x=${s.ackedX.length} y=${s.ackedY.length}`);
  });
});
