// Many clients at once, over both transports, each with its own traffic.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { closeClients, connect, connected, startServer } from "./harness.js";

let srv;
before(async () => { srv = await startServer(); });
afterEach(closeClients);
after(async () => { closeClients(); await srv?.stop(); });

describe("concurrency", () => {
  it("200 concurrent clients each get their own ack round trips", async () => {
    const clients = Array.from({ length: 200 }, (_, i) =>
      connect(srv.clientSuiteURL, "/", { transports: i % 5 === 0 ? ["polling"] : ["websocket"] }),
    );
    await Promise.all(clients.map((s) => connected(s, 20_000)));
    assert.equal(new Set(clients.map((s) => s.id)).size, clients.length, "socket ids are unique");
    assert.equal(new Set(clients.map((s) => s.io.engine.id)).size, clients.length, "session ids are unique");

    const replies = await Promise.all(
      clients.map(async (s, i) => {
        const out = [];
        for (let k = 0; k < 3; k++) out.push(await s.timeout(20_000).emitWithAck("echo", { i, k }));
        return out;
      }),
    );
    replies.forEach((out, i) => assert.deepEqual(out, [0, 1, 2].map((k) => ({ i, k }))));
  });

  it("a broadcast reaches every other connected socket exactly once", async () => {
    const n = 50;
    const clients = Array.from({ length: n }, () => connect(srv.clientSuiteURL, "/e2e", { transports: ["websocket"] }));
    await Promise.all(clients.map((s) => connected(s, 20_000)));
    const counts = clients.map(() => 0);
    const all = Promise.all(
      clients.slice(1).map((s, j) => new Promise((resolve) => s.on("broadcast", () => { counts[j + 1]++; resolve(); }))),
    );
    clients[0].on("broadcast", () => counts[0]++);
    clients[0].emit("broadcast", "hello all");
    await all;
    // Let any duplicate arrive behind the first delivery before counting.
    await clients[0].timeout(5000).emitWithAck("flood", { count: 0, size: 0 });
    await Promise.all(clients.slice(1).map((s) => s.timeout(5000).emitWithAck("flood", { count: 0, size: 0 })));
    assert.equal(counts[0], 0, "the sender is excluded");
    assert.deepEqual(counts.slice(1), Array(n - 1).fill(1));
  });
});
