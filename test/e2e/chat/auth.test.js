// Authentication (contract §2): refusal at CONNECT with connect_error 'unauthorized' and
// {type:'auth', code}, token sources and their precedence, expiry while connected,
// refreshToken, the rooms claim, and unknown namespaces.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  TRANSPORTS, emitAck, errorOf, rawClient, received, sleep, sync, tname, uid, useServer, waitFor,
} from './harness.js';

const server = useServer();
const nowSec = () => Math.floor(Date.now() / 1000);

function assertAuthRefusal(err, code) {
  assert.equal(err.message, 'unauthorized');
  assert.ok(err.data && typeof err.data === 'object', `err.data missing: ${JSON.stringify(err.data)}`);
  assert.equal(err.data.type, 'auth');
  assert.equal(err.data.code, code);
  assert.equal(typeof err.data.message, 'string');
}

for (const transports of TRANSPORTS) {
  describe(`auth: refusal at connect (${tname(transports)})`, () => {
    test('no token at all → token_missing', async () => {
      const err = await server.connectError(uid('u'), { transports, via: 'none' });
      assertAuthRefusal(err, 'token_missing');
    });

    test('empty auth payload and empty query token → token_missing', async () => {
      const err = await server.connectError(uid('u'), { transports, via: 'none', io: { auth: {} } });
      assertAuthRefusal(err, 'token_missing');
    });

    const invalid = [
      ['garbage string', () => 'not-a-jwt'],
      ['three garbage segments', () => 'a.b.c'],
      ['signed with another secret', (u) => server.token(u, {}, { secret: 'some-other-secret' })],
      ['signed with HS512 (algorithm not allowed)', (u) => server.token(u, {}, { algorithm: 'HS512' })],
      ['alg none', (u) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: u, exp: nowSec() + 3600 })}.`],
      ['missing sub', () => server.token(undefined, { name: 'nobody' })],
      ['missing exp', (u) => server.token(u, {}, { noExp: true })],
      ['tampered payload', (u) => {
        const [h, , s] = server.token(u).split('.');
        return `${h}.${b64({ sub: 'admin', exp: nowSec() + 3600 })}.${s}`;
      }],
    ];
    for (const [label, make] of invalid) {
      test(`${label} → token_invalid`, async () => {
        const user = uid('u');
        const err = await server.connectError(user, { transports, token: make(user) });
        assertAuthRefusal(err, 'token_invalid');
      });
    }

    test('expired (beyond any leeway) → token_expired', async () => {
      const user = uid('u');
      const token = server.token(user, { exp: nowSec() - 120 });
      for (const via of ['auth', 'query', 'header', 'cookie']) {
        const err = await server.connectError(user, { transports, token, via });
        assertAuthRefusal(err, 'token_expired');
      }
    });

    test('the first token source present wins: bad auth.token is not rescued by a good query token', async () => {
      const user = uid('u');
      const err = await server.connectError(user, {
        transports, token: 'bad', via: 'auth', io: { query: { token: server.token(user) } },
      });
      assertAuthRefusal(err, 'token_invalid');
      // And the other way round: a good auth.token wins over a bad query token.
      const ok = await server.connect(user, { transports, via: 'auth', io: { query: { token: 'bad' } } });
      assert.ok(ok.connected);
    });

    test('query token wins over header and cookie', async () => {
      const user = uid('u');
      const good = server.token(user);
      const ok = await server.connect(user, {
        transports, via: 'query', token: good,
        io: { extraHeaders: { Authorization: 'Bearer bad', Cookie: 'token=bad' } },
      });
      assert.ok(ok.connected);
      const err = await server.connectError(user, {
        transports, via: 'query', token: 'bad',
        io: { extraHeaders: { Authorization: `Bearer ${good}` } },
      });
      assertAuthRefusal(err, 'token_invalid');
    });

    test('a refused client cannot use the namespace (no chat event before auth)', async () => {
      const room = uid('r');
      const watcher = await server.connect(uid('w'), { transports });
      await emitAck(watcher, 'joinRoom', room);
      // A raw client keeps sending after its CONNECT was refused, as socket.io-client would not.
      for (const token of [null, 'garbage']) {
        const raw = await rawClient(server, uid('intruder'), { token });
        assert.equal(raw.connected, false, raw.answer);
        assert.match(raw.answer, /^44\/chat,\{"message":"unauthorized"/);
        raw.emit('joinRoom', room);
        raw.emit('sendMessage', { content: 'sneaky', roomId: room });
        await sleep(200);
        assert.deepEqual(raw.frames.filter((f) => f.startsWith('42')), [], 'events were answered');
      }
      const { messages } = await sync(watcher, { roomId: room });
      assert.deepEqual(messages, []);
      assert.equal(received(watcher, 'userJoinedRoom').length, 0);
    });
  });

  describe(`auth: token lifetime while connected (${tname(transports)})`, () => {
    test('expiry → error token_expired, then io server disconnect; refreshToken extends', async () => {
      const user = uid('u');
      const exp = nowSec() + 2;
      const doomed = await server.connect(user, { transports, token: server.token(user, { exp }) });
      const kept = await server.connect(user, { transports, token: server.token(user, { exp }) });

      // The kept socket refreshes before expiry: ack and tokenRefreshed carry expiresAt.
      const newExp = nowSec() + 3600;
      const refreshedEvt = waitFor(kept, 'tokenRefreshed');
      const ack = await emitAck(kept, 'refreshToken', { token: server.token(user, { exp: newExp }) });
      assert.deepEqual(Object.keys(ack), ['expiresAt']);
      assert.equal(Date.parse(ack.expiresAt), newExp * 1000, `expiresAt ${ack.expiresAt}`);
      assert.deepEqual(await refreshedEvt, ack);

      // The other one is told why and disconnected by the server, in that order.
      const events = [];
      doomed.on('error', (e) => events.push(['error', e]));
      doomed.on('disconnect', (r) => events.push(['disconnect', r]));
      // The contract allows a small clock leeway past exp (chatd: 5s).
      const reason = await waitFor(doomed, 'disconnect', () => true, 12000);
      assert.equal(reason, 'io server disconnect');
      assert.equal(events.length, 2, JSON.stringify(events));
      assert.equal(events[0][0], 'error');
      assert.equal(events[0][1].type, 'auth');
      assert.equal(events[0][1].code, 'token_expired');
      assert.ok(Date.now() >= exp * 1000, 'disconnected before exp');

      // The refreshed socket outlives the original expiry.
      await sleep(300);
      assert.ok(kept.connected, 'refreshed socket was disconnected');
      const hb = await emitAck(kept, 'heartbeat');
      assert.equal(hb.ok, true);
    });

    test('refreshToken with another sub is refused and changes nothing', async () => {
      const user = uid('u');
      const socket = await server.connect(user, { transports });
      const errorEvt = waitFor(socket, 'error');
      const e = errorOf(await emitAck(socket, 'refreshToken', { token: server.token(uid('other')) }));
      assert.equal(e.type, 'auth');
      assert.equal(e.event, 'refreshToken');
      assert.deepEqual(await errorEvt, e);
      assert.ok(socket.connected);
      assert.equal((await emitAck(socket, 'heartbeat')).ok, true);
    });

    test('refreshToken with an invalid or expired token is refused', async () => {
      const user = uid('u');
      const socket = await server.connect(user, { transports });
      for (const token of ['garbage', server.token(user, {}, { secret: 'x' }), server.token(user, { exp: nowSec() - 120 })]) {
        const e = errorOf(await emitAck(socket, 'refreshToken', { token }));
        assert.equal(e.type, 'auth', JSON.stringify(e));
        assert.ok(['token_invalid', 'token_expired'].includes(e.code), JSON.stringify(e));
      }
      assert.ok(socket.connected);
    });
  });

  describe(`auth: rooms claim (${tname(transports)})`, () => {
    test('patterns allow matching rooms; others are refused with auth/forbidden', async () => {
      const user = uid('u');
      const tag = uid('t');
      const token = server.token(user, { rooms: [`team-${tag}-*`, `general-${tag}`] });
      const socket = await server.connect(user, { transports, token });
      assert.equal(await emitAck(socket, 'joinRoom', `team-${tag}-red`), `team-${tag}-red`);
      assert.equal(await emitAck(socket, 'joinRoom', { roomId: `general-${tag}` }), `general-${tag}`);
      for (const room of [`random-${tag}`, `general-${tag}-2`, `xteam-${tag}-red`]) {
        const errorEvt = waitFor(socket, 'error');
        const e = errorOf(await emitAck(socket, 'joinRoom', room));
        assert.equal(e.type, 'auth');
        assert.equal(e.code, 'forbidden');
        assert.equal(e.event, 'joinRoom');
        assert.deepEqual(await errorEvt, e);
      }
      // A refused join has no effect: sending there is not_in_room.
      const e = errorOf(await emitAck(socket, 'sendMessage', { content: 'x', roomId: `random-${tag}` }));
      assert.equal(e.code, 'not_in_room');
    });

    test('an empty rooms list allows no room', async () => {
      const user = uid('u');
      const socket = await server.connect(user, { transports, token: server.token(user, { rooms: [] }) });
      const e = errorOf(await emitAck(socket, 'joinRoom', uid('r')));
      assert.equal(e.code, 'forbidden');
    });
  });

  describe(`namespaces (${tname(transports)})`, () => {
    for (const ns of ['/', '/nope', '/chat2', '/admin']) {
      test(`namespace ${ns} → Invalid namespace`, async () => {
        const user = uid('u');
        const err = await server.connectError(user, { transports, namespace: ns });
        assert.equal(err.message, 'Invalid namespace');
      });
    }
  });
}

function b64(obj) {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}
