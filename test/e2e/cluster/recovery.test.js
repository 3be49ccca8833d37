// Connection-state recovery across nodes (CHATD_RECOVERY with CHATD_BROKER=redis://…):
// a client whose transport drops on node 1 reconnects to node 2 and gets its socket
// back — same id, same rooms — with exactly the broadcasts it missed, sent meanwhile
// from nodes 2 and 3, once each and in order.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';
import { join, received, send, sleep, uid, useCluster, waitFor } from './harness.js';

/** Time for a replayed broadcast that should not come (or not twice) to show up. */
const SETTLE_MS = 300;

/** The contents of the newMessage events of room that socket received, in order. */
const contents = (socket, room) => received(socket, 'newMessage', (m) => m.roomId === room).map((m) => m.content);

/**
 * A socket for the user of old on node that recovers old's session: a new Manager (the
 * URL changes) carrying the pid and last offset the client library keeps, as its own
 * reconnection would. Events are kept in socket.log as with node.connect.
 */
async function recoverOn(cluster, node, old) {
  const token = jwt.sign({ sub: old.user }, cluster.secret, { algorithm: 'HS256', expiresIn: '1h' });
  const socket = io(`${node.url}/chat`, {
    forceNew: true, reconnection: false, timeout: 5000, transports: ['websocket'], auth: { token }, autoConnect: false,
  });
  socket._pid = old._pid;
  socket._lastOffset = old._lastOffset;
  socket.user = old.user;
  socket.log = [];
  socket.onAny((event, ...args) => socket.log.push({ event, args, at: Date.now() }));
  cluster.sockets.add(socket);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${old.user}@${node.name}: not connected`)), 6000);
    socket.once('connect', () => { clearTimeout(timer); resolve(); });
    socket.once('connect_error', (err) => { clearTimeout(timer); reject(err); });
    socket.connect();
  });
  return socket;
}

describe('connection-state recovery across nodes', () => {
  const cluster = useCluster(3, { env: { CHATD_RECOVERY: '1m' } });
  const [n1, n2, n3] = cluster.nodes;

  test('a client dropped on node 1 recovers on node 2 with exactly what it missed', async (t) => {
    const room = uid('room');
    const elsewhere = uid('elsewhere');
    const away = await n1.connect(uid('away'));
    const b = await n2.connect(uid('b'));
    const c = await n3.connect(uid('c'));
    for (const s of [away, b, c]) await join(s, room);
    await join(b, elsewhere);
    await join(c, elsewhere);
    await sleep(100); // subscriptions are asynchronous

    // A first message gives the client an offset to recover from.
    await send(b, room, 'before');
    await waitFor(away, 'newMessage', (m) => m.content === 'before');
    assert.ok(away._pid, 'the server gave a pid: recovery is on');
    assert.ok(away._lastOffset, 'broadcasts carry an offset');
    const idBefore = away.id;

    const gone = new Promise((resolve) => away.once('disconnect', resolve));
    away.io.engine.close(); // the transport drops: node 1 sees a recoverable "transport close"
    await gone;
    await sleep(200); // node 1 notices and keeps the session

    // Each message is sent once the previous one reached the other sender's node, so
    // they have an order: the order a connected member would have seen.
    const missed = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
    for (const [i, content] of missed.entries()) {
      const [from, to] = i % 2 === 0 ? [b, c] : [c, b];
      await send(from, room, content);
      await send(from, elsewhere, `not for it ${i}`);
      await waitFor(to, 'newMessage', (m) => m.content === content);
    }

    const back = await recoverOn(cluster, n2, away);
    assert.equal(back.recovered, true, 'socket.recovered');
    assert.equal(back.id, idBefore, 'a recovered socket keeps its id');
    await waitFor(back, 'newMessage', (m) => m.content === missed.at(-1), 5000);
    await sleep(SETTLE_MS);
    assert.deepEqual(contents(back, room), missed, 'the missed messages, once each, in order');
    assert.equal(contents(back, elsewhere).length, 0, 'nothing of a room it is not in');
    t.diagnostic(`recovery: replayed events ${JSON.stringify(back.log.map((e) => e.event))}`);

    // It is back in the room on node 2: live messages from nodes 1 and 3 reach it once.
    const d = await n1.connect(uid('d'));
    await join(d, room);
    await sleep(100);
    await send(d, room, 'live from 1');
    await send(c, room, 'live from 3');
    await waitFor(back, 'newMessage', (m) => m.content === 'live from 3');
    await sleep(SETTLE_MS);
    assert.deepEqual(contents(back, room), [...missed, 'live from 1', 'live from 3']);
  });

  test('a session is recovered once: a second attempt elsewhere gets a new socket', async () => {
    const room = uid('room');
    const away = await n1.connect(uid('away'));
    const b = await n2.connect(uid('b'));
    for (const s of [away, b]) await join(s, room);
    await sleep(100);
    await send(b, room, 'before');
    await waitFor(away, 'newMessage', (m) => m.content === 'before');
    const gone = new Promise((resolve) => away.once('disconnect', resolve));
    away.io.engine.close();
    await gone;
    await sleep(200);

    const first = await recoverOn(cluster, n3, away);
    assert.equal(first.recovered, true);
    const second = await recoverOn(cluster, n2, away);
    assert.equal(second.recovered, false);
    assert.notEqual(second.id, away.id);
  });
});
