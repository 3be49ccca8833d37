// Binary payloads both ways, over both transports: Buffers and Uint8Arrays, nested in
// objects and arrays, in events and in acks.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { closeClients, connect, connected, once, startServer } from "./harness.js";

let srv;
before(async () => { srv = await startServer(); });
afterEach(closeClients);
after(async () => { closeClients(); await srv?.stop(); });

const bytes = (n, seed) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

for (const transports of [["websocket"], ["polling"]]) {
  describe(`binary over ${transports[0]}`, () => {
    it("a Buffer and a Uint8Array come back as the same bytes", async () => {
      const s = connect(srv.url, "/", { transports });
      await connected(s);
      const buf = bytes(1000, 7);
      const u8 = new Uint8Array([0, 1, 2, 253, 254, 255]);
      s.emit("message", buf, u8);
      const [a, b] = await once(s, "message-back");
      assert.ok(Buffer.isBuffer(a), "first argument is binary");
      assert.ok(Buffer.isBuffer(b), "second argument is binary");
      assert.deepEqual(a, buf);
      assert.deepEqual(Buffer.from(b), Buffer.from(u8));
    });

    it("nested binary keeps its place among JSON values", async () => {
      const s = connect(srv.url, "/", { transports });
      await connected(s);
      const sent = {
        user: "ann",
        files: [{ name: "a", data: bytes(10, 1) }, { name: "b", data: bytes(300, 2) }],
        deep: { deeper: [1, bytes(3, 3), "x"] },
      };
      s.emit("message", "head", sent, bytes(5, 4));
      const [head, obj, tail] = await once(s, "message-back");
      assert.equal(head, "head");
      assert.deepEqual(obj, sent);
      assert.deepEqual(tail, bytes(5, 4));
    });

    it("binary acks: the server acknowledges with the binary it received", async () => {
      const s = connect(srv.url, "/", { transports });
      await connected(s);
      const args = await new Promise((resolve) => {
        s.emit("message-with-ack", bytes(64, 9), { k: bytes(2, 5) }, (...a) => resolve(a));
      });
      assert.deepEqual(args, [bytes(64, 9), { k: bytes(2, 5) }]);
    });

    it("server-sent binary arrives as a Buffer (client-suite 'doge')", async () => {
      const s = connect(srv.clientSuiteURL, "/", { transports });
      await connected(s);
      s.emit("doge");
      const [buf] = await once(s, "doge");
      assert.ok(Buffer.isBuffer(buf));
      assert.equal(buf.toString("utf8"), "asdfasdf");
    });

    it("the server sees client binary as binary (client-suite 'buffa', 'jsonbuff')", async () => {
      const s = connect(srv.clientSuiteURL, "/", { transports });
      await connected(s);
      s.emit("buffa", Buffer.from("hi"));
      await once(s, "buffack");
      s.emit("jsonbuff", { hello: "lol", message: Buffer.from("x"), goodbye: "gotcha" });
      await once(s, "jsonbuff-ack");
    });
  });
}

describe("binary over websocket, edge cases", () => {
  it("an empty Buffer and a 500 kB Buffer round-trip", async () => {
    const s = connect(srv.url, "/", { transports: ["websocket"] });
    await connected(s);
    const big = bytes(500_000, 11);
    s.emit("message", Buffer.alloc(0), big);
    const [empty, back] = await once(s, "message-back", 10_000);
    assert.ok(Buffer.isBuffer(empty));
    assert.equal(empty.length, 0);
    assert.ok(back.equals(big));
  });
});
