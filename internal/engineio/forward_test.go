package engineio_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// directory is an in-memory engineio.SessionDirectory shared by the servers of a test
// cluster; each server sees it through a view that knows the server's own URL.
type directory struct {
	mu           sync.Mutex
	owners       map[string]*url.URL
	registered   []string
	unregistered []string
	lookups      int
}

func newDirectory() *directory { return &directory{owners: make(map[string]*url.URL)} }

type directoryView struct {
	d    *directory
	self *url.URL // set once the server listens
}

func (v *directoryView) Register(sid string) {
	v.d.mu.Lock()
	defer v.d.mu.Unlock()
	v.d.owners[sid] = v.self
	v.d.registered = append(v.d.registered, sid)
}

func (v *directoryView) Unregister(sid string) {
	v.d.mu.Lock()
	defer v.d.mu.Unlock()
	delete(v.d.owners, sid)
	v.d.unregistered = append(v.d.unregistered, sid)
}

func (v *directoryView) Owner(_ context.Context, sid string) *url.URL {
	v.d.mu.Lock()
	defer v.d.mu.Unlock()
	v.d.lookups++
	if u := v.d.owners[sid]; u != v.self {
		return u
	}
	return nil
}

func (d *directory) set(sid string, owner *url.URL) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.owners[sid] = owner
}

func (d *directory) snapshot() (registered, unregistered []string, lookups int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.registered), slices.Clone(d.unregistered), d.lookups
}

// forwardingServer is a test server that relays unknown sessions through d.
func forwardingServer(t testing.TB, d *directory, echo bool) (*testServer, *engineio.Forwarder) {
	t.Helper()
	view := &directoryView{d: d}
	fwd := engineio.NewForwarder(view, nil)
	ts := newTestServer(t, engineio.Config{Forward: fwd}, echo)
	u, err := url.Parse(ts.http.URL)
	if err != nil {
		t.Fatal(err)
	}
	view.self = u
	return ts, fwd
}

func unknownSIDBody(t *testing.T, res response) {
	t.Helper()
	if res.status != http.StatusBadRequest || res.body != `{"code":1,"message":"Session ID unknown"}` {
		t.Errorf("got %d %q, want 400 Session ID unknown", res.status, res.body)
	}
}

func TestForwardPollingToOwner(t *testing.T) {
	d := newDirectory()
	owner, _ := forwardingServer(t, d, true)
	other, fwd := forwardingServer(t, d, false)
	sid, p := owner.pollingSession(t)
	if reg, _, _ := d.snapshot(); !slices.Equal(reg, []string{sid}) {
		t.Fatalf("registered %q, want the polling session %q", reg, sid)
	}

	origin := http.Header{"Origin": {"http://app.example"}}
	res := do(t, http.MethodPost, other.url("EIO=4&transport=polling&sid="+sid), "4via other", origin)
	if res.status != http.StatusOK || res.body != "ok" {
		t.Fatalf("POST through the other server = %d %q", res.status, res.body)
	}
	if got := res.header.Values("Access-Control-Allow-Origin"); len(got) != 1 {
		t.Errorf("Access-Control-Allow-Origin = %q, want the owner's only", got)
	}
	if m := p.nextMessage(t); m.data != "via other" {
		t.Errorf("owner got %q", m.data)
	}
	if res := other.poll(t, sid); res.status != http.StatusOK || res.body != "4via other" {
		t.Errorf("GET through the other server = %d %q, want the echo", res.status, res.body)
	}
	if st := fwd.Stats(); st.Forwarded != 2 || st.Failed != 0 {
		t.Errorf("stats %+v, want 2 forwarded", st)
	}
}

func TestForwardUpgradeToOwner(t *testing.T) {
	d := newDirectory()
	owner, _ := forwardingServer(t, d, true)
	other, _ := forwardingServer(t, d, false)
	sid, p := owner.pollingSession(t)

	c := mustDial(t, other.wsURL("EIO=4&transport=websocket&sid="+sid))
	c.send(t, "2probe")
	if f := c.next(t); f.data != "3probe" {
		t.Fatalf("probe answer %+v", f)
	}
	c.send(t, "5")
	c.send(t, "4hi")
	if m := p.nextMessage(t); m.data != "hi" {
		t.Errorf("owner got %q", m.data)
	}
	if f := c.nextNonPing(t); f.data != "4hi" {
		t.Errorf("echo %+v", f)
	}
	if tr := p.sess.Transport(); tr != "websocket" {
		t.Errorf("owner's transport = %q after the relayed upgrade", tr)
	}
}

func TestForwardNotWithoutDirectory(t *testing.T) {
	ts := newTestServer(t, engineio.Config{}, false)
	unknownSIDBody(t, ts.poll(t, "nosuchsid"))
}

func TestForwardUnknownEverywhere(t *testing.T) {
	d := newDirectory()
	ts, fwd := forwardingServer(t, d, false)
	unknownSIDBody(t, ts.poll(t, "nosuchsid"))
	if _, _, lookups := d.snapshot(); lookups != 1 {
		t.Errorf("%d lookups, want 1", lookups)
	}
	if st := fwd.Stats(); st.Forwarded != 0 {
		t.Errorf("stats %+v, want nothing forwarded", st)
	}
}

func TestForwardNeverRelaysTwice(t *testing.T) {
	d := newDirectory()
	owner, _ := forwardingServer(t, d, false)
	other, fwd := forwardingServer(t, d, false)
	sid, _ := owner.pollingSession(t)
	hdr := http.Header{engineio.ForwardedHeader: {"1"}}
	unknownSIDBody(t, do(t, http.MethodGet, other.url("EIO=4&transport=polling&sid="+sid), "", hdr))
	if _, _, lookups := d.snapshot(); lookups != 0 {
		t.Errorf("%d lookups for a relayed request, want 0", lookups)
	}
	if st := fwd.Stats(); st.Forwarded != 0 {
		t.Errorf("stats %+v, want nothing forwarded", st)
	}
}

func TestForwardDeadOwner(t *testing.T) {
	d := newDirectory()
	ts, fwd := forwardingServer(t, d, false)
	dead := newTestServer(t, engineio.Config{}, false)
	deadURL, _ := url.Parse(dead.http.URL)
	dead.http.Close() // connection refused from now on
	d.set("orphan", deadURL)

	unknownSIDBody(t, ts.poll(t, "orphan"))
	if st := fwd.Stats(); st.Forwarded != 1 || st.Failed != 1 {
		t.Errorf("stats %+v, want 1 forwarded and failed", st)
	}
}

func TestForwardUnregistersEndedSessions(t *testing.T) {
	d := newDirectory()
	ts, _ := forwardingServer(t, d, false)
	sid, p := ts.pollingSession(t)
	p.sess.Close()
	ts.poll(t, sid) // fetches the CLOSE; the sid is forgotten
	eventually(t, func() bool {
		_, unreg, _ := d.snapshot()
		return slices.Contains(unreg, sid)
	}, "ended session unregistered")

	c := mustDial(t, ts.wsURL("EIO=4&transport=websocket"))
	c.next(t) // OPEN
	if reg, _, _ := d.snapshot(); len(reg) != 1 {
		t.Errorf("registered %q: a WebSocket session makes no other request and needs no entry", reg)
	}
}

func TestForwardShutdownEndsRelayedPolls(t *testing.T) {
	d := newDirectory()
	owner, _ := forwardingServer(t, d, false)
	other, fwd := forwardingServer(t, d, false)
	sid, p := owner.pollingSession(t)
	parked := make(chan response, 1)
	go func() { parked <- other.poll(t, sid) }()
	eventually(t, func() bool { return fwd.Stats().Forwarded == 1 }, "poll relayed")
	time.Sleep(50 * time.Millisecond) // let it park on the owner

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := other.eio.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-parked:
		unknownSIDBody(t, res)
	case <-time.After(waitTimeout):
		t.Fatal("relayed poll not ended by Shutdown")
	}
	// The owner saw the poll cut, as when a client goes away.
	if r := p.waitClosed(t); r != engineio.CloseReasonTransportClose {
		t.Errorf("owner closed the session with %v", r)
	}
	if st := fwd.Stats(); st.Failed != 0 {
		t.Errorf("stats %+v: a relay cut by Shutdown is not a failure", st)
	}
}

// BenchmarkForwardPost compares a polling POST served by the owner with one relayed
// by another server.
func BenchmarkForwardPost(b *testing.B) {
	d := newDirectory()
	owner, _ := forwardingServer(b, d, false)
	other, _ := forwardingServer(b, d, false)
	sid, p := owner.pollingSession(b)
	stop := make(chan struct{})
	b.Cleanup(func() { close(stop) })
	go func() {
		for {
			select {
			case <-p.msgs:
			case <-stop:
				return
			}
		}
	}()
	for _, bc := range []struct {
		name string
		ts   *testServer
	}{{"direct", owner}, {"relayed", other}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if res := bc.ts.post(b, sid, "4x"); res.status != http.StatusOK {
					b.Fatalf("POST = %d %q", res.status, res.body)
				}
			}
		})
	}
}
