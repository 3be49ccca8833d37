// presenceUpdate (contract §4): per-user status across sockets, broadcast once per receiving
// socket to everyone sharing a room, offline only after the grace period following the
// last socket's disconnect, and no flap on a quick reconnect.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TIMESTAMP_RE, TRANSPORTS, emitAck, mark, errorOf, join, received, settle, sleep, tname, uid, useServer, waitFor,
} from './harness.js';

const GRACE_MS = 500;
const server = useServer({ CHATD_PRESENCE_GRACE: `${GRACE_MS}ms` });

const about = (user, status) => (d) => d.userId === user && (status === undefined || d.status === status);

for (const transports of TRANSPORTS) {
  describe(`presence (${tname(transports)})`, () => {
    test('a status change reaches each peer socket once, even when sharing two rooms', async () => {
      const r1 = uid('r');
      const r2 = uid('r');
      const alice = uid('alice');
      const a = await server.connect(alice, { transports });
      const b = await server.connect(uid('bob'), { transports });
      const b2 = await server.connect(b.user, { transports }); // bob's second device, in r2 only
      const c = await server.connect(uid('carol'), { transports }); // shares nothing with alice
      for (const s of [a, b]) { await join(s, r1); await join(s, r2); }
      await join(b2, r2);
      await join(c, uid('r'));
      const since = mark();
      const toB = waitFor(b, 'presenceUpdate', about(alice, 'away'));
      const toB2 = waitFor(b2, 'presenceUpdate', about(alice, 'away'));
      assert.deepEqual(await emitAck(a, 'presenceUpdate', { status: 'away' }), { ok: true });
      const p = await toB;
      assert.deepEqual(Object.keys(p).sort(), ['status', 'timestamp', 'userId']);
      assert.match(p.timestamp, TIMESTAMP_RE);
      await toB2;
      await settle([a, b, b2, c]);
      assert.equal(received(b, 'presenceUpdate', about(alice), since).length, 1);
      assert.equal(received(b2, 'presenceUpdate', about(alice), since).length, 1);
      assert.deepEqual(received(c, 'presenceUpdate', about(alice), since), []);
    });

    test('every status of the contract is accepted; others are invalid_status', async () => {
      const room = uid('r');
      const a = await server.connect(uid('alice'), { transports });
      const b = await server.connect(uid('bob'), { transports });
      await join(a, room);
      await join(b, room);
      for (const status of ['away', 'busy', 'offline', 'online']) {
        const got = waitFor(b, 'presenceUpdate', about(a.user, status));
        await emitAck(a, 'presenceUpdate', { status });
        await got;
      }
      const since = mark();
      for (const status of ['invisible', 'ONLINE', '', 42, null, ['away'], { s: 'away' }]) {
        const errorEvt = waitFor(a, 'error');
        const e = errorOf(await emitAck(a, 'presenceUpdate', { status }));
        assert.equal(e.type, 'validation');
        // An unknown string is invalid_status; a wrong JSON type may also be invalid_payload.
        const codes = typeof status === 'string' ? ['invalid_status'] : ['invalid_status', 'invalid_payload'];
        assert.ok(codes.includes(e.code), `${JSON.stringify(status)} → ${JSON.stringify(e)}`);
        assert.equal(e.event, 'presenceUpdate');
        assert.deepEqual(await errorEvt, e);
      }
      await settle([a, b]);
      assert.deepEqual(received(b, 'presenceUpdate', about(a.user), since), [], 'a refused status was broadcast');
    });

    test('the last socket disconnecting makes the user offline after the grace period', async () => {
      const room = uid('r');
      const alice = uid('alice');
      const a1 = await server.connect(alice, { transports });
      const a2 = await server.connect(alice, { transports });
      const b = await server.connect(uid('bob'), { transports });
      for (const s of [a1, a2, b]) await join(s, room);
      const since = mark();
      a1.disconnect(); // another socket of alice stays: no change
      await sleep(GRACE_MS * 2);
      assert.deepEqual(received(b, 'presenceUpdate', about(alice), since), []);

      const left = waitFor(b, 'userLeftRoom', (d) => d.userId === alice);
      const offline = waitFor(b, 'presenceUpdate', about(alice, 'offline'), GRACE_MS * 10);
      a2.disconnect();
      await left;
      const leftAt = Date.now();
      const p = await offline;
      assert.ok(Date.now() - leftAt >= GRACE_MS * 0.6, `offline after ${Date.now() - leftAt}ms, grace is ${GRACE_MS}ms`);
      assert.match(p.timestamp, TIMESTAMP_RE);
    });

    test('a reconnect within the grace period shows no offline', async () => {
      const room = uid('r');
      const alice = uid('alice');
      const a = await server.connect(alice, { transports });
      const b = await server.connect(uid('bob'), { transports });
      await join(a, room);
      await join(b, room);
      const since = mark();
      a.disconnect();
      const again = await server.connect(alice, { transports });
      await join(again, room);
      await sleep(GRACE_MS * 3);
      assert.deepEqual(received(b, 'presenceUpdate', about(alice, 'offline'), since), []);
      const members = await emitAck(b, 'getRoomMembers', { roomId: room });
      assert.ok(members.members.some((m) => m.userId === alice && m.status !== 'offline'), JSON.stringify(members));
    });

    test('a status set by the user holds across their sockets', async () => {
      const room = uid('r');
      const alice = uid('alice');
      const a1 = await server.connect(alice, { transports });
      const b = await server.connect(uid('bob'), { transports });
      await join(a1, room);
      await join(b, room);
      await emitAck(a1, 'presenceUpdate', { status: 'busy' });
      const a2 = await server.connect(alice, { transports }); // a second device does not reset it
      await join(a2, room);
      const res = await emitAck(b, 'getRoomMembers', { roomId: room });
      assert.deepEqual(res.members.find((m) => m.userId === alice), { userId: alice, status: 'busy' });
    });

    test('a user who comes back after going offline is online again', async () => {
      const room = uid('r');
      const alice = uid('alice');
      const b = await server.connect(uid('bob'), { transports });
      await join(b, room);
      const a = await server.connect(alice, { transports });
      await join(a, room);
      const offline = waitFor(b, 'presenceUpdate', about(alice, 'offline'), GRACE_MS * 10);
      a.disconnect();
      await offline;
      const back = await server.connect(alice, { transports });
      await join(back, room);
      const res = await emitAck(b, 'getRoomMembers', { roomId: room });
      assert.deepEqual(res.members.find((m) => m.userId === alice), { userId: alice, status: 'online' });
    });
  });
}
