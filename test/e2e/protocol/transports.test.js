// The three ways socket.io-client reaches the server: WebSocket only, HTTP long-polling
// only, and the default polling start with an upgrade to WebSocket.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { closeClients, connect, connected, once, startServer } from "./harness.js";

let srv;
before(async () => { srv = await startServer(); });
afterEach(closeClients);
after(async () => { closeClients(); await srv?.stop(); });

/** Emits n "message" events and resolves with the n "message-back" payloads, in order. */
function roundTrips(socket, n, ms = 10_000) {
  const got = [];
  return new Promise((resolve, reject) => {
    const onBack = (i, text) => {
      got.push([i, text]);
      if (got.length === n) done(null);
    };
    const onDisconnect = (reason) => done(new Error(`disconnected: ${reason}`));
    const timer = setTimeout(() => done(new Error(`${got.length}/${n} replies within ${ms} ms`)), ms);
    function done(err) {
      clearTimeout(timer);
      socket.off("message-back", onBack);
      socket.off("disconnect", onDisconnect);
      if (err) reject(err);
      else resolve(got);
    }
    socket.on("message-back", onBack);
    socket.on("disconnect", onDisconnect);
    for (let i = 0; i < n; i++) socket.emit("message", i, `text ${i}`);
  });
}

const expected = (n) => Array.from({ length: n }, (_, i) => [i, `text ${i}`]);

describe("transports", () => {
  it("websocket only: connects over WebSocket and echoes the CONNECT auth", async () => {
    const s = connect(srv.url, "/", { transports: ["websocket"], auth: { token: "ws-1", n: [1, 2] } });
    const [auth] = await once(s, "auth");
    assert.deepEqual(auth, { token: "ws-1", n: [1, 2] });
    assert.equal(s.io.engine.transport.name, "websocket");
    assert.deepEqual(await roundTrips(s, 10), expected(10));
  });

  it("polling only: stays on long-polling and keeps event order", async () => {
    const s = connect(srv.url, "/", { transports: ["polling"] });
    const [auth] = await once(s, "auth");
    assert.deepEqual(auth, {});
    assert.deepEqual(await roundTrips(s, 50), expected(50));
    assert.equal(s.io.engine.transport.name, "polling");
  });

  it("default: starts on polling, upgrades to websocket, loses nothing on the way", async () => {
    const s = connect(srv.url, "/");
    const engine = s.io.engine;
    assert.equal(engine.transport.name, "polling");
    const upgraded = once(engine, "upgrade");
    await connected(s);
    // Traffic in flight during the upgrade must arrive exactly once, in order.
    const trips = roundTrips(s, 30);
    const [transport] = await upgraded;
    assert.equal(transport.name, "websocket");
    assert.deepEqual(await trips, expected(30));
    assert.equal(engine.transport.name, "websocket");
    assert.deepEqual(await roundTrips(s, 5), expected(5)); // after the upgrade
  });

  it("socket ids come from the server and differ from the Engine.IO session id, on every transport", async () => {
    for (const transports of [["websocket"], ["polling"], ["polling", "websocket"]]) {
      const s = connect(srv.clientSuiteURL, "/", { transports });
      await connected(s);
      assert.match(s.io.engine.id, /^[\w-]+$/, `engine id over ${transports}`);
      // The server's socket id is a different identifier than the Engine.IO sid.
      const [id] = await new Promise((resolve) => s.emit("getId", (...a) => resolve(a)));
      assert.equal(id, s.id);
      assert.notEqual(s.id, s.io.engine.id);
    }
  });
});
