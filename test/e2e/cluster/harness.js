// Harness for cross-node tests: several chatd processes sharing one PostgreSQL schema
// (the message history) and one Redis (CHATD_BROKER, the broadcast fan-out), driven by
// the official npm socket.io-client.
//
// Needs a PostgreSQL reachable with psql and a Redis:
//   E2E_PG_URL     default postgres://postgres@127.0.0.1:5432/test?sslmode=disable
//   E2E_REDIS_URL  default redis://127.0.0.1:6379/0
// Each cluster gets a fresh schema, created and dropped with psql. Redis channels are
// global, so cluster files must run one at a time (`node --test --test-concurrency=1`).
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
    const log = fs.openSync(this.logPath, 'a');
    const env = {
      ...process.env,
      CHATD_ADDR: `127.0.0.1:${this.port}`,
      CHATD_JWT_SECRET: this.cluster.secret,
      CHATD_DB: pgURL(this.cluster.schema),
      CHATD_DATA_DIR: this.cluster.dir,
      CHATD_BROKER: REDIS_URL,
      CHATD_LOG_LEVEL: 'debug',
      CHATD_RATE_MESSAGES: '1000',
      CHATD_RATE_BURST: '1000',
      CHATD_RATE_TYPING: '1000',
      CHATD_RATE_JOINS: '1000',
      CHATD_RATE_CONNECTIONS: '10000',
    };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(this.cluster.bin, [], { env, stdio: ['ignore', log, log], cwd: this.cluster.dir });
    fs.closeSync(log);
    live.add(child);
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }));
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${this.name} exited during start:\n${this.logTail()}`);
      if (await this.ready()) return;
      await sleep(50);
    }
    throw new Error(`${this.name} not ready after ${START_TIMEOUT_MS}ms:\n${this.logTail()}`);
  }

  /** Whether GET /readyz is 200: the store answers and the broker relays. */
  async ready() {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return res.status === 200;
    } catch {
      return false;
    }
  }

  async stop() {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  logTail(lines = 60) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** A connected /chat socket for user on this node; every event is kept in socket.log. */
  async connect(user) {
    const token = jwt.sign({ sub: user }, this.cluster.secret, { algorithm: 'HS256', expiresIn: '1h' });
    const socket = io(`${this.url}/chat`, {
      forceNew: true, reconnection: false, timeout: 5000, transports: ['websocket'], auth: { token },
    });
    socket.user = user;
    socket.log = [];
    socket.onAny((event, ...args) => socket.log.push({ event, args }));
    this.cluster.sockets.add(socket);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${user}@${this.name}: not connected`)), 6000);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('connect_error', (err) => { clearTimeout(timer); reject(err); });
    });
    return socket;
  }
}

/** N chatd nodes on one fresh PostgreSQL schema and the shared Redis. */
export class Cluster {
  constructor(size) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatd-cluster-'));
    this.secret = randomBytes(24).toString('hex');
    this.schema = `e2e_cluster_${randomBytes(4).toString('hex')}`;
    this.sockets = new Set();
    this.nodes = Array.from({ length: size }, (_, i) => new Node(this, `node${i + 1}`));
  }

  async start() {
    await psql(`CREATE SCHEMA ${this.schema}`);
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
    if (process.env.E2E_SHOW_LOG) {
      for (const n of this.nodes) process.stderr.write(`--- ${n.name}\n${n.logTail(100)}\n`);
    }
    await psql(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    if (!process.env.E2E_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Registers hooks that start a cluster of size nodes for the file and tear it down. */
export function useCluster(size) {
  const cluster = new Cluster(size);
  before(() => cluster.start(), { timeout: 10 * 60 * 1000 });
  afterEach(() => cluster.closeSockets());
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

/** Joins room, checking the confirmation. */
export async function join(socket, room) {
  const res = await emitAck(socket, 'joinRoom', room);
  if (res !== room) throw new Error(`${socket.user}: joinRoom ${room} answered ${JSON.stringify(res)}`);
}
