package broker

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// directories is a test's Redis key space (a unique prefix) and a raw client on it.
type directories struct {
	t      *testing.T
	url    string
	prefix string
	redis  *redis.Client
}

func newDirectories(t *testing.T) *directories {
	t.Helper()
	url := testRedisURL(t)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	ds := &directories{t: t, url: url, prefix: "chatdtest-" + rand.Text()[:10], redis: redis.NewClient(opts)}
	t.Cleanup(func() { _ = ds.redis.Close() })
	return ds
}

// node starts an adapter and its directory, owned by self; stop closes the adapter
// (at the latest at cleanup).
func (ds *directories) node(self string, opts *DirectoryOptions) (d *Directory, stop func()) {
	ds.t.Helper()
	a, err := NewRedisAdapter(context.Background(), ds.url, discardLogger(), &Options{Prefix: ds.prefix})
	if err != nil {
		ds.t.Fatal(err)
	}
	stop = func() {
		if err := a.Close(); err != nil {
			ds.t.Errorf("close adapter: %v", err)
		}
	}
	ds.t.Cleanup(stop)
	d, err = a.NewDirectory(self, opts)
	if err != nil {
		ds.t.Fatal(err)
	}
	return d, stop
}

func (ds *directories) key(sid string) string { return ds.prefix + ":sid:" + sid }

// get returns the stored owner of sid, "" when there is none.
func (ds *directories) get(sid string) string {
	ds.t.Helper()
	v, err := ds.redis.Get(context.Background(), ds.key(sid)).Result()
	if errors.Is(err, redis.Nil) {
		return ""
	}
	if err != nil {
		ds.t.Fatal(err)
	}
	return v
}

func (ds *directories) set(sid, owner string) {
	ds.t.Helper()
	if err := ds.redis.Set(context.Background(), ds.key(sid), owner, time.Minute).Err(); err != nil {
		ds.t.Fatal(err)
	}
}

func (ds *directories) del(sid string) {
	ds.t.Helper()
	if err := ds.redis.Del(context.Background(), ds.key(sid)).Err(); err != nil {
		ds.t.Fatal(err)
	}
}

func ownerOf(d *Directory, sid string) string {
	if u := d.Owner(context.Background(), sid); u != nil {
		return u.String()
	}
	return ""
}

func TestDirectoryOwnerAcrossNodes(t *testing.T) {
	ds := newDirectories(t)
	a, _ := ds.node("http://10.0.0.1:3000", nil)
	b, _ := ds.node("http://10.0.0.2:3000", nil)
	a.Register("sid-a")

	if got := ds.get("sid-a"); got != "http://10.0.0.1:3000" {
		t.Fatalf("stored owner = %q", got)
	}
	ttl, err := ds.redis.PTTL(context.Background(), ds.key("sid-a")).Result()
	if err != nil || ttl <= 0 || ttl > defaultDirectoryTTL {
		t.Errorf("entry expiry = %v (%v), want within %v", ttl, err, defaultDirectoryTTL)
	}
	if got := ownerOf(b, "sid-a"); got != "http://10.0.0.1:3000" {
		t.Errorf("b: owner = %q", got)
	}
	if got := ownerOf(a, "sid-a"); got != "" {
		t.Errorf("a: owner of its own session = %q, want none (nowhere to relay to)", got)
	}
	if got := ownerOf(b, "nosuchsid"); got != "" {
		t.Errorf("owner of an unknown sid = %q", got)
	}
}

func TestDirectoryUnregisterDeletes(t *testing.T) {
	ds := newDirectories(t)
	a, _ := ds.node("http://10.0.0.1:3000", nil)
	a.Register("sid-1")
	ds.set("not-mine", "http://10.0.0.9:3000")

	a.Unregister("sid-1")
	a.Unregister("not-mine") // a WebSocket session: never registered here
	waitFor(t, "entry deleted", func() bool { return ds.get("sid-1") == "" })
	if got := ds.get("not-mine"); got == "" {
		t.Error("Unregister deleted an entry this node never registered")
	}
}

func TestDirectoryCloseDeletesPending(t *testing.T) {
	ds := newDirectories(t)
	a, stop := ds.node("http://10.0.0.1:3000", nil)
	for _, sid := range []string{"s1", "s2", "s3"} {
		a.Register(sid)
	}
	// The server's shutdown unregisters its sessions just before the adapter closes.
	for _, sid := range []string{"s1", "s2", "s3"} {
		a.Unregister(sid)
	}
	stop()
	for _, sid := range []string{"s1", "s2", "s3"} {
		if got := ds.get(sid); got != "" {
			t.Errorf("%s still owned by %q after close", sid, got)
		}
	}
}

func TestDirectoryCachesLookups(t *testing.T) {
	ds := newDirectories(t)
	b, _ := ds.node("http://10.0.0.2:3000", &DirectoryOptions{CacheSize: 2})
	for _, sid := range []string{"c1", "c2", "c3", "c4", "c5"} {
		ds.set(sid, "http://10.0.0.1:3000")
		if ownerOf(b, sid) == "" {
			t.Fatalf("%s: no owner", sid)
		}
	}
	for _, sid := range []string{"c1", "c2", "c3", "c4", "c5"} {
		ds.del(sid)
	}
	// Cached: answered without Redis, which no longer has them.
	for _, sid := range []string{"c4", "c5"} {
		if got := ownerOf(b, sid); got != "http://10.0.0.1:3000" {
			t.Errorf("%s: cached owner = %q", sid, got)
		}
	}
	// Bounded: the oldest fell out and are looked up again.
	if got := ownerOf(b, "c1"); got != "" {
		t.Errorf("c1 still cached (%q) beyond the cache size", got)
	}
}

func TestDirectoryRefusesBadOwners(t *testing.T) {
	ds := newDirectories(t)
	b, _ := ds.node("http://10.0.0.2:3000", nil)
	for sid, owner := range map[string]string{
		"ftp":   "ftp://10.0.0.1/",
		"user":  "http://evil@10.0.0.1:3000",
		"query": "http://10.0.0.1:3000/?next=x",
		"bare":  "10.0.0.1:3000",
	} {
		ds.set(sid, owner)
		if got := ownerOf(b, sid); got != "" {
			t.Errorf("owner %q accepted as %q", owner, got)
		}
	}
	if got := ownerOf(b, string(make([]byte, maxSIDLength+1))); got != "" {
		t.Errorf("an overlong sid has owner %q", got)
	}
	if _, err := (&RedisAdapter{}).NewDirectory("10.0.0.1:3000", nil); err == nil {
		t.Error("NewDirectory accepted an own url without scheme")
	}
}

func TestDirectoryRenewsOwnedEntries(t *testing.T) {
	ds := newDirectories(t)
	ttl := 300 * time.Millisecond
	a, _ := ds.node("http://10.0.0.1:3000", &DirectoryOptions{TTL: ttl})
	a.Register("long")
	a.Register("ended")
	a.Unregister("ended")
	ds.set("ended", "http://10.0.0.1:3000") // as if the delete lost a race: must not be renewed
	if err := ds.redis.PExpire(context.Background(), ds.key("ended"), ttl).Err(); err != nil {
		t.Fatal(err)
	}
	// Lost with a Redis restart: the renewal sets it again.
	ds.del("long")
	time.Sleep(3 * ttl)
	if got := ds.get("long"); got != "http://10.0.0.1:3000" {
		t.Errorf("open session's entry = %q after %v, want renewed", got, 3*ttl)
	}
	if got := ds.get("ended"); got != "" {
		t.Errorf("ended session's entry = %q, want expired", got)
	}
}
