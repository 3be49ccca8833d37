package chat

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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
