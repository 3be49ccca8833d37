// A round-robin load balancer without sticky sessions, for the cluster tests: every
// HTTP request and every WebSocket upgrade goes to the next chatd node, whatever
// session it belongs to. A node that refuses the connection (killed) is skipped, as a
// load balancer with passive health checks would.
//
// It records what it routed in lb.log: { node, method, sid, transport, status } per
// request (status 101 for an upgrade), and { node, handshake: sid } for each polling
// handshake, read from the OPEN packet, so that tests can tell the owner of a session
// from the nodes that relayed its requests.
import http from 'node:http';
import net from 'node:net';

export class RoundRobin {
  /** nodes: objects with a name and a current port (the harness's Node). */
  constructor(nodes) {
    this.nodes = nodes;
    this.next = 0;
    this.log = [];
    this.sockets = new Set();
    this.agent = new http.Agent({ keepAlive: true });
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  get url() { return `http://127.0.0.1:${this.server.address().port}`; }

  start() {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  close() {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  pick() {
    return this.nodes[this.next++ % this.nodes.length];
  }

  /** The node that opened session sid, from the handshakes seen. */
  ownerOf(sid) {
    return this.log.find((e) => e.handshake === sid)?.node;
  }

  /** The entries of requests that carried sid. */
  requestsOf(sid) {
    return this.log.filter((e) => e.sid === sid);
  }

  onRequest(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    // Buffered (polling bodies are small) so that a refused connection can be retried.
    req.on('end', () => this.send(req, res, Buffer.concat(chunks), 0));
  }

  send(req, res, body, attempt) {
    const node = this.pick();
    const q = new URL(req.url, 'http://lb').searchParams;
    const entry = { node: node.name, method: req.method, sid: q.get('sid'), transport: q.get('transport'), status: 0 };
    const up = http.request({
      host: '127.0.0.1', port: node.port, method: req.method, path: req.url, headers: req.headers, agent: this.agent,
    }, (ur) => {
      entry.status = ur.statusCode;
      this.log.push(entry);
      if (!entry.sid && ur.statusCode === 200) this.noteHandshake(node, ur);
      res.writeHead(ur.statusCode, ur.headers);
      ur.pipe(res);
      ur.on('error', () => res.destroy());
    });
    up.on('error', (err) => {
      if (res.headersSent) {
        res.destroy();
      } else if (err.code === 'ECONNREFUSED' && attempt + 1 < this.nodes.length) {
        this.send(req, res, body, attempt + 1);
      } else {
        res.writeHead(502).end();
      }
    });
    // The client gone, the request upstream goes too (a cut long poll, as the node sees it).
    res.on('close', () => { if (!res.writableFinished) up.destroy(); });
    up.end(body);
  }

  noteHandshake(node, ur) {
    ur.once('data', (chunk) => {
      const m = /^0\{"sid":"([^"]+)"/.exec(chunk.toString());
      if (m) this.log.push({ node: node.name, handshake: m[1] });
    });
  }

  onUpgrade(req, socket, head, attempt = 0) {
    const node = this.pick();
    const q = new URL(req.url, 'http://lb').searchParams;
    const up = net.connect(node.port, '127.0.0.1');
    let connected = false;
    up.on('connect', () => {
      connected = true;
      this.log.push({ node: node.name, method: 'GET', sid: q.get('sid'), transport: q.get('transport'), status: 101 });
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', (err) => {
      if (!connected && err.code === 'ECONNREFUSED' && attempt + 1 < this.nodes.length) {
        this.onUpgrade(req, socket, head, attempt + 1);
        return;
      }
      socket.destroy();
    });
    socket.on('error', () => up.destroy());
    socket.on('close', () => up.destroy());
    up.on('close', () => { if (connected) socket.destroy(); });
  }
}
