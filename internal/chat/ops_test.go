package chat

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chatd/chatd/internal/store"
)

func receiptID(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var r receiptOut
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("decode receipt %s: %v", raw, err)
	}
	return r.ID
}

func wantCode(t *testing.T, err *Error, typ, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want %s/%s", typ, code)
	}
	if err.Type != typ || err.Code != code {
		t.Fatalf("got %s/%s (%s), want %s/%s", err.Type, err.Code, err.Message, typ, code)
	}
}

func TestJoinIsIdempotentAndFollowsUsers(t *testing.T) {
	env := newTestEnv(t, Config{})
	phone, laptop := env.connect("alice"), env.connect("alice")
	if res := env.join(phone, "r"); !res.added || !res.firstOfUser {
		t.Fatalf("first join: %+v", res)
	}
	if res := env.join(phone, "r"); res.added || res.firstOfUser {
		t.Fatalf("second join of the same socket: %+v", res)
	}
	if res := env.join(laptop, "r"); !res.added || res.firstOfUser {
		t.Fatalf("join of the user's second socket: %+v", res)
	}
	obj, err := env.svc.join(phone, rawJSON(`{"roomId":"r"}`))
	if err != nil || obj.room != "r" {
		t.Fatalf("object form: %+v %v", obj, err)
	}
	if got := env.svc.rooms.members("r"); !reflect.DeepEqual(got, []string{"alice"}) {
		t.Fatalf("members = %v", got)
	}
	if left, _ := env.svc.leave(phone, rawJSON(`"r"`)); left.lastOfUser {
		t.Fatal("leaving with another socket of the user still in the room reported the user gone")
	}
	if left, _ := env.svc.leave(laptop, rawJSON(`{"roomId":"r"}`)); !left.lastOfUser {
		t.Fatal("the user's last socket left without userLeftRoom")
	}
	if left, err := env.svc.leave(laptop, rawJSON(`"r"`)); err != nil || left.lastOfUser {
		t.Fatalf("leaving a room not joined: %+v %v", left, err)
	}
	if n := env.svc.rooms.active(); n != 0 {
		t.Fatalf("active rooms = %d, want 0", n)
	}
}

func TestJoinRefusals(t *testing.T) {
	env := newTestEnv(t, Config{MaxRoomsPerSocket: 2, RateJoins: 3})
	c := env.connect("alice", "team-*")
	for _, arg := range []string{`5`, `null`, `""`, `"bad room"`, `{"roomId":7}`, `{}`, `["team-a"]`} {
		_, err := env.svc.join(c, rawJSON(arg))
		wantCode(t, err, TypeValidation, CodeInvalidRoom)
	}
	_, err := env.svc.join(c, rawJSON(`"general"`))
	wantCode(t, err, TypeAuth, CodeForbidden)
	env.join(c, "team-a")
	env.join(c, "team-b")
	_, err = env.svc.join(c, rawJSON(`"team-c"`))
	wantCode(t, err, TypeValidation, CodeTooManyRooms)
	env.join(c, "team-a") // re-joining a full socket's room is fine

	other := env.connect("alice", "team-*")
	env.join(other, "team-c") // third join token of the shared bucket
	_, err = env.svc.join(other, rawJSON(`"team-d"`))
	wantCode(t, err, TypeRateLimit, CodeRateLimited)
	if err.RetryAfterMs < 1 || err.RetryAfterMs > 334 {
		t.Fatalf("retryAfterMs = %d", err.RetryAfterMs)
	}
	if other.inRoom("team-d") {
		t.Fatal("refused join had an effect")
	}
}

func TestSendReceiptAndMessage(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.connect("alice")
	env.join(c, "r")
	res := env.send(c, `{"roomId":"r","content":"<b>hi</b> & bye","metadata":{"k":"v"},"attachment":{"url":"https://x.example/a"},"clientMessageId":"c1"}`)
	var rc map[string]any
	if err := json.Unmarshal(res.receipt, &rc); err != nil {
		t.Fatal(err)
	}
	if rc["status"] != "sent" || rc["roomId"] != "r" || rc["clientMessageId"] != "c1" || rc["id"] == "" {
		t.Fatalf("receipt = %s", res.receipt)
	}
	if _, err := time.Parse(timestampLayout, rc["timestamp"].(string)); err != nil || len(rc["timestamp"].(string)) != 24 {
		t.Fatalf("timestamp %q: %v", rc["timestamp"], err)
	}
	want := fmt.Sprintf(`{"id":%q,"content":"<b>hi</b> & bye","sender":"alice","roomId":"r","timestamp":%q,"attachment":{"url":"https://x.example/a"},"metadata":{"k":"v"}}`,
		rc["id"], rc["timestamp"])
	if string(res.message) != want {
		t.Fatalf("newMessage =\n%s\nwant\n%s", res.message, want)
	}
	plain := env.send(c, `{"roomId":"r","content":"plain"}`)
	if strings.Contains(string(plain.message), "replyToId") || strings.Contains(string(plain.receipt), "clientMessageId") {
		t.Fatalf("absent optional fields sent: %s %s", plain.message, plain.receipt)
	}
}

func TestSendIdempotentResendCostsNothing(t *testing.T) {
	env := newTestEnv(t, Config{RateBurst: 2, RateMessages: 0.001})
	c := env.connect("alice")
	env.join(c, "r")
	first := env.send(c, `{"roomId":"r","content":"a","clientMessageId":"m1"}`)
	again := env.send(c, `{"roomId":"r","content":"a","clientMessageId":"m1"}`)
	if string(again.receipt) != string(first.receipt) {
		t.Fatalf("duplicate receipt %s, want %s", again.receipt, first.receipt)
	}
	if again.message != nil {
		t.Fatal("duplicate would be broadcast")
	}
	env.send(c, `{"roomId":"r","content":"b"}`) // the second token: the duplicate gave its back
	_, err := env.svc.send(c, rawJSON(`{"roomId":"r","content":"c"}`))
	wantCode(t, err, TypeRateLimit, CodeRateLimited)
	msgs, _, _ := env.store.Latest(t.Context(), "r", 10)
	if len(msgs) != 2 {
		t.Fatalf("stored %d messages, want 2 (nothing refused is stored)", len(msgs))
	}
	// Another user's identical client id is another message.
	bob := env.connect("bob")
	env.join(bob, "r")
	if res := env.send(bob, `{"roomId":"r","content":"a","clientMessageId":"m1"}`); res.message == nil {
		t.Fatal("another user's message was taken for a duplicate")
	}
}

func TestSendEndsTypingOfEveryDevice(t *testing.T) {
	env := newTestEnv(t, Config{})
	phone, laptop := env.connect("alice"), env.connect("alice")
	env.join(phone, "r")
	env.join(laptop, "r")
	if res, err := env.svc.setTyping(phone, rawJSON(`{"roomId":"r","isTyping":true}`)); err != nil || !res.changed {
		t.Fatalf("typing start: %+v %v", res, err)
	}
	if res, _ := env.svc.setTyping(laptop, rawJSON(`{"roomId":"r","isTyping":true}`)); res.changed {
		t.Fatal("second device typing was broadcast")
	}
	if res := env.send(laptop, `{"roomId":"r","content":"x"}`); !res.typingEnded {
		t.Fatal("send did not end typing")
	}
	if env.svc.typing.active(phone, "r") || env.svc.typing.active(laptop, "r") {
		t.Fatal("typing survived the send")
	}
	if res := env.send(laptop, `{"roomId":"r","content":"y"}`); res.typingEnded {
		t.Fatal("send reported typing ended when nobody typed")
	}
}

func TestServerErrorsLeakNothing(t *testing.T) {
	env := newTestEnvStore(t, Config{}, failingStore{})
	c := env.connect("alice")
	env.join(c, "r")
	for _, payload := range []string{
		`{"roomId":"r","content":"x"}`,
		`{"roomId":"r","content":"x","replyToId":"m"}`,
	} {
		_, err := env.svc.send(c, rawJSON(payload))
		wantCode(t, err, TypeServer, CodeInternal)
		if err.Message != "internal error" {
			t.Fatalf("message %q", err.Message)
		}
	}
	_, err := env.svc.sync(c, rawJSON(`{"roomId":"r"}`))
	wantCode(t, err, TypeServer, CodeInternal)
	// The failed append handed its rate token back.
	if tokens := c.limits.messageLimiter().TokensAt(env.clock.Now()); tokens < 19.99 {
		t.Fatalf("tokens = %v after failed sends", tokens)
	}
}

func TestSyncPaging(t *testing.T) {
	env := newTestEnv(t, Config{RateBurst: 100})
	c := env.connect("alice")
	env.join(c, "r")
	var ids []string
	for i := range 5 {
		ids = append(ids, receiptID(t, env.send(c, fmt.Sprintf(`{"roomId":"r","content":"m%d"}`, i)).receipt))
	}
	tests := []struct {
		payload   string
		wantIDs   []string
		wantMore  bool
		wantLast  any
		wantCount int
	}{
		{`{"roomId":"r"}`, ids, false, ids[4], 5},
		{`{"roomId":"r","limit":2}`, ids[3:], true, ids[4], 2},
		{`{"roomId":"r","limit":2.0,"lastMessageId":"` + ids[0] + `"}`, ids[1:3], true, ids[2], 2},
		{`{"roomId":"r","limit":500,"lastMessageId":"` + ids[2] + `"}`, ids[3:], false, ids[4], 2},
		{`{"roomId":"r","lastMessageId":"` + ids[4] + `"}`, nil, false, ids[4], 0},
		{`{"roomId":"r","lastMessageId":null,"limit":null}`, ids, false, ids[4], 5},
		{`{"roomId":"r","lastMessageId":""}`, ids, false, ids[4], 5},
	}
	for _, tt := range tests {
		res, err := env.svc.sync(c, rawJSON(tt.payload))
		if err != nil {
			t.Fatalf("%s: %v", tt.payload, err)
		}
		var got []string
		for _, m := range res.messages {
			var mo messageOut
			_ = json.Unmarshal(m, &mo)
			got = append(got, mo.ID)
		}
		if !reflect.DeepEqual(got, tt.wantIDs) {
			t.Errorf("%s: ids %v, want %v", tt.payload, got, tt.wantIDs)
		}
		var done map[string]any
		_ = json.Unmarshal(res.complete, &done)
		want := map[string]any{"roomId": "r", "syncedMessageCount": float64(tt.wantCount), "hasMore": tt.wantMore, "lastMessageId": tt.wantLast}
		if !reflect.DeepEqual(done, want) {
			t.Errorf("%s: syncComplete %v, want %v", tt.payload, done, want)
		}
	}
	empty := env.connect("bob")
	env.join(empty, "quiet")
	res, err := env.svc.sync(empty, rawJSON(`{"roomId":"quiet"}`))
	if err != nil || string(res.complete) != `{"roomId":"quiet","syncedMessageCount":0,"hasMore":false,"lastMessageId":null}` {
		t.Fatalf("empty room: %s %v", res.complete, err)
	}
}

func TestSyncRefusals(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.connect("alice", "r", "s")
	env.join(c, "r")
	tests := []struct{ payload, typ, code string }{
		{`"r"`, TypeValidation, CodeInvalidPayload},
		{`{"roomId":"bad room"}`, TypeValidation, CodeInvalidRoom},
		{`{"roomId":"x"}`, TypeAuth, CodeForbidden},
		{`{"roomId":"s"}`, TypeValidation, CodeNotInRoom},
		{`{"roomId":"r","limit":0}`, TypeValidation, CodeInvalidLimit},
		{`{"roomId":"r","limit":-3}`, TypeValidation, CodeInvalidLimit},
		{`{"roomId":"r","limit":2.5}`, TypeValidation, CodeInvalidLimit},
		{`{"roomId":"r","limit":"5"}`, TypeValidation, CodeInvalidLimit},
		{`{"roomId":"r","lastMessageId":"nope"}`, TypeValidation, CodeMessageNotFound},
		{`{"roomId":"r","lastMessageId":5}`, TypeValidation, CodeInvalidPayload},
	}
	for _, tt := range tests {
		_, err := env.svc.sync(c, rawJSON(tt.payload))
		if err == nil || err.Type != tt.typ || err.Code != tt.code {
			t.Errorf("%s: got %v, want %s/%s", tt.payload, err, tt.typ, tt.code)
		}
	}
}

func TestReadReceipt(t *testing.T) {
	env := newTestEnv(t, Config{})
	alice, bob := env.connect("alice"), env.connect("bob")
	env.join(alice, "r")
	env.join(bob, "r")
	first := receiptID(t, env.send(alice, `{"roomId":"r","content":"1"}`).receipt)
	second := receiptID(t, env.send(alice, `{"roomId":"r","content":"2"}`).receipt)

	res, err := env.svc.markRead(bob, rawJSON(`{"messageId":"`+second+`","roomId":"r"}`))
	if err != nil || !res.advanced || res.payload.MessageID != second || res.payload.UserID != "bob" {
		t.Fatalf("read: %+v %v", res, err)
	}
	res, err = env.svc.markRead(bob, rawJSON(`{"messageId":"`+first+`","roomId":"r"}`))
	if err != nil || res.advanced {
		t.Fatalf("older receipt moved the marker: %+v %v", res, err)
	}
	if id, _, _ := env.store.ReadMarker(t.Context(), "bob", "r"); id != second {
		t.Fatalf("marker = %s, want %s", id, second)
	}
	_, err = env.svc.markRead(bob, rawJSON(`{"messageId":"nope","roomId":"r"}`))
	wantCode(t, err, TypeValidation, CodeMessageNotFound)
	_, err = env.svc.markRead(bob, rawJSON(`{"messageId":5,"roomId":"r"}`))
	wantCode(t, err, TypeValidation, CodeInvalidPayload)
	_, err = env.svc.markRead(bob, rawJSON(`{"messageId":"`+first+`","roomId":"elsewhere"}`))
	wantCode(t, err, TypeValidation, CodeNotInRoom)
	_, err = env.svc.markRead(bob, rawJSON(`[]`))
	wantCode(t, err, TypeValidation, CodeInvalidPayload)
}

func TestTypingOp(t *testing.T) {
	env := newTestEnv(t, Config{RateTyping: 2})
	c := env.connect("alice")
	env.join(c, "r")
	for _, p := range []string{`{"roomId":"r"}`, `{"roomId":"r","isTyping":"yes"}`, `{"roomId":"r","isTyping":1}`, `true`} {
		_, err := env.svc.setTyping(c, rawJSON(p))
		wantCode(t, err, TypeValidation, CodeInvalidPayload)
	}
	_, err := env.svc.setTyping(c, rawJSON(`{"roomId":"x","isTyping":true}`))
	wantCode(t, err, TypeValidation, CodeNotInRoom)
	steps := []struct {
		payload string
		changed bool
		code    string
	}{
		{`{"roomId":"r","isTyping":true}`, true, ""},
		{`{"roomId":"r","isTyping":true}`, false, ""}, // refresh: free, silent
		{`{"roomId":"r","isTyping":true}`, false, ""},
		{`{"roomId":"r","isTyping":false}`, true, ""},
		{`{"roomId":"r","isTyping":false}`, false, ""},
		{`{"roomId":"r","isTyping":true}`, true, ""},
		{`{"roomId":"r","isTyping":false}`, true, ""},
		{`{"roomId":"r","isTyping":true}`, false, CodeRateLimited}, // third start within a second
	}
	for i, st := range steps {
		res, err := env.svc.setTyping(c, rawJSON(st.payload))
		if st.code != "" {
			wantCode(t, err, TypeRateLimit, st.code)
			continue
		}
		if err != nil || res.changed != st.changed {
			t.Fatalf("step %d %s: changed=%v err=%v, want changed=%v", i, st.payload, res.changed, err, st.changed)
		}
	}
}

func TestPresenceOp(t *testing.T) {
	env := newTestEnv(t, Config{})
	phone, laptop := env.connect("alice"), env.connect("alice")
	env.join(phone, "a")
	env.join(phone, "b")
	env.join(laptop, "b")
	env.join(laptop, "c")
	for _, p := range []string{`{"status":"gone"}`, `{"status":1}`, `{}`, `"away"`, `null`} {
		_, err := env.svc.setPresence(phone, rawJSON(p))
		wantCode(t, err, TypeValidation, CodeInvalidStatus)
	}
	res, err := env.svc.setPresence(phone, rawJSON(`{"status":"away"}`))
	if err != nil {
		t.Fatal(err)
	}
	rooms := append([]string(nil), res.rooms...)
	sortStrings(rooms)
	if !reflect.DeepEqual(rooms, []string{"a", "b", "c"}) || res.payload.Status != "away" || res.payload.UserID != "alice" {
		t.Fatalf("presence: %+v", res)
	}
	if got := env.svc.users.status("alice"); got != "away" {
		t.Fatalf("status = %s", got)
	}
	out, err := env.svc.members(laptop, rawJSON(`{"roomId":"b"}`))
	if err != nil || !reflect.DeepEqual(out.Members, []memberOut{{"alice", "away"}}) {
		t.Fatalf("members: %+v %v", out, err)
	}
}

func TestMembers(t *testing.T) {
	env := newTestEnv(t, Config{})
	for _, u := range []string{"carol", "alice", "bob"} {
		env.join(env.connect(u), "r")
	}
	c := env.connect("dave")
	_, err := env.svc.members(c, rawJSON(`"r"`))
	wantCode(t, err, TypeValidation, CodeNotInRoom)
	_, err = env.svc.members(c, rawJSON(`{"roomId":""}`))
	wantCode(t, err, TypeValidation, CodeInvalidRoom)
	env.join(c, "r")
	out, err := env.svc.members(c, rawJSON(`"r"`))
	if err != nil {
		t.Fatal(err)
	}
	want := []memberOut{{"alice", "online"}, {"bob", "online"}, {"carol", "online"}, {"dave", "online"}}
	if !reflect.DeepEqual(out.Members, want) {
		t.Fatalf("members = %+v", out.Members)
	}
}

func TestRefreshToken(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.connect("alice")
	tests := []struct{ payload, typ, code string }{
		{`"tok"`, TypeValidation, CodeInvalidPayload},
		{`{}`, TypeAuth, CodeTokenMissing},
		{`{"token":5}`, TypeValidation, CodeInvalidPayload},
		{`{"token":"garbage"}`, TypeAuth, CodeTokenInvalid},
		{`{"token":"` + env.token("bob", time.Hour) + `"}`, TypeAuth, CodeTokenInvalid},
	}
	for _, tt := range tests {
		_, err := env.svc.refresh(c, rawJSON(tt.payload))
		if err == nil || err.Type != tt.typ || err.Code != tt.code {
			t.Errorf("%.40s: got %v, want %s/%s", tt.payload, err, tt.typ, tt.code)
		}
	}
	tok := env.token("alice", 2*time.Hour)
	out, err := env.svc.refresh(c, rawJSON(`{"token":"`+tok+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	exp, perr := time.Parse(timestampLayout, out.ExpiresAt)
	if perr != nil || exp.Before(time.Now().Add(time.Hour)) {
		t.Fatalf("expiresAt %q: %v", out.ExpiresAt, perr)
	}
	if got := c.currentClaims().ExpiresAt; !got.Equal(exp) {
		t.Fatalf("claims not replaced: exp %v", got)
	}
}

func TestTokenExpiryTimer(t *testing.T) {
	clk := newFakeClock()
	c := newClient("s1", claimsFor(clk, time.Minute), nil, discardLogger())
	expired := 0
	q := newExpiryQueue(clk, func(*client) { expired++ })
	c.armExpiry(q, claimsFor(clk, time.Minute))
	clk.Advance(30 * time.Second)
	c.armExpiry(q, claimsFor(clk, time.Minute)) // refresh
	clk.Advance(45 * time.Second)
	if expired != 0 {
		t.Fatal("the replaced timer fired")
	}
	clk.Advance(15 * time.Second)
	if expired != 1 {
		t.Fatalf("expired %d times, want 1", expired)
	}
	c.armExpiry(q, claimsFor(clk, time.Minute))
	c.finish()
	clk.Advance(time.Hour)
	if expired != 1 || clk.pending() != 0 {
		t.Fatalf("timer ran after finish: expired=%d pending=%d", expired, clk.pending())
	}
}

func TestSendResendAnsweredWhileRateLimited(t *testing.T) {
	env := newTestEnv(t, Config{RateBurst: 3, RateMessages: 0.001})
	c := env.connect("alice")
	env.join(c, "r")
	first := env.send(c, `{"roomId":"r","content":"m0","clientMessageId":"c0"}`)
	env.send(c, `{"roomId":"r","content":"m1"}`)
	env.send(c, `{"roomId":"r","content":"m2"}`)
	_, err := env.svc.send(c, rawJSON(`{"roomId":"r","content":"x"}`))
	wantCode(t, err, TypeRateLimit, CodeRateLimited)
	again, err := env.svc.send(c, rawJSON(`{"roomId":"r","content":"m0","clientMessageId":"c0"}`))
	if err != nil || string(again.receipt) != string(first.receipt) || again.message != nil {
		t.Fatalf("resend while limited: %s %v", again.receipt, err)
	}
	_, err = env.svc.send(c, rawJSON(`{"roomId":"r","content":"new","clientMessageId":"c9"}`))
	wantCode(t, err, TypeRateLimit, CodeRateLimited)
}

func TestRecentSendsEvictsOldest(t *testing.T) {
	r := newRecentSends(2)
	for _, id := range []string{"a", "b", "a", "c"} {
		r.add(store.Message{Room: "r", ClientMessageID: id, ID: "m-" + id})
	}
	if _, ok := r.get("r", "a"); ok {
		t.Fatal("oldest entry kept")
	}
	for _, id := range []string{"b", "c"} {
		if m, ok := r.get("r", id); !ok || m.ID != "m-"+id {
			t.Fatalf("entry %s: %+v %v", id, m, ok)
		}
	}
	if _, ok := r.get("other", "b"); ok {
		t.Fatal("entry found in another room")
	}
	r.add(store.Message{Room: "r", ID: "no client id"})
	if _, ok := r.get("r", ""); ok {
		t.Fatal("message without client id remembered")
	}
}
