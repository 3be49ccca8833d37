package chat

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/socketio"
	"github.com/lxzan/gws"
)

func TestIntegrationAuth(t *testing.T) {
	h := newHarness(t, Config{})
	good := h.token("alice", time.Hour)
	tests := []struct {
		name, query, auth, code string
		header                  http.Header
	}{
		{name: "missing", code: CodeTokenMissing},
		{name: "garbage", auth: `{"token":"nope"}`, code: CodeTokenInvalid},
		{name: "expired", auth: `{"token":"` + h.token("alice", -time.Hour) + `"}`, code: CodeTokenExpired},
		{name: "auth payload", auth: `{"token":"` + good + `"}`},
		{name: "query", query: "&token=" + good},
		{name: "bearer", header: http.Header{"Authorization": {"Bearer " + good}}},
		{name: "cookie", header: http.Header{"Cookie": {"a=b; token=" + good}}},
		{name: "auth wins over a bad query", query: "&token=bad", auth: `{"token":"` + good + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := h.dial(tt.query, tt.header)
			reply := c.connectChat(tt.auth)
			if tt.code == "" {
				if !strings.HasPrefix(reply, `0/chat,{"sid":`) {
					t.Fatalf("refused: %s", reply)
				}
				return
			}
			var refusal struct {
				Message string
				Data    connectErrorData
			}
			if !strings.HasPrefix(reply, "4/chat,") || json.Unmarshal([]byte(reply[len("4/chat,"):]), &refusal) != nil {
				t.Fatalf("reply %s", reply)
			}
			if refusal.Message != "unauthorized" || refusal.Data.Type != "auth" || refusal.Data.Code != tt.code || refusal.Data.Message == "" {
				t.Fatalf("refusal %+v, want unauthorized auth/%s", refusal, tt.code)
			}
		})
	}
}

func TestIntegrationConnectionRate(t *testing.T) {
	h := newHarness(t, Config{RateConnections: 1}) // burst 2
	h.connect("a")
	h.connect("b")
	c := h.dial("", nil)
	reply := c.connectChat(`{"token":"` + h.token("c", time.Hour) + `"}`)
	if !strings.HasPrefix(reply, `4/chat,{"message":"rate_limited","data":{"type":"rate_limit","code":"rate_limited"`) ||
		!strings.Contains(reply, `"retryAfterMs":`) {
		t.Fatalf("reply %s", reply)
	}
}

func TestIntegrationSendFlow(t *testing.T) {
	h := newHarness(t, Config{})
	phone, laptop, bob := h.connect("alice"), h.connect("alice"), h.connect("bob")

	if got := phone.call("joinRoom", `"r"`); string(got) != `"r"` {
		t.Fatalf("join ack %s", got)
	}
	phone.waitEvent("joinedRoom")
	bob.emit("joinRoom", `{"roomId":"r"}`)
	if got := bob.waitEvent("joinedRoom"); string(got) != `"r"` {
		t.Fatalf("joinedRoom %s", got)
	}
	joined := decode(t, phone.waitEvent("userJoinedRoom"))
	if joined["roomId"] != "r" || joined["userId"] != "bob" || joined["timestamp"] == nil {
		t.Fatalf("userJoinedRoom %v", joined)
	}
	laptop.call("joinRoom", `"r"`) // alice's second socket: nobody is told
	bob.sync()
	bob.noEvent("userJoinedRoom")

	receipt := decode(t, phone.call("sendMessage", `{"roomId":"r","content":"hello","clientMessageId":"c1"}`))
	if receipt["status"] != "sent" || receipt["clientMessageId"] != "c1" || receipt["roomId"] != "r" {
		t.Fatalf("receipt %v", receipt)
	}
	if sent := decode(t, phone.waitEvent("messageSent")); sent["id"] != receipt["id"] {
		t.Fatalf("messageSent %v, ack %v", sent, receipt)
	}
	// The receipt means durably stored.
	if m, err := h.store.Get(t.Context(), "r", receipt["id"].(string)); err != nil || m.Content != "hello" {
		t.Fatalf("stored %+v %v", m, err)
	}
	for _, other := range []*wsClient{bob, laptop} {
		m := decode(t, other.waitEvent("newMessage"))
		if m["id"] != receipt["id"] || m["sender"] != "alice" || m["content"] != "hello" || m["timestamp"] != receipt["timestamp"] {
			t.Fatalf("newMessage %v", m)
		}
	}
	phone.sync()
	phone.noEvent("newMessage")

	// An idempotent re-send gets the original receipt and broadcasts nothing.
	again := decode(t, phone.call("sendMessage", `{"roomId":"r","content":"hello","clientMessageId":"c1"}`))
	if again["id"] != receipt["id"] || again["timestamp"] != receipt["timestamp"] {
		t.Fatalf("re-send receipt %v, want %v", again, receipt)
	}
	bob.sync()
	bob.noEvent("newMessage")

	// Leaving: the user's last socket out tells the others.
	phone.call("leaveRoom", `"r"`)
	bob.sync()
	bob.noEvent("userLeftRoom")
	laptop.emit("leaveRoom", `"r"`)
	laptop.waitEvent("leftRoom")
	if left := decode(t, bob.waitEvent("userLeftRoom")); left["userId"] != "alice" {
		t.Fatalf("userLeftRoom %v", left)
	}
}

func TestIntegrationErrorsWithAcks(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.connect("alice")
	got := decode(t, c.call("sendMessage", `{"roomId":"r","content":"x"}`))
	e, ok := got["error"].(map[string]any)
	if !ok || e["type"] != "validation" || e["code"] != "not_in_room" || e["event"] != "sendMessage" {
		t.Fatalf("ack %v", got)
	}
	if _, has := e["retryAfterMs"]; has {
		t.Fatal("retryAfterMs on a validation error")
	}
	if ev := decode(t, c.waitEvent("error")); ev["code"] != "not_in_room" {
		t.Fatalf("error event %v", ev)
	}
	c.emit("bogusEvent", `1`)
	if ev := decode(t, c.waitEvent("error")); ev["code"] != "unknown_event" || ev["event"] != "bogusEvent" {
		t.Fatalf("unknown event error %v", ev)
	}
	c.emit("joinRoom", `"bad room!"`)
	if ev := decode(t, c.waitEvent("error")); ev["code"] != "invalid_room" || ev["event"] != "joinRoom" {
		t.Fatalf("error %v", ev)
	}
	c.sync()
	c.noEvent("joinedRoom")
	if hb := decode(t, c.call("heartbeat")); hb["ok"] != true || len(hb["timestamp"].(string)) != 24 {
		t.Fatalf("heartbeat ack %v", hb)
	}
}

func TestIntegrationRateLimitAndFlood(t *testing.T) {
	h := newHarness(t, Config{RateBurst: 2, RateMessages: 0.001})
	c := h.connect("alice")
	c.call("joinRoom", `"r"`)
	c.call("sendMessage", `{"roomId":"r","content":"1"}`)
	c.call("sendMessage", `{"roomId":"r","content":"2"}`)
	got := decode(t, c.call("sendMessage", `{"roomId":"r","content":"3"}`))
	e := got["error"].(map[string]any)
	if e["type"] != "rate_limit" || e["code"] != "rate_limited" || e["retryAfterMs"].(float64) < 1 {
		t.Fatalf("ack %v", got)
	}
	// More than 3×burst refusals within the window: the socket is cut off.
	for range 6 {
		c.emit("sendMessage", `{"roomId":"r","content":"x"}`)
	}
	c.waitRaw(func(f string) bool { return f == "41/chat," })
}

func TestIntegrationSync(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.connect("alice")
	c.call("joinRoom", `"r"`)
	var ids []string
	for _, text := range []string{"a", "b", "c"} {
		ids = append(ids, decode(t, c.call("sendMessage", `{"roomId":"r","content":"`+text+`"}`))["id"].(string))
	}
	done := decode(t, c.call("syncMessages", `{"roomId":"r","lastMessageId":"`+ids[0]+`","limit":1}`))
	if m := decode(t, c.waitEvent("newMessage")); m["id"] != ids[1] {
		t.Fatalf("synced %v, want %s", m, ids[1])
	}
	if done["syncedMessageCount"] != 1.0 || done["hasMore"] != true || done["lastMessageId"] != ids[1] {
		t.Fatalf("syncComplete %v", done)
	}
	if ev := decode(t, c.waitEvent("syncComplete")); ev["lastMessageId"] != ids[1] {
		t.Fatalf("syncComplete event %v", ev)
	}
	c.sync()
	c.noEvent("newMessage")
}

func TestIntegrationTypingAndPresence(t *testing.T) {
	h := newHarness(t, Config{})
	alice, bob := h.connect("alice"), h.connect("bob")
	for _, room := range []string{"a", "b"} {
		alice.call("joinRoom", jsonString(room))
		bob.call("joinRoom", jsonString(room))
	}
	if ack := decode(t, alice.call("typingIndicator", `{"roomId":"a","isTyping":true}`)); ack["ok"] != true {
		t.Fatalf("typing ack %v", ack)
	}
	if ev := decode(t, bob.waitEvent("userTyping")); ev["isTyping"] != true || ev["userId"] != "alice" || ev["roomId"] != "a" {
		t.Fatalf("userTyping %v", ev)
	}
	alice.call("typingIndicator", `{"roomId":"a","isTyping":true}`) // refresh
	bob.sync()
	bob.noEvent("userTyping")
	h.clock.Advance(6 * time.Second)
	if ev := decode(t, bob.waitEvent("userTyping")); ev["isTyping"] != false {
		t.Fatalf("userTyping after timeout %v", ev)
	}

	alice.call("presenceUpdate", `{"status":"away"}`)
	if ev := decode(t, bob.waitEvent("presenceUpdate")); ev["status"] != "away" || ev["userId"] != "alice" {
		t.Fatalf("presenceUpdate %v", ev)
	}
	bob.sync()
	bob.noEvent("presenceUpdate") // once, although bob shares two rooms with alice
	members := decode(t, bob.call("getRoomMembers", `{"roomId":"a"}`))
	if got, _ := json.Marshal(members["members"]); string(got) != `[{"status":"away","userId":"alice"},{"status":"online","userId":"bob"}]` {
		t.Fatalf("members %s", got)
	}
	bob.waitEvent("roomMembers")

	alice.call("typingIndicator", `{"roomId":"b","isTyping":true}`)
	bob.waitEvent("userTyping")
	alice.close()
	if ev := decode(t, bob.waitEvent("userTyping")); ev["isTyping"] != false || ev["roomId"] != "b" {
		t.Fatalf("typing end on disconnect %v", ev)
	}
	bob.waitEvent("userLeftRoom")
	bob.waitEvent("userLeftRoom")
	h.clock.Advance(5 * time.Second)
	if ev := decode(t, bob.waitEvent("presenceUpdate")); ev["status"] != "offline" || ev["userId"] != "alice" {
		t.Fatalf("offline %v", ev)
	}
	bob.sync()
	bob.noEvent("presenceUpdate")
}

func TestIntegrationReadReceipt(t *testing.T) {
	h := newHarness(t, Config{})
	alice, bob := h.connect("alice"), h.connect("bob")
	alice.call("joinRoom", `"r"`)
	bob.call("joinRoom", `"r"`)
	id := decode(t, alice.call("sendMessage", `{"roomId":"r","content":"read me"}`))["id"].(string)
	ack := decode(t, bob.call("readReceipt", `{"messageId":"`+id+`","roomId":"r"}`))
	if ack["messageId"] != id || ack["userId"] != "bob" {
		t.Fatalf("ack %v", ack)
	}
	if ev := decode(t, alice.waitEvent("messageRead")); ev["messageId"] != id || ev["userId"] != "bob" || ev["roomId"] != "r" {
		t.Fatalf("messageRead %v", ev)
	}
	bob.sync()
	bob.noEvent("messageRead")
}

func TestIntegrationTokenRefreshAndExpiry(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.dial("", nil)
	c.connectChat(`{"token":"` + h.token("alice", time.Minute) + `"}`)
	got := decode(t, c.call("refreshToken", `{"token":"`+h.token("alice", 2*time.Minute)+`"}`))
	if exp, err := time.Parse(timestampLayout, got["expiresAt"].(string)); err != nil || exp.Before(time.Now().Add(time.Minute)) {
		t.Fatalf("tokenRefreshed %v", got)
	}
	c.waitEvent("tokenRefreshed")
	h.clock.Advance(90 * time.Second) // past the first token's expiry
	c.sync()
	h.clock.Advance(60 * time.Second)
	if ev := decode(t, c.waitEvent("error")); ev["type"] != "auth" || ev["code"] != "token_expired" {
		t.Fatalf("error %v", ev)
	}
	c.waitRaw(func(f string) bool { return f == "41/chat," }) // "io server disconnect"
}

func TestIntegrationRecoveryRestoresMembership(t *testing.T) {
	h := newHarnessWith(t, Config{}, harnessOptions{recovery: &socketio.Recovery{}})
	token := h.token("alice", time.Hour)
	alice := h.dial("", nil)
	var hello struct{ SID, PID string }
	reply := alice.connectChat(`{"token":"` + token + `"}`)
	if err := json.Unmarshal([]byte(strings.TrimPrefix(reply, "0/chat,")), &hello); err != nil || hello.PID == "" {
		t.Fatalf("connect reply %s: %v", reply, err)
	}
	bob := h.connect("bob")
	bob.call("joinRoom", `"r"`)
	alice.emit("joinRoom", `"r"`)
	var args []json.RawMessage
	frame := alice.waitRaw(func(f string) bool { return strings.HasPrefix(f, `42/chat,["joinedRoom"`) })
	if err := json.Unmarshal([]byte(strings.TrimPrefix(frame, "42/chat,")), &args); err != nil || len(args) != 3 {
		t.Fatalf("joinedRoom with offset: %s", frame)
	}
	offset, _ := decodeString(args[2])
	bob.waitEvent("userJoinedRoom")

	_ = alice.conn.NetConn().Close() // the network drops: recoverable
	if ev := decode(t, bob.waitEvent("userLeftRoom")); ev["userId"] != "alice" {
		t.Fatalf("userLeftRoom %v", ev)
	}
	again := h.dial("", nil)
	reply = again.connectChat(`{"token":"` + token + `","pid":"` + hello.PID + `","offset":"` + offset + `"}`)
	if !strings.Contains(reply, `"sid":"`+hello.SID+`"`) {
		t.Fatalf("not recovered: %s", reply)
	}
	if ev := decode(t, bob.waitEvent("userJoinedRoom")); ev["userId"] != "alice" {
		t.Fatalf("userJoinedRoom after recovery %v", ev)
	}
	// Without joining again, the recovered socket is a member.
	if r := decode(t, again.call("sendMessage", `{"roomId":"r","content":"back"}`)); r["status"] != "sent" {
		t.Fatalf("send after recovery %v", r)
	}
	bob.waitEvent("newMessage")
	members := decode(t, bob.call("getRoomMembers", `"r"`))
	if got, _ := json.Marshal(members["members"]); string(got) != `[{"status":"online","userId":"alice"},{"status":"online","userId":"bob"}]` {
		t.Fatalf("members %s", got)
	}
}

func TestIntegrationBinaryRefused(t *testing.T) {
	h := newHarness(t, Config{})
	c := h.connect("alice")
	c.call("joinRoom", `"r"`)
	// A BINARY_EVENT with one attachment inside metadata, acked as id 9.
	c.send(`451-/chat,9["sendMessage",{"roomId":"r","content":"x","metadata":{"_placeholder":true,"num":0}}]`)
	if err := c.conn.WriteMessage(gws.OpcodeBinary, []byte("bin")); err != nil {
		t.Fatal(err)
	}
	ack := c.waitRaw(func(f string) bool { return strings.HasPrefix(f, "43/chat,9[") })
	if !strings.Contains(ack, `"code":"invalid_payload"`) {
		t.Fatalf("ack %s", ack)
	}
	if msgs, _, _ := h.store.Latest(t.Context(), "r", 10); len(msgs) != 0 {
		t.Fatalf("stored %d messages", len(msgs))
	}
}
