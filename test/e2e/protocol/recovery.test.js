// Connection-state recovery (the client-suite server has it on): after a dropped
// transport the client gets its socket back — same id, same rooms — together with the
// broadcasts it missed, in order.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { closeClients, connect, connected, once, startServer } from "./harness.js";

let srv;
before(async () => { srv = await startServer(); });
afterEach(closeClients);
after(async () => { closeClients(); await srv?.stop(); });

/** Options of a client that reconnects exactly once after a fixed 1 s. */
const reconnecting = (transports) => ({
  transports,
  reconnection: true,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 1000,
  randomizationFactor: 0,
});

/** Resolves once every broadcast sent so far by sender has been handled by the server. */
async function flushed(sender) {
  // Handlers of one socket run in order: an ack for a later event means the earlier
  // broadcasts were handed over.
  await sender.timeout(5000).emitWithAck("flood", { count: 0, size: 0 });
}

for (const transports of [["websocket"], ["polling"]]) {
  describe(`connection-state recovery over ${transports[0]}`, () => {
    it("a dropped transport is recovered with the missed broadcasts", async () => {
      const a = connect(srv.clientSuiteURL, "/e2e", reconnecting(transports));
      const b = connect(srv.clientSuiteURL, "/e2e", { transports: ["websocket"] });
      await Promise.all([connected(a), connected(b)]);
      assert.equal(a.recovered, false);
      const got = [];
      a.on("broadcast", (msg) => got.push(msg));

      // A first broadcast gives the client an offset to recover from.
      b.emit("broadcast", "m1");
      await once(a, "broadcast");
      const idBefore = a.id;

      const reconnected = once(a, "connect", 10_000);
      const disconnected = once(a, "disconnect");
      a.io.engine.close(); // emits "disconnect" synchronously
      await disconnected;
      b.emit("broadcast", "m2");
      b.emit("broadcast", "m3");
      await flushed(b);

      await reconnected;
      assert.equal(a.recovered, true, "socket.recovered");
      assert.equal(a.id, idBefore, "a recovered socket keeps its id");
      while (got.length < 3) await once(a, "broadcast");
      assert.deepEqual(got, ["m1", "m2", "m3"]);

      // Live traffic continues after the replay.
      b.emit("broadcast", "m4");
      await once(a, "broadcast");
      assert.deepEqual(got, ["m1", "m2", "m3", "m4"]);
    });
  });
}

describe("connection-state recovery, limits", () => {
  it("a server-side disconnect is not recoverable: the next connection is a new socket", async () => {
    const a = connect(srv.clientSuiteURL, "/e2e", { transports: ["websocket"] });
    const b = connect(srv.clientSuiteURL, "/e2e", { transports: ["websocket"] });
    await Promise.all([connected(a), connected(b)]);
    b.emit("broadcast", "m1");
    await once(a, "broadcast");
    const idBefore = a.id;
    a.emit("disconnect-me", false);
    assert.equal((await once(a, "disconnect"))[0], "io server disconnect");
    a.connect();
    await connected(a);
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, idBefore);
  });
});
