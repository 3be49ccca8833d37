// Disconnections the server initiates, and what the client is told.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { Manager } from "socket.io-client";
import { closeClients, connect, connected, once, startServer, track } from "./harness.js";

let srv;
before(async () => { srv = await startServer(); });
afterEach(closeClients);
after(async () => { closeClients(); await srv?.stop(); });

describe("server-initiated disconnects", () => {
  for (const transports of [["websocket"], ["polling"]]) {
    it(`a namespace disconnect is "io server disconnect" and is not retried (${transports[0]})`, async () => {
      const manager = new Manager(srv.clientSuiteURL, { transports, reconnectionDelay: 50 });
      const root = track(manager.socket("/"));
      const e2e = track(manager.socket("/e2e"));
      await Promise.all([connected(root), connected(e2e)]);
      e2e.emit("disconnect-me", false);
      const [reason] = await once(e2e, "disconnect");
      assert.equal(reason, "io server disconnect");
      assert.equal(e2e.active, false, "the client must not reconnect after a server disconnect");
      // Only that namespace left: the connection and "/" are untouched.
      assert.equal(await root.timeout(5000).emitWithAck("echo", "alive"), "alive");
      assert.equal(manager.engine.readyState, "open");
    });
  }

  it("a disconnect that closes the connection ends the Engine.IO session", async () => {
    const s = connect(srv.clientSuiteURL, "/e2e", { transports: ["websocket"] });
    await connected(s);
    const closed = once(s.io, "close");
    s.emit("disconnect-me", true);
    const [reason] = await once(s, "disconnect");
    assert.equal(reason, "io server disconnect");
    await closed;
    assert.equal(s.io.engine.readyState, "closed");
  });

  it("a client disconnect is seen by the server: the socket leaves the namespace", async () => {
    // Observed through a broadcast: a disconnected socket must not receive it.
    const a = connect(srv.clientSuiteURL, "/e2e", { transports: ["websocket"] });
    const b = connect(srv.clientSuiteURL, "/e2e", { transports: ["websocket"] });
    const c = connect(srv.clientSuiteURL, "/e2e", { transports: ["websocket"] });
    await Promise.all([connected(a), connected(b), connected(c)]);
    let bGot = 0;
    b.on("broadcast", () => bGot++);
    b.disconnect();
    a.emit("broadcast", "after b left");
    const [msg] = await once(c, "broadcast");
    assert.equal(msg, "after b left");
    assert.equal(bGot, 0);
  });
});
