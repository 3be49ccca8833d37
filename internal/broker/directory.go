package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatd/chatd/internal/engineio"
)

// Directory is the cluster's record of which node owns each Engine.IO session opened
// on long-polling: an engineio.SessionDirectory, so that a node reached by a poll,
// a POST or an upgrade of another node's session relays it there
// (engineio.Forwarder), and clients work behind any load balancer.
//
// Each entry is a key "<prefix>:sid:<sid>" holding the owner's base URL. It expires
// after DirectoryOptions.TTL unless renewed: the owner renews the entries of its open
// sessions every TTL/3, so those of a node that died go away by themselves (until
// then, relaying to the dead node fails and its clients reconnect, which is what they
// must do anyway). An entry is set before the handshake is answered and deleted,
// batched in the background, when the session ends.
//
// Lookups go through a bounded in-process cache: sids are never reused, so an entry
// is never wrong about the owner, only about whether the session still lives, which
// the owner answers itself. A polling client relayed by a node thus costs one Redis
// round trip there, not one per request.
type Directory struct {
	client *redis.Client
	log    *slog.Logger
	prefix string // "<prefix>:sid:"
	self   string // this node's base URL, as stored
	ttl    time.Duration
	cache  ownerCache

	mu    sync.Mutex
	owned map[string]struct{} // guarded by mu: registered sessions, renewed by the loop
	gone  []string            // guarded by mu: unregistered sids whose keys are to delete
	wake  chan struct{}       // tells the loop that gone has sids

	failing atomic.Bool // the last write failed: logged once per outage, not per session
}

// DirectoryOptions tunes a Directory. The zero value works.
type DirectoryOptions struct {
	// TTL is how long an entry outlives its owner's last renewal. Zero means 90s.
	TTL time.Duration
	// CacheSize bounds the lookup cache to about twice this many sids. Zero means 10000.
	CacheSize int
}

const (
	defaultDirectoryTTL  = 90 * time.Second
	defaultOwnerCache    = 10_000
	directoryOpTimeout   = 500 * time.Millisecond // a handshake or lookup waits at most this for Redis
	directoryBulkTimeout = 5 * time.Second        // renewal and deletion batches
	directoryBatch       = 512                    // keys per pipelined batch
	maxSIDLength         = 64                     // engineio's are 20; longer is garbage
)

var _ engineio.SessionDirectory = (*Directory)(nil)

// NewDirectory returns the session directory of this node, reachable by the other
// nodes at self (an http or https base URL). It shares the adapter's Redis
// connections and key prefix, and stops with it: call it before Close.
func (a *RedisAdapter) NewDirectory(self string, opts *DirectoryOptions) (*Directory, error) {
	if _, err := parseNodeURL(self); err != nil {
		return nil, fmt.Errorf("session directory: own url: %w", err)
	}
	d := &Directory{
		client: a.client,
		log:    a.log.With("part", "directory"),
		prefix: a.prefix + ":sid:",
		self:   self,
		ttl:    defaultDirectoryTTL,
		cache:  ownerCache{max: defaultOwnerCache},
		owned:  make(map[string]struct{}),
		wake:   make(chan struct{}, 1),
	}
	if opts != nil && opts.TTL > 0 {
		d.ttl = opts.TTL
	}
	if opts != nil && opts.CacheSize > 0 {
		d.cache.max = opts.CacheSize
	}
	a.wg.Add(1)
	go d.loop(a.ctx, a.wg.Done)
	return d, nil
}

func (d *Directory) key(sid string) string { return d.prefix + sid }

// Register records this node as the owner of sid. It waits for Redis (at most
// directoryOpTimeout): the client's next request may reach another node at once.
// While Redis is failing it does not wait: the next renewal sets the entry.
func (d *Directory) Register(sid string) {
	d.mu.Lock()
	d.owned[sid] = struct{}{}
	d.mu.Unlock()
	if d.failing.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), directoryOpTimeout)
	defer cancel()
	d.noteWrite(d.client.Set(ctx, d.key(sid), d.self, d.ttl).Err())
}

// Unregister forgets sid, if this node registered it; its key is deleted in the
// background. It never blocks.
func (d *Directory) Unregister(sid string) {
	d.mu.Lock()
	_, ok := d.owned[sid]
	if ok {
		delete(d.owned, sid)
		d.gone = append(d.gone, sid)
	}
	d.mu.Unlock()
	if ok {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
}

// Owner returns the base URL of the node that owns sid, or nil if it is unknown,
// this node, or Redis does not answer in time.
func (d *Directory) Owner(ctx context.Context, sid string) *url.URL {
	if sid == "" || len(sid) > maxSIDLength {
		return nil
	}
	if u := d.cache.get(sid); u != nil {
		return u
	}
	ctx, cancel := context.WithTimeout(ctx, directoryOpTimeout)
	defer cancel()
	v, err := d.client.Get(ctx, d.key(sid)).Result()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			d.log.Debug("session directory lookup failed", "err", err)
		}
		return nil
	}
	if v == d.self {
		return nil // ended here, or before a restart: nowhere to relay to
	}
	u, err := parseNodeURL(v)
	if err != nil {
		d.log.Warn("session directory: ignoring a malformed owner", "owner", v, "err", err)
		return nil
	}
	d.cache.put(sid, u)
	return u
}

// loop renews the entries of open sessions and deletes those of ended ones until ctx
// is done, then deletes the last ones (the adapter closes the client after it).
func (d *Directory) loop(ctx context.Context, done func()) {
	defer done()
	renew := time.NewTicker(d.ttl / 3)
	defer renew.Stop()
	for {
		select {
		case <-ctx.Done():
			d.deleteGone()
			return
		case <-d.wake:
			d.deleteGone()
		case <-renew.C:
			d.renew(ctx)
		}
	}
}

// renew re-sets every owned entry: SET rather than EXPIRE, so that entries lost with
// a Redis restart come back.
func (d *Directory) renew(ctx context.Context) {
	d.mu.Lock()
	sids := make([]string, 0, len(d.owned))
	for sid := range d.owned {
		sids = append(sids, sid)
	}
	d.mu.Unlock()
	for batch := range slices.Chunk(sids, directoryBatch) {
		_, err := d.pipelined(ctx, func(p redis.Pipeliner, bctx context.Context) {
			for _, sid := range batch {
				p.Set(bctx, d.key(sid), d.self, d.ttl)
			}
		})
		if !d.noteWrite(err) {
			return
		}
	}
}

// deleteGone deletes the keys of the sessions unregistered since the last call. On
// failure they are dropped: they expire by themselves. It does not stop with the
// adapter: the last sessions of a shutdown end just before it.
func (d *Directory) deleteGone() {
	ctx := context.Background()
	d.mu.Lock()
	sids := d.gone
	d.gone = nil
	d.mu.Unlock()
	for batch := range slices.Chunk(sids, directoryBatch) {
		keys := make([]string, len(batch))
		for i, sid := range batch {
			keys[i] = d.key(sid)
		}
		_, err := d.pipelined(ctx, func(p redis.Pipeliner, bctx context.Context) { p.Del(bctx, keys...) })
		if !d.noteWrite(err) {
			return
		}
	}
}

func (d *Directory) pipelined(ctx context.Context, fill func(redis.Pipeliner, context.Context)) ([]redis.Cmder, error) {
	ctx, cancel := context.WithTimeout(ctx, directoryBulkTimeout)
	defer cancel()
	return d.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		fill(p, ctx)
		return nil
	})
}

// noteWrite logs the first failed write of an outage and the recovery, and reports
// whether err is nil.
func (d *Directory) noteWrite(err error) bool {
	if err == nil {
		if d.failing.CompareAndSwap(true, false) {
			d.log.Info("session directory writes again")
		}
		return true
	}
	if d.failing.CompareAndSwap(false, true) {
		d.log.Warn("session directory write failed; requests for this node's polling sessions reaching other nodes fail until Redis answers", "err", err)
	}
	return false
}

// parseNodeURL parses a node's base URL: http or https, a host, nothing else that
// could redirect a relayed request (with its cookies) somewhere unexpected.
func parseNodeURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("parse %q: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("%q: scheme must be http or https", s)
	case u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("%q: want scheme://host[:port][/path] only", s)
	}
	return u, nil
}

// ownerCache maps sids to owners, bounded: when the current generation is full it
// becomes the previous one and the one before is dropped, so that the sids in use
// stay (a hit in the previous generation moves to the current one) at O(1) cost.
type ownerCache struct {
	max int // entries per generation

	mu        sync.Mutex
	cur, prev map[string]*url.URL // guarded by mu
}

func (c *ownerCache) get(sid string) *url.URL {
	c.mu.Lock()
	defer c.mu.Unlock()
	if u := c.cur[sid]; u != nil {
		return u
	}
	u := c.prev[sid]
	if u != nil {
		delete(c.prev, sid)
		c.putLocked(sid, u)
	}
	return u
}

func (c *ownerCache) put(sid string, u *url.URL) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(sid, u)
}

func (c *ownerCache) putLocked(sid string, u *url.URL) {
	if c.cur == nil || len(c.cur) >= c.max {
		c.prev, c.cur = c.cur, make(map[string]*url.URL)
	}
	c.cur[sid] = u
}
