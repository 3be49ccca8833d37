// Harness of the protocol end-to-end tests: builds cmd/sioconformance once per test file,
// runs it on free loopback ports, and gives the tests socket.io-client helpers that clean
// up after themselves. The server process is killed when the tests end, and also if the
// test process exits early.
//
// SIOCONFORMANCE_CMD (e.g. "node /tmp/ref/server.js") runs another implementation of the
// same program instead of building the Go one, to check that a test is fair.

import { execFile, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { io } from "socket.io-client";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const buildTimeoutMs = 300_000;
const readyTimeoutMs = 15_000;
const stopTimeoutMs = 5_000;
const outputLimit = 64 * 1024;

/** Every running server and build directory, cleaned up synchronously if the test process exits. */
const running = new Set();
const buildDirs = new Set();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
  for (const dir of buildDirs) rmSync(dir, { recursive: true, force: true });
});
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.once(signal, () => process.exit(code)); // runs the "exit" handler above
}

/** Builds cmd/sioconformance into a fresh temporary directory. */
async function build() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "chatd-e2e-protocol-"));
  buildDirs.add(dir);
  const bin = path.join(dir, "sioconformance");
  await promisify(execFile)("go", ["build", "-o", bin, "./cmd/sioconformance"], {
    cwd: repoRoot,
    timeout: buildTimeoutMs,
  });
  return { dir, command: [bin] };
}

/** Returns a TCP port that was free on the loopback interface a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on port, without opening a session. */
async function waitListening(port, child, output) {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sioconformance exited early (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, "127.0.0.1");
      c.once("connect", () => { c.destroy(); resolve(true); });
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    await delay(50);
  }
  throw new Error(`sioconformance did not listen on ${port} within ${readyTimeoutMs} ms:\n${output()}`);
}

/**
 * Starts sioconformance. Returns the base URLs of the protocol-suite server (url) and of
 * the client-suite server (clientSuiteURL), output() for diagnostics and stop().
 */
export async function startServer() {
  const override = process.env.SIOCONFORMANCE_CMD?.trim();
  const built = override ? { dir: null, command: override.split(/\s+/) } : await build();
  const suitePort = await freePort();
  let clientPort = await freePort();
  while (clientPort === suitePort) clientPort = await freePort();
  const [cmd, ...args] = built.command;
  const child = spawn(cmd, [...args, "-addr", `127.0.0.1:${suitePort}`, "-client-suite-addr", `127.0.0.1:${clientPort}`], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  const collect = (chunk) => { out = (out + chunk).slice(-outputLimit); };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  exited.then(() => running.delete(child));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    }
    if (built.dir) {
      await rm(built.dir, { recursive: true, force: true });
      buildDirs.delete(built.dir);
    }
  };
  try {
    await waitListening(suitePort, child, () => out);
    await waitListening(clientPort, child, () => out);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${suitePort}`,
    clientSuiteURL: `http://127.0.0.1:${clientPort}`,
    output: () => out,
    stop,
  };
}

/** Clients opened by connect(), closed by closeClients(). */
const clients = new Set();

/**
 * Opens a socket.io-client socket to base + nsp. Unlike the library's defaults, every
 * socket gets its own Manager and does not reconnect unless opts say so.
 */
export function connect(base, nsp = "/", opts = {}) {
  const socket = io(base + nsp, { forceNew: true, reconnection: false, ...opts });
  clients.add(socket);
  return socket;
}

/** Tracks a socket made otherwise (e.g. from a shared Manager) for closeClients. */
export function track(socket) {
  clients.add(socket);
  return socket;
}

/** Disconnects every tracked socket and closes its Manager's Engine.IO connection. */
export function closeClients() {
  for (const s of clients) {
    s.disconnect();
    s.io.engine?.close();
  }
  clients.clear();
}

/**
 * Resolves with the arguments of the next event on emitter (a socket.io-client Socket,
 * Manager or Engine.IO socket), or rejects after ms.
 */
export function once(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, handler);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    const handler = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, handler);
  });
}

/** Resolves when socket connects; rejects with the connect_error, or after ms. */
export function connected(socket, ms = 5000) {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`not connected within ${ms} ms`)), ms);
    const onConnect = () => done(null);
    const onError = (err) => done(err);
    function done(err) {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
      if (err) reject(err);
      else resolve();
    }
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
}

/** Resolves with the connect_error of socket; rejects if it connects, or after ms. */
export function connectError(socket, ms = 5000) {
  return connected(socket, ms).then(
    () => { throw new Error("connected, expected a connect_error"); },
    (err) => {
      if (err.message.startsWith("not connected within")) throw err;
      return err;
    },
  );
}
