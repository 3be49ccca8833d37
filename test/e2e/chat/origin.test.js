// Origin allow-list (contract §1): with CHATD_ALLOWED_ORIGINS set, a cross-origin request
// from another origin is refused — also when the token is a cookie, the case where
// cross-site WebSocket hijacking happens — an allowed origin gets its CORS headers, and a
// request without Origin (a non-browser client) is not subject to the check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSPORTS, emitAck, tname, uid, useServer } from './harness.js';

const GOOD = 'http://good.example';
const EVIL = 'http://evil.example';
const server = useServer({ CHATD_ALLOWED_ORIGINS: GOOD });

function handshake(origin, extra = {}) {
  const headers = { ...extra };
  if (origin) headers.Origin = origin;
  return fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers });
}

describe('origin check on the HTTP handshake', () => {
  test('a polling handshake from a foreign origin is refused with 403', async () => {
    const res = await handshake(EVIL);
    await res.arrayBuffer();
    assert.equal(res.status, 403);
    assert.notEqual(res.headers.get('access-control-allow-origin'), EVIL);
    assert.notEqual(res.headers.get('access-control-allow-origin'), '*');
  });

  test('a foreign origin is refused even with a cookie token', async () => {
    const res = await handshake(EVIL, { Cookie: `token=${server.token(uid('u'))}` });
    await res.arrayBuffer();
    assert.equal(res.status, 403);
  });

  test('an allowed origin gets Access-Control-Allow-Origin echoed, with credentials', async () => {
    const res = await handshake(GOOD);
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.equal(res.headers.get('access-control-allow-origin'), GOOD);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(body, /^0\{"sid":/);
  });

  test('no Origin header (a non-browser client) is not checked', async () => {
    const res = await handshake(null);
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.match(body, /^0\{"sid":/);
  });
});

for (const transports of TRANSPORTS) {
  describe(`origin check through socket.io-client (${tname(transports)})`, () => {
    test('a foreign Origin gets connect_error and never connects', async () => {
      const err = await server.connectError(uid('u'), { transports, io: { extraHeaders: { Origin: EVIL } } });
      assert.ok(err instanceof Error);
      assert.notEqual(err.message, 'unauthorized', 'the origin check must come before auth');
    });

    test('a foreign Origin with a cookie token is refused', async () => {
      const user = uid('u');
      const err = await server.connectError(user, {
        transports, via: 'none', io: { extraHeaders: { Origin: EVIL, Cookie: `token=${server.token(user)}` } },
      });
      assert.ok(err instanceof Error);
    });

    test('an allowed Origin connects and works', async () => {
      const s = await server.connect(uid('u'), { transports, io: { extraHeaders: { Origin: GOOD } } });
      assert.equal((await emitAck(s, 'heartbeat')).ok, true);
    });

    test('a client without Origin connects', async () => {
      const s = await server.connect(uid('u'), { transports });
      assert.ok(s.connected);
    });
  });
}
