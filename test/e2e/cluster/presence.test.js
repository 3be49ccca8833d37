// Users across the cluster (contract §4, with the cluster registry): userJoinedRoom and
// userLeftRoom follow the user over all nodes, presenceUpdate reaches every socket that
// shares a room with the user once whatever node it is on, getRoomMembers on any node
// lists the members of every node with their status, and offline comes only after the
// user's last socket anywhere left plus the grace period — not at all when the user
// reconnects on another node within it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emitAck, join, received, sleep, uid, useCluster, waitFor, waitUntil } from './harness.js';

const GRACE_MS = 1000;
/** Time for a relayed event that should not come (or not twice) to show up. */
const SETTLE_MS = 400;
/** Slack for timer and clock granularity when checking that offline did not come early. */
const EARLY_SLACK_MS = 100;

const about = (user, status) => (d) => d.userId === user && (status === undefined || d.status === status);
const inRoom = (user, room) => (d) => d.userId === user && d.roomId === room;

/** The members getRoomMembers on socket lists for room, as "user:status", sorted. */
async function members(socket, room) {
  const res = await emitAck(socket, 'getRoomMembers', { roomId: room });
  if (!res || res.error || res.roomId !== room) throw new Error(`getRoomMembers ${room}: ${JSON.stringify(res)}`);
  return res.members.map((m) => `${m.userId}:${m.status}`).sort();
}

/** Polls getRoomMembers on socket until it lists want (sorted "user:status"); fails with the last list. */
async function expectMembers(socket, room, want, ms = 2000) {
  let last;
  await waitUntil(async () => {
    last = await members(socket, room);
    return JSON.stringify(last) === JSON.stringify([...want].sort());
  }, ms, `getRoomMembers on ${socket.node.name}`).catch((err) => {
    throw new Error(`${err.message}: got ${JSON.stringify(last)}, want ${JSON.stringify([...want].sort())}`);
  });
}

describe('users and presence across the cluster', () => {
  const cluster = useCluster(3, { env: { CHATD_PRESENCE_GRACE: `${GRACE_MS}ms`, CHATD_NODE_TTL: '3s' } });
  const [n1, n2, n3] = cluster.nodes;

  /** Watchers on nodes 1 and 3 in a fresh room. */
  async function watchedRoom() {
    const room = uid('room');
    const w1 = await n1.connect(uid('w1'));
    const w3 = await n3.connect(uid('w3'));
    await join(w1, room);
    await join(w3, room);
    await sleep(100);
    return { room, watchers: [w1, w3] };
  }

  test('join and leave follow the user: first socket anywhere in, last socket anywhere out', async () => {
    const { room, watchers } = await watchedRoom();
    const alice = uid('alice');
    const a2 = await n2.connect(alice);
    await join(a2, room);
    for (const w of watchers) await waitFor(w, 'userJoinedRoom', inRoom(alice, room));

    const a3 = await n3.connect(alice); // second device, another node
    await join(a3, room);
    await sleep(SETTLE_MS);
    for (const w of watchers) {
      assert.equal(received(w, 'userJoinedRoom', inRoom(alice, room)).length, 1,
        `${w.user}@${w.node.name}: userJoinedRoom for alice's second socket`);
    }

    assert.equal(await emitAck(a2, 'leaveRoom', room), room);
    await sleep(SETTLE_MS);
    for (const w of watchers) {
      assert.deepEqual(received(w, 'userLeftRoom', inRoom(alice, room)), [],
        `${w.user}@${w.node.name}: userLeftRoom while alice is still in the room on node 3`);
    }

    assert.equal(await emitAck(a3, 'leaveRoom', room), room);
    for (const w of watchers) await waitFor(w, 'userLeftRoom', inRoom(alice, room));
    await sleep(SETTLE_MS);
    for (const w of watchers) {
      assert.equal(received(w, 'userLeftRoom', inRoom(alice, room)).length, 1, `${w.user}: userLeftRoom not once`);
    }
  });

  test('one user joining, then leaving, on three nodes at once is announced once each way', async () => {
    const w = await n1.connect(uid('w'));
    const alice = uid('alice');
    const sockets = [await n1.connect(alice), await n2.connect(alice), await n3.connect(alice)];
    const rooms = Array.from({ length: 5 }, () => uid('race'));
    for (const room of rooms) await join(w, room);
    await sleep(100);
    for (const room of rooms) await Promise.all(sockets.map((s) => join(s, room)));
    for (const room of rooms) await waitFor(w, 'userJoinedRoom', inRoom(alice, room));
    await Promise.all(rooms.map((room) => Promise.all(sockets.map((s) => emitAck(s, 'leaveRoom', room)))));
    for (const room of rooms) await waitFor(w, 'userLeftRoom', inRoom(alice, room));
    await sleep(SETTLE_MS);
    for (const room of rooms) {
      assert.equal(received(w, 'userJoinedRoom', inRoom(alice, room)).length, 1, `${room}: userJoinedRoom not once`);
      assert.equal(received(w, 'userLeftRoom', inRoom(alice, room)).length, 1, `${room}: userLeftRoom not once`);
    }
  });

  test('disconnects count per user: offline only after the last socket anywhere left, plus the grace', async () => {
    const { room, watchers } = await watchedRoom();
    const alice = uid('alice');
    const a1 = await n1.connect(alice);
    const a2 = await n2.connect(alice);
    await join(a1, room);
    await join(a2, room);
    for (const w of watchers) await waitFor(w, 'userJoinedRoom', inRoom(alice, room));

    a1.disconnect(); // alice stays on node 2
    await sleep(GRACE_MS + SETTLE_MS);
    for (const w of watchers) {
      assert.deepEqual(received(w, 'userLeftRoom', inRoom(alice, room)), [], `${w.user}: alice left with a socket on node 2`);
      assert.deepEqual(received(w, 'presenceUpdate', about(alice)), [], `${w.user}: alice's status changed`);
    }

    const goneAt = Date.now();
    a2.disconnect();
    for (const w of watchers) await waitFor(w, 'userLeftRoom', inRoom(alice, room));
    for (const w of watchers) {
      await waitFor(w, 'presenceUpdate', about(alice, 'offline'), GRACE_MS + 3000);
      const at = w.log.find((e) => e.event === 'presenceUpdate' && about(alice, 'offline')(e.args[0])).at;
      assert.ok(at - goneAt >= GRACE_MS - EARLY_SLACK_MS,
        `${w.user}@${w.node.name}: offline ${at - goneAt} ms after the last socket left, grace is ${GRACE_MS} ms`);
    }
    await sleep(SETTLE_MS);
    for (const w of watchers) {
      assert.equal(received(w, 'presenceUpdate', about(alice, 'offline')).length, 1, `${w.user}: offline not once`);
      assert.equal(received(w, 'userLeftRoom', inRoom(alice, room)).length, 1, `${w.user}: userLeftRoom not once`);
    }
  });

  test('the last sockets on two nodes disconnecting at once make one userLeftRoom and one offline', async () => {
    const { room, watchers } = await watchedRoom();
    const alice = uid('alice');
    const mine = [await n1.connect(alice), await n2.connect(alice)];
    for (const s of mine) await join(s, room);
    for (const w of watchers) await waitFor(w, 'userJoinedRoom', inRoom(alice, room));
    for (const s of mine) s.disconnect();
    for (const w of watchers) await waitFor(w, 'presenceUpdate', about(alice, 'offline'), GRACE_MS + 3000);
    await sleep(SETTLE_MS);
    for (const w of watchers) {
      assert.equal(received(w, 'userLeftRoom', inRoom(alice, room)).length, 1, `${w.user}@${w.node.name}: userLeftRoom not once`);
      assert.equal(received(w, 'presenceUpdate', about(alice, 'offline')).length, 1, `${w.user}@${w.node.name}: offline not once`);
    }
  });

  test('a status set on node 1 reaches each socket sharing a room, on nodes 2 and 3, once', async () => {
    const r1 = uid('r');
    const r2 = uid('r');
    const alice = await n1.connect(uid('alice'));
    const bob = await n3.connect(uid('bob'));
    const bob2 = await n2.connect(bob.user); // bob's second device, in r2 only
    const carol = await n2.connect(uid('carol')); // shares no room with alice
    for (const s of [alice, bob]) { await join(s, r1); await join(s, r2); }
    await join(bob2, r2);
    await join(carol, uid('r'));
    await sleep(100);

    assert.deepEqual(await emitAck(alice, 'presenceUpdate', { status: 'away' }), { ok: true });
    for (const s of [bob, bob2]) {
      const p = await waitFor(s, 'presenceUpdate', about(alice.user, 'away'));
      assert.deepEqual(Object.keys(p).sort(), ['status', 'timestamp', 'userId']);
    }
    await sleep(SETTLE_MS);
    assert.equal(received(bob, 'presenceUpdate', about(alice.user)).length, 1, 'bob (two shared rooms) not once');
    assert.equal(received(bob2, 'presenceUpdate', about(alice.user)).length, 1, 'bob2 not once');
    assert.deepEqual(received(carol, 'presenceUpdate', about(alice.user)), [], 'carol shares no room with alice');
  });

  test('getRoomMembers on node 2 lists the users of nodes 1 and 3 with their status', async () => {
    const room = uid('room');
    const alice = uid('alice');
    const a1 = await n1.connect(alice);
    const bob = await n3.connect(uid('bob'));
    await join(a1, room);
    await join(bob, room);
    await emitAck(a1, 'presenceUpdate', { status: 'busy' });
    await waitFor(bob, 'presenceUpdate', about(alice, 'busy'));
    const a3 = await n3.connect(alice); // a second socket: alice is listed once, still busy
    await join(a3, room);

    const carol = await n2.connect(uid('carol'));
    await join(carol, room);
    const want = [`${alice}:busy`, `${bob.user}:online`, `${carol.user}:online`];
    await expectMembers(carol, room, want);
    const event = await waitFor(carol, 'roomMembers', (d) => d.roomId === room);
    assert.deepEqual(event.members.map((m) => `${m.userId}:${m.status}`).sort(), [...want].sort());

    // The status alice set on node 1 holds while her socket on node 3 stays.
    a1.disconnect();
    await sleep(GRACE_MS + SETTLE_MS);
    await expectMembers(carol, room, want);

    // Leaving takes a user off the list on every node.
    await emitAck(bob, 'leaveRoom', room);
    await expectMembers(carol, room, [`${alice}:busy`, `${carol.user}:online`]);
  });

  test('reconnecting on another node within the grace shows no offline', async () => {
    const { room, watchers } = await watchedRoom();
    const alice = uid('alice');
    const a1 = await n1.connect(alice);
    await join(a1, room);
    for (const w of watchers) await waitFor(w, 'userJoinedRoom', inRoom(alice, room));

    a1.disconnect();
    const a2 = await n2.connect(alice);
    await join(a2, room);
    await sleep(2 * GRACE_MS + SETTLE_MS);
    for (const w of watchers) {
      assert.deepEqual(received(w, 'presenceUpdate', about(alice, 'offline')), [],
        `${w.user}@${w.node.name}: offline although alice came back on node 2 within the grace`);
    }
    await expectMembers(watchers[1], room, [`${alice}:online`, ...watchers.map((w) => `${w.user}:online`)]);
  });
});
