// Errors the server sends are shown, not swallowed: a rate-limited message shows a
// toast with the retry time, and the message is sent again once the wait is over.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { joinRoom, launchBrowser, send, signedInPage, startChatd, waitMessage } from './harness.js';

describe('errors in the page', () => {
  let server;
  let browser;

  before(async () => {
    [server, browser] = await Promise.all([
      startChatd({ CHATD_RATE_MESSAGES: '1', CHATD_RATE_BURST: '2' }),
      launchBrowser(),
    ]);
  });

  test('a rate limit shows a toast with the retry time, then the message goes through', async () => {
    const page = await signedInPage(browser, server.url, 'dave');
    await joinRoom(page, 'limits');
    for (let i = 1; i <= 4; i++) await send(page, `burst ${i}`);
    const toast = page.locator('#toasts .toast-error', { hasText: /Retry in \d+(\.\d)? s/ });
    await toast.first().waitFor();
    // Refused messages are retried after retryAfterMs: all four end up stored, in order.
    await waitMessage(page, 'burst 4');
    await page.waitForFunction(() => document.querySelectorAll('#messages article.msg.pending').length === 0);
    const texts = await page.locator('#messages article.msg .content').allInnerTexts();
    assert.deepEqual(texts, ['burst 1', 'burst 2', 'burst 3', 'burst 4']);
  });

  test('a bad token sends the user back to sign-in with the reason', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url + '/');
    await page.fill('#signin-token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJldmUifQ.c2lnbmF0dXJl');
    await page.click('button:has-text("Use token")');
    await page.locator('#signin-error', { hasText: /signature|invalid/i }).waitFor();
    await context.close();
  });
});
