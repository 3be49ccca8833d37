// Reconnection as the seed describes it, in the browser: when chatd goes away the
// badge says so, messages written meanwhile wait, and when chatd is back the page
// rejoins its rooms, syncs what it missed and sends what was waiting — once.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { joinRoom, launchBrowser, send, signedInPage, startChatd, waitMessage } from './harness.js';

describe('reconnection', () => {
  let server;
  let browser;

  before(async () => {
    [server, browser] = await Promise.all([startChatd(), launchBrowser()]);
  });

  test('a server restart: reconnecting badge, rejoin, sync, queued message sent once', async () => {
    const alice = await signedInPage(browser, server.url, 'alice');
    const bob = await signedInPage(browser, server.url, 'bob');
    await joinRoom(alice, 'ops');
    await joinRoom(bob, 'ops');
    await send(alice, 'before the restart');
    await waitMessage(bob, 'before the restart');

    await server.kill();
    await alice.waitForSelector('body[data-connection="reconnecting"]');
    assert.equal(await alice.locator('#connection').innerText(), 'Reconnecting…');
    await send(alice, 'written while the server was down');
    await alice.locator('#messages article.msg.pending', { hasText: 'written while the server was down' }).waitFor();

    await server.restart();
    // socket.io-client backs off up to reconnectionDelayMax; the first retries come within seconds.
    await alice.waitForSelector('body[data-connection="connected"]', { timeout: 60_000 });
    await bob.waitForSelector('body[data-connection="connected"]', { timeout: 60_000 });
    await waitMessage(bob, 'written while the server was down');
    await alice.waitForFunction(() => document.querySelectorAll('#messages article.msg.pending').length === 0);

    // Bob is back in the room: a new message reaches him without a rejoin by hand.
    await send(alice, 'after the restart');
    await waitMessage(bob, 'after the restart');
    for (const page of [alice, bob]) {
      const texts = await page.locator('#messages article.msg .content').allInnerTexts();
      assert.deepEqual(texts, ['before the restart', 'written while the server was down', 'after the restart']);
    }
  });
});
