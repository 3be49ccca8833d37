// Long-polling and upgrades behind a round-robin load balancer without sticky
// sessions (lb.js): each request of a session may reach any node, and the nodes relay
// it to the one that owns the session (session directory in Redis, CHATD_ADVERTISE_URL
// derived from CHATD_ADDR).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';
import { join, send, uid, useCluster, waitFor, waitUntil } from './harness.js';
import { RoundRobin } from './lb.js';

describe('polling without sticky sessions', () => {
  const cluster = useCluster(3);
  const lb = new RoundRobin(cluster.nodes);
  before(() => lb.start());
  after(() => lb.close());

  /**
   * A /chat socket for user through the load balancer, logging events like the
   * harness's Node.connect; opts go to io() (default: polling only, no reconnection).
   */
  async function connectViaLB(user, opts = {}) {
    const token = jwt.sign({ sub: user }, cluster.secret, { algorithm: 'HS256', expiresIn: '1h' });
    const socket = io(`${lb.url}/chat`, {
      forceNew: true, reconnection: false, timeout: 5000, transports: ['polling'], auth: { token }, ...opts,
    });
    socket.user = user;
    socket.log = [];
    socket.onAny((event, ...args) => socket.log.push({ event, args, at: Date.now() }));
    cluster.sockets.add(socket);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${user}@lb: not connected`)), 6000);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('connect_error', (err) => { clearTimeout(timer); reject(err); });
    });
    return socket;
  }

  /** The requests of the engine.io session sid that the LB sent to a node that does not own it. */
  function relayedRequests(sid) {
    const owner = lb.ownerOf(sid);
    assert.ok(owner, `no handshake seen for ${sid}`);
    return lb.requestsOf(sid).filter((e) => e.node !== owner);
  }

  /** A counter of node's /metrics, 0 when absent. */
  async function metric(node, name) {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  }

  async function clusterMetric(name, nodes = cluster.nodes) {
    let sum = 0;
    for (const n of nodes) sum += await metric(n, name);
    return sum;
  }

  test('polling-only clients exchange messages with a WebSocket client on another node', async () => {
    const room = uid('room');
    const p1 = await connectViaLB(uid('poll'));
    const p2 = await connectViaLB(uid('poll'));
    const ws = await cluster.nodes[2].connect(uid('ws'));
    for (const s of [p1, p2, ws]) await join(s, room);
    await new Promise((r) => setTimeout(r, 100)); // room subscriptions are asynchronous

    const fromPoll = await send(p1, room, 'from polling');
    for (const s of [p2, ws]) {
      const m = await waitFor(s, 'newMessage', (m) => m.id === fromPoll.id);
      assert.equal(m.content, 'from polling');
    }
    const fromWS = await send(ws, room, 'from websocket');
    for (const s of [p1, p2]) {
      const m = await waitFor(s, 'newMessage', (m) => m.id === fromWS.id);
      assert.equal(m.content, 'from websocket');
    }

    for (const s of [p1, p2]) {
      const sid = s.io.engine.id;
      assert.equal(s.io.engine.transport.name, 'polling');
      const relayed = relayedRequests(sid);
      assert.ok(relayed.length > 0, `${s.user}: every request reached the owner; nothing was relayed`);
      assert.ok(relayed.every((e) => e.status === 200), `relayed requests failed: ${JSON.stringify(relayed)}`);
    }
    assert.ok(await clusterMetric('chatd_engine_forwarded_total') > 0, 'chatd_engine_forwarded_total stayed 0');
  });

  test('a default client upgrades to WebSocket through another node and works', async () => {
    const room = uid('room');
    const peer = await cluster.nodes[0].connect(uid('ws'));
    await join(peer, room);
    // The upgrade request goes to the owner one time in three: connect until one
    // went to another node.
    let client;
    for (let i = 0; i < 12 && !client; i++) {
      const s = await connectViaLB(uid('upgrader'), { transports: ['polling', 'websocket'] });
      const sid = s.io.engine.id;
      await waitUntil(() => s.io.engine.transport.name === 'websocket', 5000, `${s.user} upgraded`);
      const upgrade = lb.requestsOf(sid).find((e) => e.transport === 'websocket');
      assert.ok(upgrade, `no upgrade request seen for ${sid}`);
      if (upgrade.node !== lb.ownerOf(sid)) client = s;
      else s.disconnect();
    }
    assert.ok(client, 'no upgrade reached a node other than the owner in 12 tries');
    await join(client, room);
    await new Promise((r) => setTimeout(r, 100));
    const out = await send(client, room, 'after upgrade');
    assert.equal((await waitFor(peer, 'newMessage', (m) => m.id === out.id)).content, 'after upgrade');
    const back = await send(peer, room, 'to the upgraded');
    assert.equal((await waitFor(client, 'newMessage', (m) => m.id === back.id)).content, 'to the upgraded');
    assert.equal(client.io.engine.transport.name, 'websocket');
  });

  // Last: it kills a node.
  test('when the owner dies, relayed requests get 400 and the client reconnects elsewhere', async () => {
    const room = uid('room');
    const client = await connectViaLB(uid('survivor'), { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
    const oldSid = client.io.engine.id;
    const ownerName = lb.ownerOf(oldSid);
    const owner = cluster.nodes.find((n) => n.name === ownerName);
    const others = cluster.nodes.filter((n) => n !== owner);
    const reconnected = new Promise((resolve) => client.io.once('reconnect', resolve));

    await owner.kill();

    // Another node still finds the session's owner in the directory, cannot reach it,
    // and answers as engine.io does for a lost session.
    const res = await fetch(`${others[0].url}/socket.io/?EIO=4&transport=polling&sid=${oldSid}`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { code: 1, message: 'Session ID unknown' });
    assert.ok(await clusterMetric('chatd_engine_forward_failures_total', others) > 0,
      'chatd_engine_forward_failures_total stayed 0');

    await Promise.race([reconnected, new Promise((_, rej) => setTimeout(() => rej(new Error('no reconnect')), 10_000))]);
    await waitUntil(() => client.connected, 5000, 'connected again');
    const newSid = client.io.engine.id;
    assert.notEqual(newSid, oldSid);
    assert.notEqual(lb.ownerOf(newSid), ownerName, 'reconnected to the dead node');

    const peer = await others[1].connect(uid('ws'));
    for (const s of [client, peer]) await join(s, room);
    await new Promise((r) => setTimeout(r, 100));
    const m = await send(client, room, 'back');
    assert.equal((await waitFor(peer, 'newMessage', (x) => x.id === m.id)).content, 'back');
  });
});
