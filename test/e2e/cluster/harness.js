// Harness for cross-node tests: several chatd processes sharing one PostgreSQL schema
// (the message history) and one Redis (CHATD_BROKER: the broadcast fan-out and the
// cluster registry), driven by the official npm socket.io-client.
//
// Needs a PostgreSQL reachable with psql and a Redis:
//   E2E_PG_URL     default postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//   E2E_REDIS_URL  default redis://127.0.0.1:6379/0
// Each cluster gets a fresh schema, created and dropped with psql, and its own
// CHATD_CLUSTER_NAME, so that clusters sharing a Redis (other files, other people) never
// see each other's keys and channels. A cluster may instead run its own redis-server
// (option privateRedis), which a test can stop and start again.
// CHATD_BIN uses a prebuilt binary; otherwise `go build ./cmd/chatd` once per file.
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before } from 'node:test';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';

const here = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(here, '..', '..', '..');
const PG_URL = process.env.E2E_PG_URL || 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable';
const REDIS_URL = process.env.E2E_REDIS_URL || 'redis://127.0.0.1:6379/0';
const START_TIMEOUT_MS = 20_000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every process started and not yet seen exiting; killed if the runner exits early. */
const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* gone */ }
  }
});

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 << 20, ...opts }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function chatdBinary(dir) {
  if (process.env.CHATD_BIN) return process.env.CHATD_BIN;
  const bin = path.join(dir, 'chatd');
  await run('go', ['build', '-o', bin, './cmd/chatd'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/local/go/bin` },
  });
  return bin;
}

/** pgURL returns the PostgreSQL URL with search_path set to schema. */
function pgURL(schema) {
  const u = new URL(PG_URL);
  u.searchParams.set('search_path', schema);
  return u.toString();
}

const psql = (sql) => run('psql', [PG_URL, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);


/** Starts cmd with its output appended to logPath; exited resolves with { code, signal }. */
function spawnLogged(cmd, args, { env = process.env, cwd, logPath }) {
  const log = fs.openSync(logPath, 'a');
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  live.add(child);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    live.delete(child);
    resolve({ code, signal });
  }));
  return { child, exited };
}

/** Whether child is still running. */
const running = (child) => child !== null && child.exitCode === null && child.signalCode === null;

/** Kills owner.child (a Node's or the RedisServer's) with SIGKILL and waits for its exit. */
async function sigkill(owner) {
  if (!owner.child) return;
  const child = owner.child;
  owner.child = null;
  if (running(child)) child.kill('SIGKILL');
  await owner.exited;
}

function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One chatd process of a cluster. */
class Node {
  constructor(cluster, name) {
    this.cluster = cluster;
    this.name = name;
    this.logPath = path.join(cluster.dir, `${name}.log`);
    this.port = 0;
    this.child = null;
    this.exited = null;
  }

  get url() { return `http://127.0.0.1:${this.port}`; }

  async start() {
    this.port = await freePort();
    const env = {
      ...process.env,
      CHATD_ADDR: `127.0.0.1:${this.port}`,
      CHATD_JWT_SECRET: this.cluster.secret,
      CHATD_DB: pgURL(this.cluster.schema),
      CHATD_DATA_DIR: this.cluster.dir,
      CHATD_BROKER: this.cluster.redisUrl,
      CHATD_CLUSTER_NAME: this.cluster.name,
      CHATD_LOG_LEVEL: 'debug',
      CHATD_RATE_MESSAGES: '1000',
      CHATD_RATE_BURST: '1000',
      CHATD_RATE_TYPING: '1000',
      CHATD_RATE_JOINS: '1000',
      CHATD_RATE_CONNECTIONS: '10000',
      ...this.cluster.env,
    };
    delete env.NODE_TEST_CONTEXT;
    const { child, exited } = spawnLogged(this.cluster.bin, [], { env, cwd: this.cluster.dir, logPath: this.logPath });
    this.child = child;
    this.exited = exited;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!running(child)) throw new Error(`${this.name} exited during start:\n${this.logTail()}`);
      if (await this.ready()) return;
      await sleep(50);
    }
    throw new Error(`${this.name} not ready after ${START_TIMEOUT_MS}ms:\n${this.logTail()}`);
  }

  /** The status of GET /readyz (200: the store answers and the broker relays), 0 if no answer. */
  async readyStatus() {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1500) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** Whether GET /readyz is 200. */
  async ready() {
    return (await this.readyStatus()) === 200;
  }

  /** Stops the node gracefully (SIGTERM, then SIGKILL after 10 s). */
  async stop() {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    if (running(child)) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Kills the node with SIGKILL, as a crash would: no drain, no goodbye to Redis. */
  async kill() {
    await sigkill(this);
  }

  logTail(lines = 60) { return tail(this.logPath, lines); }

  /**
   * A connected /chat socket for user on this node. Every event is kept in socket.log as
   * { event, args, at } (at: Date.now() on arrival). opts go to io() (e.g. transports).
   */
  async connect(user, opts = {}) {
    const token = jwt.sign({ sub: user }, this.cluster.secret, { algorithm: 'HS256', expiresIn: '1h' });
    const socket = io(`${this.url}/chat`, {
      forceNew: true, reconnection: false, timeout: 5000, transports: ['websocket'], auth: { token }, ...opts,
    });
    socket.user = user;
    socket.node = this;
    socket.log = [];
    socket.onAny((event, ...args) => socket.log.push({ event, args, at: Date.now() }));
    this.cluster.sockets.add(socket);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${user}@${this.name}: not connected`)), 6000);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('connect_error', (err) => { clearTimeout(timer); reject(err); });
    });
    return socket;
  }
}

/**
 * A private redis-server on a loopback port, without persistence, that a test can kill
 * and start again on the same port (a Redis restart as the nodes see it).
 */
export class RedisServer {
  constructor(dir) {
    this.dir = dir;
    this.logPath = path.join(dir, 'redis.log');
    this.port = 0;
    this.child = null;
    this.exited = null;
  }

  get url() { return `redis://127.0.0.1:${this.port}/0`; }

  /** Starts redis-server (on the port of the previous start, if any) and waits for PONG. */
  async start() {
    if (!this.port) this.port = await freePort();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--dir', this.dir];
    const { child, exited } = spawnLogged('redis-server', args, { cwd: this.dir, logPath: this.logPath });
    this.child = child;
    this.exited = exited;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (!running(child)) throw new Error(`redis-server exited during start:\n${tail(this.logPath, 20)}`);
      if (await this.ping()) return;
      await sleep(20);
    }
    throw new Error(`redis-server not answering on ${this.port}:\n${tail(this.logPath, 20)}`);
  }

  /** Kills redis-server with SIGKILL: every connection drops, every key is gone. */
  async kill() {
    await sigkill(this);
  }

  /** Whether the server answers PING. */
  ping() {
    return new Promise((resolve) => {
      const conn = net.connect(this.port, '127.0.0.1');
      const done = (ok) => { conn.destroy(); resolve(ok); };
      conn.setTimeout(500, () => done(false));
      conn.on('error', () => done(false));
      conn.on('connect', () => conn.write('PING\r\n'));
      conn.on('data', (d) => done(d.toString().startsWith('+PONG')));
    });
  }
}

/**
 * N chatd nodes on one fresh PostgreSQL schema and a Redis under a cluster name of
 * their own. Options: env (extra CHATD_* for every node, e.g. short TTLs), redisUrl
 * (default E2E_REDIS_URL), privateRedis (run a RedisServer for this cluster instead).
 */
export class Cluster {
  constructor(size, { env = {}, redisUrl = REDIS_URL, privateRedis = false } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-cluster-'));
    this.secret = randomBytes(24).toString('hex');
    this.schema = `e2e_cluster_${randomBytes(4).toString('hex')}`;
    this.name = `e2e-${randomBytes(4).toString('hex')}`;
    this.env = env;
    this.redis = privateRedis ? new RedisServer(this.dir) : null;
    this.sharedRedisUrl = redisUrl;
    this.sockets = new Set();
    this.nodes = Array.from({ length: size }, (_, i) => new Node(this, `node${i + 1}`));
  }

  get redisUrl() { return this.redis ? this.redis.url : this.sharedRedisUrl; }

  async start() {
    await psql(`CREATE SCHEMA ${this.schema}`);
    if (this.redis) await this.redis.start();
    this.bin = await chatdBinary(this.dir);
    // One at a time: the first migrates the schema (the others would wait on its lock).
    for (const n of this.nodes) await n.start();
  }

  closeSockets() {
    for (const s of this.sockets) s.disconnect();
    this.sockets.clear();
  }

  async destroy() {
    this.closeSockets();
    await Promise.all(this.nodes.map((n) => n.stop()));
    if (this.redis) await this.redis.kill();
    if (process.env.E2E_SHOW_LOG) {
      for (const n of this.nodes) process.stderr.write(`--- ${n.name}\n${n.logTail(100)}\n`);
    }
    await psql(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    if (!process.env.E2E_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Registers hooks that start a cluster of size nodes for the file and tear it down.
 * opts are those of Cluster, and keepSockets: leave sockets open from one test to the
 * next (for files whose tests check, in turn, one scenario), instead of closing them.
 */
export function useCluster(size, { keepSockets = false, ...opts } = {}) {
  const cluster = new Cluster(size, opts);
  before(() => cluster.start(), { timeout: 10 * 60 * 1000 });
  if (!keepSockets) afterEach(() => cluster.closeSockets());
  after(() => cluster.destroy());
  return cluster;
}

let seq = 0;
const tag = randomBytes(3).toString('hex');
/** A unique user or room id. */
export function uid(prefix) {
  return `${prefix}-${tag}-${(seq++).toString(36)}`;
}

/** Emits event with payload and resolves with the ack. */
export function emitAck(socket, event, payload, ms = 3000) {
  return socket.timeout(ms).emitWithAck(event, payload);
}

/** The payloads of event socket received, matching pred. */
export function received(socket, event, pred = () => true) {
  return socket.log.filter((e) => e.event === event && pred(...e.args)).map((e) => e.args[0]);
}

/** Resolves once socket has received an event matching pred; rejects after ms. */
export async function waitFor(socket, event, pred = () => true, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = received(socket, event, pred);
    if (got.length > 0) return got[0];
    if (Date.now() > deadline) {
      throw new Error(`${socket.user}: no '${event}' within ${ms}ms; log: ${JSON.stringify(socket.log).slice(0, 600)}`);
    }
    await sleep(10);
  }
}

/**
 * Resolves with the first truthy value of predicate (which may be async), polled every
 * 20 ms; rejects after ms with what in the message. (waitFor is the per-socket form.)
 */
export async function waitUntil(predicate, ms, what = 'condition') {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms}ms`);
    await sleep(20);
  }
}

/** Joins room, checking the confirmation. */
export async function join(socket, room) {
  const res = await emitAck(socket, 'joinRoom', room);
  if (res !== room) throw new Error(`${socket.user}: joinRoom ${room} answered ${JSON.stringify(res)}`);
}

/** Sends content to room and returns the messageSent receipt; throws on an error ack. */
export async function send(socket, room, content, ms = 5000) {
  const r = await emitAck(socket, 'sendMessage', { roomId: room, content }, ms);
  if (r?.status !== 'sent') throw new Error(`${socket.user}: sendMessage to ${room} answered ${JSON.stringify(r)}`);
  return r;
}

/** The room sequence number in a message id ("<13 base-36 digits>-<random>", store/id.go). */
export function seqOf(id) {
  return parseInt(id.slice(0, 13), 36);
}

/**
 * Every message of room after message id afterId, oldest first, fetched with
 * syncMessages in pages of 200 until hasMore is false. Call it while nothing else is
 * sent to the room: it takes the newMessage events that arrive before each ack, and
 * checks their number against syncedMessageCount.
 */
export async function syncAll(socket, room, afterId) {
  const all = [];
  let last = afterId;
  for (;;) {
    const from = socket.log.length;
    const done = await emitAck(socket, 'syncMessages', { roomId: room, lastMessageId: last, limit: 200 }, 10_000);
    if (!done || done.error) throw new Error(`${socket.user}: syncMessages ${room} answered ${JSON.stringify(done)}`);
    const page = socket.log.slice(from).filter((e) => e.event === 'newMessage' && e.args[0].roomId === room)
      .map((e) => e.args[0]);
    if (page.length !== done.syncedMessageCount) {
      throw new Error(`${socket.user}: sync page of ${page.length} newMessage, syncComplete says ${done.syncedMessageCount}`);
    }
    all.push(...page);
    if (!done.hasMore || page.length === 0) return all;
    last = done.lastMessageId;
  }
}
