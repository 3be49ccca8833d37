// A page on another origin must not open a Socket.IO session to chatd unless its
// origin is on CHATD_ALLOWED_ORIGINS: this is what stops cross-site WebSocket
// hijacking with the user's cookie. The same page succeeds against a chatd that
// allows its origin, so the refusal is the policy's doing and not the page's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { launchBrowser, staticServer, startChatd } from './harness.js';

// The official browser build of socket.io-client, as installed for the e2e suite.
const CLIENT = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)),
  '..', 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js'));

// The foreign page connects to ?server= with ?token= over ?transport= and records
// the outcome in window.outcome.
const PAGE = `<!doctype html><meta charset="utf-8"><title>elsewhere</title>
<script src="/socket.io.min.js"></script>
<script>
  const q = new URLSearchParams(location.search);
  window.outcome = new Promise((resolve) => {
    const s = io(q.get('server') + '/chat', {
      auth: { token: q.get('token') }, transports: [q.get('transport')], reconnection: false, withCredentials: true,
    });
    s.on('connect', () => { resolve('connected'); s.disconnect(); });
    s.on('connect_error', (e) => resolve('connect_error: ' + e.message));
    setTimeout(() => resolve('timeout'), 8000);
  });
</script>`;

async function devToken(server, name) {
  const res = await fetch(`${server.url}/dev/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).token;
}

describe('cross-origin pages', () => {
  let browser;
  let elsewhere;
  let strict;
  let open;

  before(async () => {
    [browser, elsewhere] = await Promise.all([
      launchBrowser(),
      staticServer({
        '/': { type: 'text/html; charset=utf-8', body: PAGE },
        '/socket.io.min.js': { type: 'text/javascript', body: CLIENT },
      }),
    ]);
    [strict, open] = await Promise.all([
      startChatd({ CHATD_ALLOWED_ORIGINS: 'https://chat.example.com', CHATD_LOG_LEVEL: 'debug' }),
      startChatd({ CHATD_ALLOWED_ORIGINS: elsewhere.url, CHATD_LOG_LEVEL: 'debug' }),
    ]);
  });

  async function outcome(server, transport) {
    const page = await browser.newPage();
    try {
      const token = await devToken(server, 'mallory');
      const q = new URLSearchParams({ server: server.url, token, transport });
      await page.goto(`${elsewhere.url}/?${q}`);
      return await page.evaluate(() => window.outcome);
    } finally {
      await page.close();
    }
  }

  for (const transport of ['polling', 'websocket']) {
    test(`a page from an origin not on the allow-list cannot connect (${transport})`, async () => {
      const result = await outcome(strict, transport);
      assert.match(result, /^connect_error/, `got ${result}`);
      assert.ok(!strict.log().includes('chat: connected'), 'no chat session was opened');
    });

    test(`the same page connects when its origin is allowed (${transport})`, async () => {
      assert.equal(await outcome(open, transport), 'connected');
      assert.ok(open.log().includes('chat: connected'), 'the server log shows the session');
    });
  }
});
