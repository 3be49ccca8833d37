package chat

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestPipelinedSendsKeepTheirOrder: with a store that commits in start order (SQLite),
// a socket's sends are in flight together, yet its receipts, refusals and broadcasts
// come in the order it sent them, and its next other event (leaveRoom) comes after.
func TestPipelinedSendsKeepTheirOrder(t *testing.T) {
	h := newHarnessWith(t, Config{RateMessages: 1000, RateBurst: 1000}, harnessOptions{sqlite: true})
	if h.svc.pipeline == nil {
		t.Fatal("the SQLite store must be pipelined")
	}
	alice, bob := h.connect("alice"), h.connect("bob")
	alice.call("joinRoom", `"r"`)
	bob.call("joinRoom", `"r"`)
	const n = 40
	for i := range n {
		if i == 17 { // a refusal in the middle keeps its place
			alice.send(`42/chat,` + strconv.Itoa(1000+i) + `["sendMessage",{"roomId":"r","content":""}]`)
			continue
		}
		alice.send(fmt.Sprintf(`42/chat,%d["sendMessage",{"roomId":"r","content":"m%d","clientMessageId":"c%d"}]`, 1000+i, i, i))
	}
	alice.emit("leaveRoom", `"r"`)

	for i := range n {
		prefix := "43/chat," + strconv.Itoa(1000+i) + "["
		f := alice.waitRaw(func(f string) bool { return strings.HasPrefix(f, "43/chat,") })
		if !strings.HasPrefix(f, prefix) {
			t.Fatalf("ack %d: got %s", i, f)
		}
		if refused := strings.Contains(f, `"error"`); refused != (i == 17) {
			t.Fatalf("ack %d: %s", i, f)
		}
	}
	if got := alice.waitEvent("leftRoom"); string(got) != `"r"` {
		t.Fatalf("leftRoom %s", got)
	}
	for i := range n {
		if i == 17 {
			continue
		}
		var m struct{ Content string }
		if err := json.Unmarshal(bob.waitEvent("newMessage"), &m); err != nil || m.Content != fmt.Sprintf("m%d", i) {
			t.Fatalf("newMessage %d: %+v %v", i, m, err)
		}
	}
	if ev := decode(t, bob.waitEvent("userLeftRoom")); ev["userId"] != "alice" {
		t.Fatalf("userLeftRoom %v", ev)
	}
}

// TestPipelinedSendsBeforeDisconnect: messages in flight when the socket goes still
// reach the room, before its user's leave.
func TestPipelinedSendsBeforeDisconnect(t *testing.T) {
	h := newHarnessWith(t, Config{RateMessages: 1000, RateBurst: 1000}, harnessOptions{sqlite: true})
	alice, bob := h.connect("alice"), h.connect("bob")
	alice.call("joinRoom", `"r"`)
	bob.call("joinRoom", `"r"`)
	for i := range 10 {
		alice.emit("sendMessage", fmt.Sprintf(`{"roomId":"r","content":"m%d"}`, i))
	}
	alice.close()
	for i := range 10 {
		var m struct{ Content string }
		if err := json.Unmarshal(bob.waitEvent("newMessage"), &m); err != nil || m.Content != fmt.Sprintf("m%d", i) {
			t.Fatalf("newMessage %d: %+v %v", i, m, err)
		}
	}
	bob.waitEvent("userLeftRoom")
}

// TestPipelinedFloodDisconnects: a flood cut decided inside the pipe does not wait
// for the pipe itself.
func TestPipelinedFloodDisconnects(t *testing.T) {
	h := newHarnessWith(t, Config{RateMessages: 1, RateBurst: 1}, harnessOptions{sqlite: true})
	c := h.connect("alice")
	c.call("joinRoom", `"r"`)
	for i := range 10 {
		c.emit("sendMessage", fmt.Sprintf(`{"roomId":"r","content":"m%d"}`, i))
	}
	c.waitRaw(func(f string) bool { return f == "41/chat," })
}

// corkLog records a socket's corks, and the answers sent while corked.
type corkLog struct {
	mu     sync.Mutex
	depth  int
	events []string
}

func (l *corkLog) Cork() { l.mu.Lock(); l.depth++; l.events = append(l.events, "cork"); l.mu.Unlock() }
func (l *corkLog) Uncork() {
	l.mu.Lock()
	l.depth--
	l.events = append(l.events, "uncork")
	l.mu.Unlock()
}
func (l *corkLog) note(s string) {
	l.mu.Lock()
	l.events = append(l.events, fmt.Sprintf("%s(depth %d)", s, l.depth))
	l.mu.Unlock()
}

// TestSendPipeCorksAnswersOfOneCommit: answers whose commits are known together are
// sent corked, so they share a write; the socket is uncorked before an answer that
// must wait, so that nothing sent to it is held back meanwhile.
func TestSendPipeCorksAnswersOfOneCommit(t *testing.T) {
	var (
		p        sendPipe
		log      corkLog
		pushed   = make(chan struct{})
		cWaits   = make(chan struct{})
		released = make(chan struct{})
		done     = make(chan struct{})
	)
	job := func(name string) sendJob {
		return sendJob{ready: func() bool { return true }, run: func() { log.note(name) }}
	}
	// The first job holds the drain until everything is queued.
	p.push(&log, sendJob{run: func() { <-pushed }})
	p.push(&log, job("a"))
	p.push(&log, job("b"))
	// c's commit is not known until released: its run waits for it.
	p.push(&log, sendJob{
		ready: func() bool {
			select {
			case <-released:
				return true
			default:
				return false
			}
		},
		run: func() { log.note("c-waits"); close(cWaits); <-released; log.note("c") },
	})
	p.push(&log, sendJob{run: func() { log.note("d"); close(done) }})
	close(pushed)
	<-cWaits
	close(released)
	<-done
	p.wait()
	log.mu.Lock()
	defer log.mu.Unlock()
	got := strings.Join(log.events, " ")
	if want := "cork a(depth 1) b(depth 1) uncork c-waits(depth 0) c(depth 0) d(depth 0)"; got != want {
		t.Fatalf("corks and answers:\n got %s\nwant %s", got, want)
	}
}
