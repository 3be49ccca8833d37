// End-to-end harness for the chat contract (shared/spec/chat-api.md): it starts a real
// server process, mints HS256 tokens and drives the official npm socket.io-client.
//
// Target, chosen by E2E_TARGET:
//   chatd (default) — `go build ./cmd/chatd` once per test run (or CHATD_BIN=<prebuilt>),
//                     fresh SQLite database per server in a temp directory;
//   node            — the Node socket.io baseline (shared/baseline/node-socketio), copied to
//                     the temp directory and `npm ci`-ed once (E2E_BASELINE_DIR overrides
//                     where it is read from).
// Each test file starts its own server(s) through useServer(), so state is fresh; servers
// and sockets are torn down in after hooks, and on process exit as a last resort, so a
// failing or interrupted run leaves no processes behind.
import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before } from 'node:test';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..');

export const TARGET = process.env.E2E_TARGET || 'chatd';
if (TARGET !== 'chatd' && TARGET !== 'node') {
  throw new Error(`E2E_TARGET must be "chatd" or "node", not ${JSON.stringify(TARGET)}`);
}
export const isChatd = TARGET === 'chatd';
export const isNode = TARGET === 'node';

/** The transports every feature is exercised over. */
export const TRANSPORTS = [['websocket'], ['polling']];

/** ISO-8601 UTC with exactly three fraction digits, as the contract requires. */
export const TIMESTAMP_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Reason to put in `skip` for tests that only make sense against chatd. */
export const CHATD_ONLY = isNode && 'chatd-only';

// Short timers keep the suite fast; generous rate limits keep tests that send a lot from
// tripping limits they do not test (files that test limits override these).
const DEFAULT_ENV = {
  CHATD_PRESENCE_GRACE: '300ms',
  CHATD_TYPING_TIMEOUT: '600ms',
  CHATD_RATE_MESSAGES: '1000',
  CHATD_RATE_BURST: '1000',
  CHATD_RATE_TYPING: '1000',
  CHATD_RATE_JOINS: '1000',
  CHATD_RATE_CONNECTIONS: '10000',
  CHATD_LOG_LEVEL: 'debug',
};

const BUILD_TIMEOUT_MS = 10 * 60 * 1000;
const START_TIMEOUT_MS = 20 * 1000;

// ---------------------------------------------------------------------------- processes

/** Every server process this file started and has not seen exit; killed on exit. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => process.exit(130));
}

function run(cmd, args, opts) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 64 << 20, ...opts }, (err, stdout, stderr) => {
      if (err) {
        err.message = `${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`;
        reject(err);
      } else resolve({ stdout, stderr });
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };

function pidAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/**
 * Runs `produce(dir)` once per key across the test files of one run (they are separate
 * processes): the first caller builds into a private directory and renames it into place;
 * the others wait for the result. A failure is recorded so waiters fail fast too.
 */
async function once(finalDir, produce) {
  const ok = path.join(finalDir, 'ok');
  const failed = path.join(finalDir + '.failed');
  const lock = finalDir + '.lock';
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    if (fs.existsSync(ok)) return finalDir;
    if (fs.existsSync(failed)) throw new Error(fs.readFileSync(failed, 'utf8'));
    try {
      fs.mkdirSync(lock);
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // Someone else is producing it; a lock left by a dead producer is taken over.
      let owner = 0;
      try { owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8')); } catch { /* being written */ }
      if (owner && !pidAlive(owner)) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${finalDir}`);
      await sleep(200);
      continue;
    }
    fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
    try {
      if (fs.existsSync(ok)) return finalDir;
      const work = `${finalDir}.tmp-${process.pid}`;
      fs.rmSync(work, { recursive: true, force: true });
      fs.mkdirSync(work, { recursive: true });
      try {
        await produce(work);
      } catch (err) {
        fs.writeFileSync(failed, String(err.message || err));
        fs.rmSync(work, { recursive: true, force: true });
        throw err;
      }
      fs.writeFileSync(path.join(work, 'ok'), new Date().toISOString());
      fs.rmSync(finalDir, { recursive: true, force: true });
      fs.renameSync(work, finalDir);
      return finalDir;
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** Removes build directories left by earlier runs whose test runner is gone. */
function sweepStaleBuilds() {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    const m = /^chatd-e2e-bin-(\d+)(\..*)?$/.exec(name);
    if (m && Number(m[1]) !== process.ppid && !pidAlive(Number(m[1]))) {
      fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
    }
  }
}

/**
 * The chatd binary: CHATD_BIN if set, else built once per test run. The test runner
 * (`node --test`) runs each file as a child process, so the runner's pid keys the build.
 */
async function chatdBinary() {
  if (process.env.CHATD_BIN) return process.env.CHATD_BIN;
  sweepStaleBuilds();
  const dir = path.join(os.tmpdir(), `chatd-e2e-bin-${process.ppid}`);
  await once(dir, async (work) => {
    await run('go', ['build', '-o', path.join(work, 'chatd'), './cmd/chatd'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` },
      timeout: BUILD_TIMEOUT_MS,
    });
  });
  return path.join(dir, 'chatd');
}

function baselineSource() {
  const candidates = [
    process.env.E2E_BASELINE_DIR,
    path.resolve(REPO_ROOT, '..', 'shared', 'baseline', 'node-socketio'),
    '/work/shared/baseline/node-socketio',
  ].filter(Boolean);
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'server.js')));
  if (!found) throw new Error(`Node baseline not found in: ${candidates.join(', ')}`);
  return found;
}

/** The Node baseline's server.js, in a writable copy with its dependencies installed. */
async function nodeBaseline() {
  const src = baselineSource();
  const hash = createHash('sha256');
  for (const f of ['server.js', 'package.json', 'package-lock.json']) {
    hash.update(fs.readFileSync(path.join(src, f)));
  }
  const dir = path.join(os.tmpdir(), `chatd-e2e-baseline-${hash.digest('hex').slice(0, 12)}`);
  await once(dir, async (work) => {
    for (const f of ['server.js', 'package.json', 'package-lock.json']) {
      fs.copyFileSync(path.join(src, f), path.join(work, f));
    }
    await run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: work, timeout: BUILD_TIMEOUT_MS,
    });
  });
  return path.join(dir, 'server.js');
}

function freePort() {
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

// ---------------------------------------------------------------------------- server

let serverSeq = 0;

/** A server process under test (chatd or the Node baseline) and the clients made for it. */
export class Server {
  constructor(env = {}) {
    this.extraEnv = env;
    this.secret = randomBytes(24).toString('hex');
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `chatd-e2e-${process.pid}-${serverSeq++}-`));
    this.dbPath = path.join(this.dir, 'chatd.db');
    this.logPath = path.join(this.dir, 'server.log');
    this.port = 0;
    this.child = null;
    this.exited = null; // promise of {code, signal} for the current child
    this.sockets = new Set();
    this.raw = new Set(); // ws connections of rawClient
  }

  get url() { return `http://127.0.0.1:${this.port}`; }
  get chatUrl() { return `${this.url}/chat`; }

  env() {
    const inherited = { ...process.env };
    delete inherited.NODE_TEST_CONTEXT; // the runner's marker must not reach a Node server
    return {
      ...inherited,
      ...DEFAULT_ENV,
      CHATD_ADDR: `127.0.0.1:${this.port}`,
      CHATD_JWT_SECRET: this.secret,
      CHATD_DB: this.dbPath,
      CHATD_DATA_DIR: this.dir,
      ...this.extraEnv,
    };
  }

  /** Starts (or restarts, on the same port and database) the process; resolves when /healthz is 200. */
  async start() {
    if (!this.port) this.port = await freePort();
    const [cmd, args] = isChatd
      ? [await chatdBinary(), []]
      : [process.execPath, [await nodeBaseline()]];
    const log = fs.openSync(this.logPath, 'a');
    fs.writeSync(log, `\n=== start ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, { env: this.env(), stdio: ['ignore', log, log], cwd: this.dir });
    fs.closeSync(log);
    live.add(child);
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => { live.delete(child); resolve({ code, signal }); });
      child.once('error', (err) => { live.delete(child); resolve({ code: -1, signal: null, err }); });
    });
    const deadline = Date.now() + START_TIMEOUT_MS;
    let gone = null;
    this.exited.then((r) => { gone = r; });
    while (Date.now() < deadline) {
      if (gone) throw new Error(`server exited during start (${JSON.stringify(gone)}):\n${this.logTail()}`);
      if (await this.healthy()) return;
      await sleep(50);
    }
    throw new Error(`server not healthy after ${START_TIMEOUT_MS}ms:\n${this.logTail()}`);
  }

  async healthy() {
    try {
      const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** Sends signal and waits for the process to exit; returns {code, signal}. */
  async stop(signal = 'SIGTERM', timeoutMs = 15000) {
    if (!this.child) return null;
    const child = this.child;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return this.exited;
    child.kill(signal);
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, 'timeout'); });
    const res = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (res === 'timeout') {
      child.kill('SIGKILL');
      await this.exited;
      throw new Error(`server ignored ${signal} for ${timeoutMs}ms:\n${this.logTail()}`);
    }
    return res;
  }

  logTail(lines = 60) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }

  /** Closes the sockets and stops the server gracefully (it is killed if it does not exit). */
  async destroy() {
    this.closeSockets();
    try {
      await this.stop('SIGTERM', 10000);
    } finally {
      if (!process.env.E2E_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }

  closeSockets() {
    for (const s of this.sockets) s.disconnect();
    this.sockets.clear();
    for (const ws of this.raw) ws.terminate();
    this.raw.clear();
  }

  /**
   * An HS256 token for sub, valid for an hour unless claims set exp. claims may add
   * name/rooms/exp/…; opts: secret (sign with another key), algorithm, noExp (omit exp).
   */
  token(sub, claims = {}, { secret = this.secret, algorithm = 'HS256', noExp = false } = {}) {
    const payload = { sub, ...claims };
    if (payload.sub === undefined) delete payload.sub;
    const signOpts = { algorithm };
    if (payload.exp === undefined && !noExp) signOpts.expiresIn = '1h';
    return jwt.sign(payload, secret, signOpts);
  }

  /**
   * A socket.io-client socket on /chat for user, not yet awaited. Options:
   *   transports      default ['websocket']
   *   via             where the token goes: 'auth' (default), 'query', 'header', 'cookie', 'none'
   *   token           the token to send (default: a fresh valid one for user)
   *   namespace       default '/chat'
   *   io              extra socket.io-client options (override everything above)
   * Every received event is recorded in socket.log (see record).
   */
  client(user, { transports = ['websocket'], via = 'auth', token, namespace = '/chat', io: ioOpts = {} } = {}) {
    const tok = token ?? this.token(user);
    const opts = { forceNew: true, reconnection: false, timeout: 5000, transports };
    if (via === 'auth') opts.auth = { token: tok };
    else if (via === 'query') opts.query = { token: tok };
    else if (via === 'header') opts.extraHeaders = { Authorization: `Bearer ${tok}` };
    else if (via === 'cookie') opts.extraHeaders = { Cookie: `token=${tok}` };
    else if (via !== 'none') throw new Error(`unknown token placement ${via}`);
    const socket = record(io(`${this.url}${namespace}`, { ...opts, ...ioOpts }));
    socket.user = user;
    this.sockets.add(socket);
    return socket;
  }

  /** A connected socket (see client for options); rejects with the connect_error. */
  async connect(user, opts = {}) {
    const socket = this.client(user, opts);
    await connected(socket, user);
    return socket;
  }

  /** The connect_error a refused connection attempt gets; fails if it connects. */
  async connectError(user, opts = {}) {
    const socket = this.client(user, opts);
    try {
      return await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('neither connect nor connect_error within 5000ms')), 5000);
        socket.once('connect', () => { clearTimeout(timer); reject(new Error(`connected, but a refusal was expected (user ${user})`)); });
        socket.once('connect_error', (err) => { clearTimeout(timer); resolve(err); });
      });
    } finally {
      socket.disconnect();
      this.sockets.delete(socket);
    }
  }
}

/** Resolves when socket is connected; rejects with its connect_error. */
export function connected(socket, label = socket.user) {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`${label}: not connected within 6000ms`)); }, 6000);
    const onConnect = () => { cleanup(); resolve(socket); };
    const onError = (err) => {
      cleanup();
      const e = new Error(`${label}: connect_error ${err.message} ${JSON.stringify(err.data ?? null)}`);
      e.cause = err;
      reject(e);
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

/**
 * Registers before/after hooks that start a fresh server for the enclosing file (or
 * describe block) and close every socket each test opened.
 */
export function useServer(env = {}) {
  const server = new Server(env);
  before(() => server.start(), { timeout: BUILD_TIMEOUT_MS + START_TIMEOUT_MS });
  afterEach(() => server.closeSockets());
  after(async () => {
    if (process.env.E2E_SHOW_LOG) process.stderr.write(`--- server log (${server.dir})\n${server.logTail(200)}\n`);
    await server.destroy();
  });
  return server;
}

// ---------------------------------------------------------------------------- helpers

let idSeq = 0;
const runTag = randomBytes(3).toString('hex');
/** A unique user or room id with a readable prefix (fits the room-id alphabet). */
export function uid(prefix = 'u') {
  return `${prefix}-${runTag}-${(idSeq++).toString(36)}`;
}

/**
 * Resolves with the first argument of the next `event` on socket for which predicate
 * holds; rejects after timeoutMs with what was received instead.
 */
export function waitFor(socket, event, predicate = () => true, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const seen = [];
    const onEvent = (...args) => {
      let match;
      try { match = predicate(...args); } catch (err) { cleanup(); reject(err); return; }
      if (match) { cleanup(); resolve(args[0]); } else seen.push(args);
    };
    const timer = setTimeout(() => {
      cleanup();
      const desc = predicate.toString().length < 160 ? ` matching ${predicate}` : '';
      reject(new Error(`${socket.user ?? 'socket'}: timed out after ${timeoutMs}ms waiting for '${event}'${desc}; `
        + `non-matching '${event}' events meanwhile: ${JSON.stringify(seen).slice(0, 800)}`));
    }, timeoutMs);
    const cleanup = () => { clearTimeout(timer); socket.off(event, onEvent); };
    socket.on(event, onEvent);
  });
}

/** Emits event (with payload unless it is undefined) and resolves with the ack's argument. */
export async function emitAck(socket, event, payload, timeoutMs = 3000) {
  const args = payload === undefined ? [] : [payload];
  try {
    return await socket.timeout(timeoutMs).emitWithAck(event, ...args);
  } catch (err) {
    throw new Error(`${socket.user ?? 'socket'}: no ack for '${event}' within ${timeoutMs}ms (${err.message})`);
  }
}

/** Records every `event` on socket (optionally only those matching predicate) until stop(). */
export function collect(socket, event, predicate = () => true) {
  const items = [];
  const on = (...args) => { if (predicate(...args)) items.push(args[0]); };
  socket.on(event, on);
  items.stop = () => socket.off(event, on);
  return items;
}

let logSeq = 0;

/** Records every event socket receives in socket.log as {event, args, seq}; returns socket. */
export function record(socket) {
  socket.log = [];
  socket.onAny((event, ...args) => socket.log.push({ event, args, seq: ++logSeq }));
  return socket;
}

/** A point in the order of all recorded events, for received(…, since). */
export function mark() {
  return logSeq;
}

/** The recorded `event` payloads socket received after mark `since` that match predicate. */
export function received(socket, event, predicate = () => true, since = 0) {
  return socket.log.filter((e) => e.event === event && e.seq > since && predicate(...e.args)).map((e) => e.args[0]);
}

/**
 * A barrier: resolves once the server has handled everything socket sent before, and a
 * little time has passed for broadcasts to other sockets to land.
 */
export async function settle(sockets = [], ms = 150) {
  await Promise.all(sockets.map((s) => emitAck(s, 'heartbeat')));
  await sleep(ms);
}

/** Joins room and waits for the joinedRoom confirmation (ack-style). */
export async function join(socket, roomId) {
  const res = await emitAck(socket, 'joinRoom', roomId);
  if (res !== roomId) throw new Error(`${socket.user}: joinRoom ${roomId} answered ${JSON.stringify(res)}`);
  return res;
}

/** Sends a message ack-style and returns the receipt; throws on an error ack. */
export async function send(socket, roomId, content, extra = {}) {
  const res = await emitAck(socket, 'sendMessage', { content, roomId, ...extra });
  if (!res || res.error || res.status !== 'sent') {
    throw new Error(`${socket.user}: sendMessage to ${roomId} answered ${JSON.stringify(res)}`);
  }
  return res;
}

/** Runs syncMessages ack-style; returns {messages, complete} (messages of that room, in arrival order). */
export async function sync(socket, payload) {
  const messages = collect(socket, 'newMessage', (m) => m && m.roomId === payload.roomId);
  try {
    const complete = await emitAck(socket, 'syncMessages', payload);
    if (!complete || complete.error) {
      throw new Error(`${socket.user}: syncMessages ${JSON.stringify(payload)} answered ${JSON.stringify(complete)}`);
    }
    return { messages: [...messages], complete };
  } finally {
    messages.stop();
  }
}

/** Asserts an ack is the contract's error shape; returns the inner error. */
export function errorOf(ack) {
  if (!ack || typeof ack !== 'object' || !ack.error || typeof ack.error !== 'object') {
    throw new Error(`expected an {error} ack, got ${JSON.stringify(ack)}`);
  }
  return ack.error;
}

/**
 * A raw Engine.IO/Socket.IO client over ws, for what socket.io-client cannot do: stop
 * reading (client.ws._socket.pause()), or send events the client would never send.
 * It answers pings, records text frames in client.frames, and connects to /chat with
 * `{token}` as the CONNECT payload (token null: no payload).
 */
export async function rawClient(server, user, { token = server.token(user) } = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  const waiters = [];
  ws.on('message', (data) => {
    const text = data.toString();
    if (text === '2') { ws.send('3'); return; }
    frames.push(text);
    for (const w of [...waiters]) {
      if (w.match(text)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(text); }
    }
  });
  const next = (match, ms = 5000) => {
    const hit = frames.find(match);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      waiters.push({ match, resolve });
      setTimeout(() => reject(new Error(`raw client: no frame matching ${match} in ${ms}ms; last: ${frames.slice(-5)}`)), ms).unref();
    });
  };
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  await next((f) => f.startsWith('0{'));
  ws.send(token === null ? '40/chat,' : `40/chat,${JSON.stringify({ token })}`);
  const answer = await next((f) => f.startsWith('40/chat,') || f.startsWith('44/chat,'));
  server.raw.add(ws);
  return {
    ws,
    frames,
    next,
    connected: answer.startsWith('40/chat,'),
    answer,
    emit(...args) { ws.send(`42/chat,${JSON.stringify(args)}`); },
    async joinRoom(room) {
      this.emit('joinRoom', room);
      await next((f) => f === `42/chat,${JSON.stringify(['joinedRoom', room])}`);
    },
  };
}

/** Label for a transports list, for test names. */
export function tname(transports) { return transports.join('+'); }
