package chat

import (
	"fmt"
	"strings"
	"testing"
)

func BenchmarkSendValidate(b *testing.B) {
	raw := []byte(`{"roomId":"general","content":"` + strings.Repeat("hello ", 16) +
		`","clientMessageId":"c-123","metadata":{"k":"v"},"attachment":{"url":"https://x.example/a.png","type":"image/png","name":"a.png"}}`)
	b.ReportAllocs()
	for b.Loop() {
		in, room, err := decodeSend(raw, 16384)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := in.validate(room); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSendOp(b *testing.B) {
	env := newTestEnv(b, Config{RateMessages: 1e9, RateBurst: 1 << 30})
	c := env.connect("alice")
	if _, err := env.svc.join(c, []byte(`"general"`)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := env.svc.send(c, []byte(fmt.Sprintf(`{"roomId":"general","content":"m%d"}`, i))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTypingRefresh(b *testing.B) {
	ty := newTyping(systemClock{}, 6e9, func(*client, string) {})
	defer ty.close()
	c := testClient("alice", "s1")
	ty.start(c, "r")
	b.ReportAllocs()
	for b.Loop() {
		ty.start(c, "r")
	}
}

func BenchmarkValidRoomID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if !validRoomID("team:dev.ops-room_42@example") {
			b.Fatal("invalid")
		}
	}
}
