// Namespaces multiplexed over one Engine.IO connection, and the ways a connection to a
// namespace is refused.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { Manager } from "socket.io-client";
import { closeClients, connect, connectError, connected, once, startServer, track } from "./harness.js";

let srv;
before(async () => { srv = await startServer(); });
afterEach(closeClients);
after(async () => { closeClients(); await srv?.stop(); });

describe("namespaces", () => {
  for (const transports of [["websocket"], ["polling"]]) {
    it(`two namespaces share one Engine.IO session (${transports[0]})`, async () => {
      const manager = new Manager(srv.url, { reconnection: false, transports });
      const root = track(manager.socket("/"));
      const custom = track(manager.socket("/custom", { auth: { token: "c" } }));
      const [[rootAuth], [customAuth]] = await Promise.all([once(root, "auth"), once(custom, "auth")]);
      assert.deepEqual(rootAuth, {});
      assert.deepEqual(customAuth, { token: "c" });
      assert.equal(root.io, custom.io);
      assert.ok(manager.engine.id);
      assert.notEqual(root.id, custom.id);

      // Leaving /custom must not touch "/" on the same connection.
      custom.disconnect();
      root.emit("message", "still here");
      const [back] = await once(root, "message-back");
      assert.equal(back, "still here");
      assert.ok(root.connected);
      assert.equal(manager.engine.readyState, "open");
    });
  }

  it("events of one namespace do not leak into another", async () => {
    const manager = new Manager(srv.url, { reconnection: false, transports: ["websocket"] });
    const root = track(manager.socket("/"));
    const custom = track(manager.socket("/custom"));
    await Promise.all([once(root, "auth"), once(custom, "auth")]);
    let leaked = 0;
    custom.onAny(() => leaked++);
    root.emit("message", 1);
    await once(root, "message-back");
    // /custom has no "message" handler: emitting there must not echo on "/".
    custom.emit("message", 2);
    root.emit("message", 3);
    const [n] = await once(root, "message-back");
    assert.equal(n, 3);
    assert.equal(leaked, 0);
  });

  it("a socket id is per namespace (client-suite /foo getId)", async () => {
    const s = connect(srv.clientSuiteURL, "/foo", { transports: ["websocket"] });
    await connected(s);
    assert.equal(await s.timeout(5000).emitWithAck("getId"), s.id);
  });

  it("the handshake (query, headers, auth) reaches the server", async () => {
    const s = connect(srv.clientSuiteURL, "/", {
      transports: ["websocket"],
      query: { room: "r1" },
      extraHeaders: { "x-e2e": "yes" },
      auth: { user: "u1" },
    });
    await connected(s);
    const hs = await s.timeout(5000).emitWithAck("getHandshake");
    assert.equal(hs.query.room, "r1");
    assert.equal(hs.query.EIO, "4");
    assert.equal(hs.headers["x-e2e"], "yes");
    assert.deepEqual(hs.auth, { user: "u1" });
    assert.equal(typeof hs.issued, "number");
  });
});

describe("refused connections", () => {
  it("an unknown namespace gets 'Invalid namespace'", async () => {
    const s = connect(srv.url, "/nope", { transports: ["websocket"] });
    const err = await connectError(s);
    assert.equal(err.message, "Invalid namespace");
    assert.equal(s.active, false);
  });

  it("middleware refuses with a message (client-suite /no)", async () => {
    const s = connect(srv.clientSuiteURL, "/no");
    const err = await connectError(s);
    assert.equal(err.message, "Auth failed (custom namespace)");
  });

  it("middleware on '/' looks at the handshake query (client-suite ?fail)", async () => {
    const refused = connect(srv.clientSuiteURL, "/", { query: { fail: "true" } });
    assert.equal((await connectError(refused)).message, "Auth failed (main namespace)");
    const accepted = connect(srv.clientSuiteURL, "/", { query: { other: "1" } });
    await connected(accepted);
  });

  for (const transports of [["websocket"], ["polling"]]) {
    it(`middleware refuses with message and data (${transports[0]})`, async () => {
      const s = connect(srv.clientSuiteURL, "/e2e-refuse", { transports, auth: { user: "u2", n: 1 } });
      const err = await connectError(s);
      assert.equal(err.message, "refused by /e2e-refuse");
      assert.deepEqual(err.data, { code: 4242, auth: { user: "u2", n: 1 } });
      // A refusal is final: the client does not retry on its own.
      assert.equal(s.active, false);
    });
  }

  it("a refused namespace leaves the other namespaces of the connection working", async () => {
    const manager = new Manager(srv.clientSuiteURL, { reconnection: false, transports: ["websocket"] });
    const root = track(manager.socket("/"));
    const refused = track(manager.socket("/e2e-refuse", { auth: {} }));
    // Wait for both at once: either may be answered first.
    const [, err] = await Promise.all([connected(root), connectError(refused)]);
    assert.equal(err.message, "refused by /e2e-refuse");
    assert.equal(await root.timeout(5000).emitWithAck("echo", "ok"), "ok");
  });
});
