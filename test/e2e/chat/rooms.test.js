// Rooms (contract §4 joinRoom/leaveRoom/userJoinedRoom/userLeftRoom/getRoomMembers):
// both payload forms, idempotency, room-id validation, and join/leave notifications that
// follow the user across devices.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHATD_ONLY, TIMESTAMP_RE, TRANSPORTS, emitAck, mark, errorOf, join, received, send, settle, tname, uid,
  useServer, waitFor,
} from './harness.js';

const MAX_ROOMS = 5;
const server = useServer({ CHATD_MAX_ROOMS: String(MAX_ROOMS) });

for (const transports of TRANSPORTS) {
  describe(`rooms (${tname(transports)})`, () => {
    test('joinRoom and leaveRoom accept "id" and {roomId}; events and acks carry the id', async () => {
      const s = await server.connect(uid('u'), { transports });
      const r1 = uid('r');
      const r2 = uid('r');
      for (const [payload, room] of [[r1, r1], [{ roomId: r2 }, r2]]) {
        let evt = waitFor(s, 'joinedRoom', (id) => id === room);
        assert.equal(await emitAck(s, 'joinRoom', payload), room);
        assert.equal(await evt, room);
        evt = waitFor(s, 'leftRoom', (id) => id === room);
        assert.equal(await emitAck(s, 'leaveRoom', payload), room);
        assert.equal(await evt, room);
      }
    });

    test('joining twice is idempotent: joinedRoom each time, one userJoinedRoom', async () => {
      const room = uid('r');
      const alice = uid('alice');
      const a = await server.connect(alice, { transports });
      const b = await server.connect(uid('bob'), { transports });
      await join(b, room);
      const since = mark();
      await join(a, room);
      await join(a, room);
      assert.equal(await emitAck(a, 'joinRoom', { roomId: room }), room); // the object form too
      await settle([a, b]);
      const joins = received(b, 'userJoinedRoom', (d) => d.userId === alice, since);
      assert.equal(joins.length, 1, JSON.stringify(joins));
      assert.deepEqual(Object.keys(joins[0]).sort(), ['roomId', 'timestamp', 'userId']);
      assert.equal(joins[0].roomId, room);
      assert.match(joins[0].timestamp, TIMESTAMP_RE);
      assert.equal(received(a, 'joinedRoom', (id) => id === room, since).length, 3);
      // Still one membership: one leave makes the user leave.
      const left = waitFor(b, 'userLeftRoom', (d) => d.userId === alice);
      await emitAck(a, 'leaveRoom', room);
      assert.equal((await left).roomId, room);
    });

    test('joiners do not see their own userJoinedRoom; existing members do', async () => {
      const room = uid('r');
      const a = await server.connect(uid('a'), { transports });
      const b = await server.connect(uid('b'), { transports });
      await join(a, room);
      const seen = waitFor(a, 'userJoinedRoom', (d) => d.userId === b.user);
      await join(b, room);
      await seen;
      await settle([a, b]);
      assert.deepEqual(received(b, 'userJoinedRoom'), []);
      assert.deepEqual(received(a, 'userJoinedRoom', (d) => d.userId === a.user), []);
    });

    test('userJoinedRoom/userLeftRoom follow the user across two devices', async () => {
      const room = uid('r');
      const alice = uid('alice');
      const watcher = await server.connect(uid('bob'), { transports });
      await join(watcher, room);
      const phone = await server.connect(alice, { transports });
      const laptop = await server.connect(alice, { transports });

      const since = mark();
      const joined = waitFor(watcher, 'userJoinedRoom', (d) => d.userId === alice);
      await join(phone, room);
      await joined;
      await join(laptop, room); // the user is already in: no second notification
      await emitAck(phone, 'leaveRoom', room); // the laptop is still in: no leave
      await settle([phone, laptop, watcher]);
      assert.equal(received(watcher, 'userJoinedRoom', (d) => d.userId === alice, since).length, 1);
      assert.deepEqual(received(watcher, 'userLeftRoom', (d) => d.userId === alice, since), []);

      const left = waitFor(watcher, 'userLeftRoom', (d) => d.userId === alice);
      await emitAck(laptop, 'leaveRoom', room);
      const d = await left;
      assert.equal(d.roomId, room);
      assert.match(d.timestamp, TIMESTAMP_RE);
    });

    test('leaving by disconnect: userLeftRoom when the last socket of the user goes', async () => {
      const room = uid('r');
      const alice = uid('alice');
      const watcher = await server.connect(uid('bob'), { transports });
      await join(watcher, room);
      const a1 = await server.connect(alice, { transports });
      const a2 = await server.connect(alice, { transports });
      await join(a1, room);
      await join(a2, room);
      const since = mark();
      a1.disconnect();
      await settle([watcher], 250);
      assert.deepEqual(received(watcher, 'userLeftRoom', (d) => d.userId === alice, since), []);
      const left = waitFor(watcher, 'userLeftRoom', (d) => d.userId === alice && d.roomId === room);
      a2.disconnect();
      await left;
    });

    test('after leaveRoom no more messages from that room arrive', async () => {
      const room = uid('r');
      const a = await server.connect(uid('a'), { transports });
      const b = await server.connect(uid('b'), { transports });
      await join(a, room);
      await join(b, room);
      await emitAck(b, 'leaveRoom', room);
      const since = mark();
      await send(a, room, 'after leave');
      await settle([a, b]);
      assert.deepEqual(received(b, 'newMessage', () => true, since), []);
      const e = errorOf(await emitAck(b, 'sendMessage', { content: 'x', roomId: room }));
      assert.equal(e.code, 'not_in_room');
    });

    test('leaveRoom of a room never joined still answers leftRoom and notifies nobody', async () => {
      const room = uid('r');
      const watcher = await server.connect(uid('w'), { transports });
      await join(watcher, room);
      const s = await server.connect(uid('u'), { transports });
      assert.equal(await emitAck(s, 'leaveRoom', room), room);
      await settle([s, watcher]);
      assert.deepEqual(received(watcher, 'userLeftRoom'), []);
    });

    test('room ids: 1–128 characters of A–Z a–z 0–9 _ - . : @', async () => {
      const s = await server.connect(uid('u'), { transports });
      const ok = ['a', 'A-Za-z_0.9:@x', 'x'.repeat(128), 'user@example.com', 'team:dev.ops'];
      for (const room of ok) assert.equal(await emitAck(s, 'joinRoom', room), room, room);
      for (const room of ok) await emitAck(s, 'leaveRoom', room);
      const bad = ['', 'x'.repeat(129), 'has space', 'slash/room', 'émoji', 'tab\t', 'semi;colon', '#hash', 'a\u0000b'];
      for (const room of bad) {
        for (const payload of [room, { roomId: room }]) {
          const errorEvt = waitFor(s, 'error');
          const e = errorOf(await emitAck(s, 'joinRoom', payload));
          assert.equal(e.type, 'validation', JSON.stringify(room));
          assert.equal(e.code, 'invalid_room', JSON.stringify(room));
          assert.equal(e.event, 'joinRoom');
          assert.deepEqual(await errorEvt, e);
        }
      }
    });

    test(`a socket may be in at most CHATD_MAX_ROOMS (${MAX_ROOMS}) rooms`, { skip: CHATD_ONLY && 'the Node baseline has no per-socket room limit' }, async () => {
      const s = await server.connect(uid('u'), { transports });
      const rooms = Array.from({ length: MAX_ROOMS }, () => uid('r'));
      for (const room of rooms) await join(s, room);
      await join(s, rooms[0]); // re-joining a room it is in is fine at the limit
      const e = errorOf(await emitAck(s, 'joinRoom', uid('r')));
      assert.equal(e.type, 'validation');
      assert.equal(e.code, 'too_many_rooms');
      await emitAck(s, 'leaveRoom', rooms[1]);
      await join(s, uid('r'));
    });

    test('getRoomMembers lists the users with a socket in the room and their status', async () => {
      const room = uid('r');
      const alice = uid('alice');
      const bob = uid('bob');
      const a1 = await server.connect(alice, { transports });
      const a2 = await server.connect(alice, { transports });
      const b = await server.connect(bob, { transports });
      const outsider = await server.connect(uid('carol'), { transports });
      await join(outsider, uid('r'));
      await join(a1, room);
      await join(a2, room);
      await join(b, room);
      await emitAck(b, 'presenceUpdate', { status: 'away' });

      const evt = waitFor(a1, 'roomMembers');
      const res = await emitAck(a1, 'getRoomMembers', { roomId: room });
      assert.deepEqual(await evt, res);
      assert.equal(res.roomId, room);
      const members = [...res.members].sort((x, y) => x.userId.localeCompare(y.userId));
      assert.deepEqual(members, [{ userId: alice, status: 'online' }, { userId: bob, status: 'away' }]
        .sort((x, y) => x.userId.localeCompare(y.userId)));

      await emitAck(b, 'leaveRoom', room);
      const after = await emitAck(a2, 'getRoomMembers', { roomId: room });
      assert.deepEqual(after.members, [{ userId: alice, status: 'online' }]);
    });

    test('getRoomMembers requires having joined the room', async () => {
      const s = await server.connect(uid('u'), { transports });
      const e = errorOf(await emitAck(s, 'getRoomMembers', { roomId: uid('r') }));
      assert.equal(e.type, 'validation');
      assert.equal(e.code, 'not_in_room');
      assert.equal(e.event, 'getRoomMembers');
    });
  });
}
