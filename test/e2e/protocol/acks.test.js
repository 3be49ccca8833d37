// Acknowledgements in both directions: the client asking the server, and the server
// asking the client.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { closeClients, connect, connected, once, startServer } from "./harness.js";

let srv;
before(async () => { srv = await startServer(); });
afterEach(closeClients);
after(async () => { closeClients(); await srv?.stop(); });


for (const transports of [["websocket"], ["polling"]]) {
  describe(`acks over ${transports[0]}`, () => {
    it("the server acks with exactly the arguments sent (several, mixed types)", async () => {
      const s = connect(srv.url, "/", { transports });
      await connected(s);
      const args = await new Promise((resolve) => {
        s.emit("message-with-ack", 1, "2", { 3: [false, null] }, [], "ünïcødé ✓", (...a) => resolve(a));
      });
      assert.deepEqual(args, [1, "2", { 3: [false, null] }, [], "ünïcødé ✓"]);
    });

    it("acks match their emits when many are in flight", async () => {
      const s = connect(srv.clientSuiteURL, "/", { transports });
      await connected(s);
      const n = 100;
      const replies = await Promise.all(
        Array.from({ length: n }, (_, i) => s.timeout(10_000).emitWithAck("echo", { i })),
      );
      assert.deepEqual(replies, Array.from({ length: n }, (_, i) => ({ i })));
    });

    it("the server asks the client for an ack and acts on the answer", async () => {
      const s = connect(srv.clientSuiteURL, "/", { transports });
      await connected(s);
      s.on("ack", (cb) => cb(5, { test: true }));
      s.emit("ack");
      await once(s, "got it");
    });
  });
}

describe("acks, details", () => {
  it("an ack can carry a server-made value (a JSON date)", async () => {
    const s = connect(srv.clientSuiteURL, "/", { transports: ["websocket"] });
    await connected(s);
    const date = await s.timeout(5000).emitWithAck("getAckDate", {});
    assert.equal(typeof date, "string");
    assert.match(date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("an event without an ack callback gets no ack and the socket stays usable", async () => {
    const s = connect(srv.url, "/", { transports: ["websocket"] });
    await connected(s);
    s.emit("message-with-ack", "no callback");
    const [x] = await new Promise((resolve) => s.emit("message-with-ack", "x", (...a) => resolve(a)));
    assert.equal(x, "x");
    assert.ok(s.connected);
  });

  it("the server's ack question is answered on the right namespace", async () => {
    // The client answers over "/", while "/foo" on the same connection acks its own getId.
    const s = connect(srv.clientSuiteURL, "/", { transports: ["websocket"] });
    const foo = s.io.socket("/foo");
    await Promise.all([connected(s), connected(foo)]);
    s.on("ack", (cb) => cb(5, { test: "yes" }));
    s.emit("ack");
    const [id] = await Promise.all([foo.timeout(5000).emitWithAck("getId"), once(s, "got it")]);
    assert.equal(id, foo.id);
    foo.disconnect();
  });
});
