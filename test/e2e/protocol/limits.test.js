// Protection of the server: a frame over maxPayload and a client that stops reading each
// cost only their own connection.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import WebSocket from "ws";
import { closeClients, connect, connected, once, startServer } from "./harness.js";

let srv;
before(async () => { srv = await startServer(); });
afterEach(closeClients);
after(async () => { closeClients(); await srv?.stop(); });

/** A raw WebSocket client that records text frames, for what socket.io-client hides. */
class RawClient {
  constructor(base) {
    this.frames = [];
    this.waiters = [];
    this.ws = new WebSocket(`${base.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
    this.closed = new Promise((resolve) => this.ws.once("close", resolve));
    this.ws.on("error", () => {});
    this.ws.on("message", (data, isBinary) => {
      const frame = isBinary ? data : data.toString();
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) => !w(frame));
    });
  }

  /** Resolves with the first frame, already received or not, that matches pred. */
  next(pred, ms = 5000) {
    const found = this.frames.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${ms} ms`)), ms);
      this.waiters.push((f) => {
        if (!pred(f)) return false;
        clearTimeout(timer);
        resolve(f);
        return true;
      });
    });
  }

  close() {
    this.ws.terminate();
  }
}

describe("limits", () => {
  it("a 2 MB frame closes only the connection that sent it", async () => {
    const big = connect(srv.url, "/", { transports: ["websocket"] });
    const other = connect(srv.url, "/", { transports: ["websocket"] });
    await Promise.all([connected(big), connected(other)]);

    const gone = once(big, "disconnect", 10_000);
    big.emit("message", "x".repeat(2 * 1024 * 1024));
    const [reason] = await gone;
    assert.ok(["transport close", "transport error"].includes(reason), `reason ${reason}`);

    other.emit("message", "still served");
    const [back] = await once(other, "message-back");
    assert.equal(back, "still served");
  });

  it("a 2 MB polling POST is refused with 413; other sessions keep working", async () => {
    const other = connect(srv.url, "/", { transports: ["polling"] });
    await connected(other);
    const hs = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling`);
    const { sid } = JSON.parse((await hs.text()).slice(1));
    const post = await fetch(`${srv.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
      method: "POST",
      body: "4" + "x".repeat(2 * 1024 * 1024),
    });
    assert.equal(post.status, 413);
    other.emit("message", "still served");
    const [back] = await once(other, "message-back");
    assert.equal(back, "still served");
  });

  it("a frame just under maxPayload is accepted", async () => {
    const s = connect(srv.url, "/", { transports: ["websocket"] });
    await connected(s);
    const text = "y".repeat(900_000);
    s.emit("message", text);
    const [back] = await once(s, "message-back", 10_000);
    assert.equal(back.length, text.length);
  });

  // The Node reference server fails this one by design: it buffers without bound, and its
  // synchronous flood loop starves every other client until it is done.
  it("a client that stops reading is cut off; the others are not", async (t) => {
    const count = 20_000;
    const size = 16 * 1024;
    const healthy = connect(srv.clientSuiteURL, "/", { transports: ["websocket"] });
    const slow = new RawClient(srv.clientSuiteURL);
    t.after(() => slow.close());
    await slow.next((f) => typeof f === "string" && f.startsWith("0{"));
    slow.ws.send("40/e2e,");
    await slow.next((f) => typeof f === "string" && f.startsWith("40/e2e,{"));
    await connected(healthy);

    // Stop reading from the kernel, then ask for ~320 MB: far more than any socket
    // buffer plus a bounded send queue can hold.
    slow.ws._socket.pause();
    slow.ws.send(`42/e2e,1["flood",{"count":${count},"size":${size}}]`);
    // The server must stay responsive to others while it deals with the slow client.
    for (let i = 0; i < 5; i++) {
      assert.equal(await healthy.timeout(5000).emitWithAck("echo", i), i);
      await delay(300);
    }
    slow.ws._socket.resume();

    await Promise.race([
      slow.closed,
      delay(30_000).then(() => { throw new Error("the slow client was never disconnected"); }),
    ]);
    const floods = slow.frames.filter((f) => typeof f === "string" && f.startsWith('42/e2e,["flood"')).length;
    assert.ok(floods < count, `received all ${floods} floods: the server buffered without bound`);
    assert.ok(!slow.frames.some((f) => typeof f === "string" && f.startsWith("43/e2e,1[")), "flood was acked");
    assert.equal(await healthy.timeout(5000).emitWithAck("echo", "after"), "after");
  });
});
