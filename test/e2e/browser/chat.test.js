// The chat page in a real browser: two users in two browser contexts talk, reply,
// attach, type, set their presence and read each other's messages; a reload recovers
// the history by syncMessages; a new tab signs in by cookie; polling-only works.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import {
  ARTIFACTS, joinRoom, launchBrowser, send, signedInPage, startChatd, staticServer, waitMessage, watchProblems,
} from './harness.js';

const PICTURE = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="270" viewBox="0 0 480 270">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#6d8cff"/><stop offset="1" stop-color="#ff8a6d"/></linearGradient></defs>
<rect width="480" height="270" fill="url(#g)"/><circle cx="360" cy="80" r="40" fill="#ffe9a8"/>
<path d="M0 270 L140 130 L230 210 L320 120 L480 270 Z" fill="#1b2130" opacity="0.75"/></svg>`;

describe('chat page', () => {
  let server;
  let browser;
  let pictures;
  let alice;
  let bob;

  before(async () => {
    [server, browser, pictures] = await Promise.all([
      startChatd(),
      launchBrowser(),
      staticServer({ '/sunset.svg': { type: 'image/svg+xml', body: PICTURE } }),
    ]);
    alice = await signedInPage(browser, server.url, 'Alice');
    bob = await signedInPage(browser, server.url, 'Bob');
    await joinRoom(alice, 'general');
    await joinRoom(bob, 'general');
  });

  test('two users exchange messages and see each other as members', async () => {
    await send(alice, 'Hi Bob! Ready for the release?');
    const got = await waitMessage(bob, 'Ready for the release?');
    assert.equal(await got.getAttribute('data-sender'), 'alice');
    await send(bob, 'Almost — running the browser tests now.');
    await waitMessage(alice, 'running the browser tests');
    await alice.locator('#member-list li[data-user="bob"][data-status="online"]').waitFor();
    await bob.locator('#member-list li[data-user="alice"][data-status="online"]').waitFor();
    assert.equal(await alice.locator('#messages article.msg').count(), 2);
  });

  test('typing shows "bob is typing…" and ends when he sends', async () => {
    await bob.locator('#composer-input').pressSequentially('Looks good', { delay: 20 });
    await alice.locator('#typing', { hasText: 'bob is typing…' }).waitFor();
    await bob.press('#composer-input', 'Enter');
    await waitMessage(alice, 'Looks good');
    await alice.locator('#typing:empty').waitFor();
  });

  test('a reply quotes its parent, an image attachment is shown', async () => {
    await (await waitMessage(bob, 'Ready for the release?')).click();
    await bob.locator('#reply-bar', { hasText: 'Replying to alice' }).waitFor();
    await send(bob, 'Yes, shipping today 🚀');
    const reply = await waitMessage(alice, 'shipping today');
    assert.match(await reply.locator('blockquote.quote').innerText(), /alice\s*Hi Bob! Ready for the release\?/);
    assert.ok(await bob.locator('#reply-bar').isHidden(), 'the reply bar closes after sending');

    await alice.click('#attach-toggle');
    await alice.fill('#attach-url', `${pictures.url}/sunset.svg`);
    await send(alice, 'Celebration sunset for the team');
    const withImage = await waitMessage(bob, 'Celebration sunset');
    const img = withImage.locator('a.attachment.image img');
    await img.waitFor();
    assert.equal(await img.getAttribute('src'), `${pictures.url}/sunset.svg`);
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0), 'the attached image loads under the CSP');
  });

  test('read receipts show "Read by" on the newest message read', async () => {
    // Bob's page is open on the room, scrolled to the end: it reports what he read.
    await alice.locator('#messages article.msg', { hasText: 'Celebration sunset' })
      .locator('.read-by', { hasText: 'Read by bob' }).waitFor();
  });

  test('presence changes reach the other member list', async () => {
    await bob.selectOption('#presence', 'busy');
    await alice.locator('#member-list li[data-user="bob"][data-status="busy"]').waitFor();
    await bob.selectOption('#presence', 'online');
    await alice.locator('#member-list li[data-user="bob"][data-status="online"]').waitFor();
  });

  test('a message in another room shows an unread count until the room is opened', async () => {
    await joinRoom(bob, 'random');
    await joinRoom(alice, 'random');
    await bob.click('#room-list button[data-room="general"]');
    await send(alice, 'Over in random');
    const badge = bob.locator('#room-list button[data-room="random"] .unread');
    await badge.waitFor();
    assert.equal(await badge.innerText(), '1');
    await bob.click('#room-list button[data-room="random"]');
    await waitMessage(bob, 'Over in random');
    await badge.waitFor({ state: 'detached' });
    await bob.click('#room-list button[data-room="general"]');
    await alice.click('#room-list button[data-room="general"]');
  });

  test('the default transport upgrades to WebSocket', async () => {
    await alice.waitForSelector('body[data-transport="websocket"]');
  });

  test('screenshot of the chat', async () => {
    await send(bob, 'Nice picture! See everyone at the demo.');
    await waitMessage(alice, 'See everyone at the demo');
    await alice.locator('#messages article.msg', { hasText: 'See everyone at the demo' }).hover();
    await bob.locator('#composer-input').pressSequentially('On my way', { delay: 20 });
    await alice.locator('#typing', { hasText: 'bob is typing…' }).waitFor();
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, 'chat.png');
    await alice.screenshot({ path: file });
    console.log(`# screenshot: ${file}`);
    await bob.fill('#composer-input', '');
    await bob.locator('#composer-input').blur();
  });

  test('a reload recovers the history with syncMessages, missed messages included', async () => {
    await alice.goto('about:blank');
    await send(bob, 'Sent while Alice was away');
    await alice.goto(server.url + '/');
    await alice.waitForSelector('body[data-connection="connected"]');
    await waitMessage(alice, 'Sent while Alice was away');
    const texts = await alice.locator('#messages article.msg .content').allInnerTexts();
    assert.deepEqual(texts.slice(0, 2), ['Hi Bob! Ready for the release?', 'Almost — running the browser tests now.']);
    assert.equal(texts.at(-1), 'Sent while Alice was away');
    assert.equal(new Set(texts).size, texts.length, 'no message twice');
  });

  test('a new tab signs in with the HttpOnly cookie alone', async () => {
    const tab = await alice.context().newPage();
    watchProblems(tab);
    await tab.goto(server.url + '/');
    await tab.waitForSelector('body[data-connection="connected"]');
    assert.equal(await tab.evaluate(() => sessionStorage.getItem('chatd.token')), null, 'no token in the new tab');
    assert.ok(!(await tab.evaluate(() => document.cookie)).includes('token='), 'the cookie is HttpOnly');
    await waitMessage(tab, 'Sent while Alice was away');
    await send(tab, 'Hello from a second tab');
    const m = await waitMessage(bob, 'Hello from a second tab');
    assert.equal(await m.getAttribute('data-sender'), 'alice');
    await tab.close();
  });

  test('polling-only transport works in the browser', async () => {
    const carol = await signedInPage(browser, server.url, 'Carol', { query: '?transport=polling' });
    const sockets = [];
    carol.on('websocket', (ws) => sockets.push(ws.url()));
    await joinRoom(carol, 'general');
    await waitMessage(carol, 'Hello from a second tab');
    await send(carol, 'Carol here, over long-polling');
    await waitMessage(alice, 'over long-polling');
    await send(alice, 'Welcome Carol');
    await waitMessage(carol, 'Welcome Carol');
    assert.equal(await carol.getAttribute('body', 'data-transport'), 'polling');
    assert.deepEqual(sockets, [], 'no WebSocket was opened');
    // Signing out closes the session at once (a vanished long-polling client would
    // only be noticed at the ping timeout), so Carol leaves the member list.
    await carol.click('#sign-out');
    await carol.locator('#signin-name').waitFor();
    await alice.locator('#member-list li[data-user="carol"]').waitFor({ state: 'detached' });
    await carol.context().close();
  });

  test('no console errors or CSP violations', () => {
    assert.deepEqual(alice.problems, []);
    assert.deepEqual(bob.problems, []);
  });
});
