// Browser test harness: builds the chat page (web/ → internal/webui/dist) and a chatd
// binary that embeds it, starts chatd in development mode on a free port with a fresh
// SQLite database, and drives Debian's Chromium through playwright-core.
//
// Environment:
//   CHROMIUM_PATH   the browser to drive (default /usr/bin/chromium; apt-get install chromium)
//   CHATD_BIN       a prebuilt chatd to use instead of building one (it must embed the page)
//   BROWSER_NO_BUILD=1  skip `npm run build` in web/ (the assets are already built)
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..');
export const ARTIFACTS = path.resolve(here, '..', 'artifacts');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const BUILD_TIMEOUT_MS = 10 * 60 * 1000;
const START_TIMEOUT_MS = 20 * 1000;

// Short timers keep the tests quick; generous limits keep them from tripping limits
// they do not test.
const SERVER_ENV = {
  CHATD_DEV: 'true',
  CHATD_PRESENCE_GRACE: '300ms',
  CHATD_TYPING_TIMEOUT: '3s',
  CHATD_RATE_MESSAGES: '1000',
  CHATD_RATE_BURST: '1000',
  CHATD_RATE_TYPING: '1000',
  CHATD_RATE_JOINS: '1000',
  CHATD_RATE_CONNECTIONS: '10000',
  CHATD_LOG_LEVEL: 'info',
};

/** Every process this file started; killed on exit as a last resort. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/**
 * Cleanups of what the helpers started, run last-first when the file's tests end.
 * node:test's after() called inside a hook would run when that hook ends, so the
 * helpers register here instead, and one root-level after() runs them.
 */
const cleanups = [];
after(async () => {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()();
    } catch (err) {
      console.error('# cleanup:', err);
    }
  }
});

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 << 20, timeout: BUILD_TIMEOUT_MS, ...opts }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

let built;
/** Builds the page and the binary once per process; resolves to the binary's path. */
export function buildChatd() {
  built ??= (async () => {
    if (process.env.CHATD_BIN) return process.env.CHATD_BIN;
    const web = path.join(REPO_ROOT, 'web');
    if (process.env.BROWSER_NO_BUILD !== '1') {
      if (!fs.existsSync(path.join(web, 'node_modules'))) await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: web });
      await run('npm', ['run', 'build'], { cwd: web });
    }
    if (!fs.existsSync(path.join(REPO_ROOT, 'internal', 'webui', 'dist', 'index.html'))) {
      throw new Error('web assets are not built: run `make web`');
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-browser-bin-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const bin = path.join(dir, 'chatd');
    await run('go', ['build', '-o', bin, './cmd/chatd'], { cwd: REPO_ROOT });
    return bin;
  })();
  return built;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Runs chatd on port with its data in dir; resolves once /readyz answers. */
async function spawnChatd(bin, port, dir, env) {
  const child = spawn(bin, [], {
    env: { ...process.env, ...SERVER_ENV, CHATD_ADDR: `127.0.0.1:${port}`, CHATD_DB: path.join(dir, 'chatd.db'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const proc = { child, output: '' };
  child.stdout.on('data', (d) => { proc.output += d; });
  child.stderr.on('data', (d) => { proc.output += d; });
  proc.exited = new Promise((resolve) => child.once('exit', (code) => { live.delete(child); resolve(code); }));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`chatd exited with ${child.exitCode}:\n${proc.output}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return proc;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`chatd did not become ready:\n${proc.output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts chatd in development mode with a fresh database; stopped after the file's
 * tests. Returns { url, port, log(), kill(), restart(), stop() }: kill() stops the
 * process (SIGTERM, a graceful drain) and restart() starts it again on the same port
 * with the same database and secret.
 */
export async function startChatd(env = {}) {
  const bin = await buildChatd();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-browser-'));
  const port = await freePort();
  let proc = await spawnChatd(bin, port, dir, env);
  let earlier = '';
  const kill = async () => {
    if (proc.child.exitCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  };
  const server = {
    url: `http://127.0.0.1:${port}`,
    port,
    log: () => earlier + proc.output,
    kill,
    restart: async () => {
      await kill();
      earlier += proc.output;
      proc = await spawnChatd(bin, port, dir, env);
    },
    stop: async () => {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  cleanups.push(server.stop);
  return server;
}

/** Launches headless Chromium (a fresh temporary profile each time); closed after the file's tests. */
export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  }
  // launch() gives the browser a new temporary user-data-dir and deletes it on close.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  cleanups.push(() => browser.close());
  return browser;
}

/**
 * Opens the chat page in a new browser context (its own cookies and storage: one
 * user) and signs in as name. Console errors and page errors are collected in
 * page.problems so tests can assert there were none.
 */
export async function signedInPage(browser, base, name, { query = '', viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ viewport, colorScheme: 'dark', reducedMotion: 'reduce' });
  const page = await context.newPage();
  watchProblems(page);
  await page.goto(`${base}/${query}`);
  await page.fill('#signin-name', name);
  await page.click('button:has-text("Join chat")');
  await page.waitForSelector('body[data-connection="connected"]');
  return page;
}

/** Records console errors, CSP violations and uncaught exceptions of page in page.problems. */
export function watchProblems(page) {
  page.problems = [];
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => page.problems.push(`pageerror: ${e.message}`));
}

/** Joins room in the sidebar and waits until the room is open. */
export async function joinRoom(page, room) {
  await page.fill('#join-room', room);
  await page.press('#join-room', 'Enter');
  await page.waitForSelector(`#room-head h1:has-text("${room}")`);
}

/** Types and sends a message in the open room. */
export async function send(page, text) {
  await page.fill('#composer-input', text);
  await page.press('#composer-input', 'Enter');
}

/** Waits until a stored (not pending) message with text is shown; returns its locator. */
export async function waitMessage(page, text) {
  const loc = page.locator('#messages article.msg:not(.pending)', { hasText: text });
  await loc.first().waitFor();
  return loc.first();
}

/** Serves files from a map of path → {type, body} on another origin; closed after the tests. */
export async function staticServer(files) {
  const port = await freePort();
  const srv = http.createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': f.type, 'Cache-Control': 'no-store' }).end(f.body);
  });
  await new Promise((resolve) => srv.listen(port, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => {
    srv.closeAllConnections();
    srv.close(resolve);
  }));
  return { url: `http://127.0.0.1:${port}`, port };
}
