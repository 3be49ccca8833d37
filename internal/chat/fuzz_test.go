package chat

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSendMessage checks that the sendMessage validator never panics and never accepts
// a payload that breaks the contract.
func FuzzSendMessage(f *testing.F) {
	for _, seed := range []string{
		`{"roomId":"r","content":"hi"}`,
		`{"roomId":"r","content":"","attachment":{"url":"https://x.example/a","type":"t","name":"n"}}`,
		`{"roomId":"r","content":"x","metadata":{"a":{"b":[1,null]}},"replyToId":"id","clientMessageId":"c"}`,
		`{"roomId":"r","content":" ","attachment":{"url":"HTTP://x"}}`,
		`{"roomId":"r","content":"x","attachment":{"url":"http://"}}`,
		`{"roomId":"r","roomId":5,"content":"x"}`,
		`{"ROOMID":"r","Content":"x"}`,
		`{"roomId":"r","content":"\ud800"}`,
		`[]`, `null`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	const maxBytes = 512
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, room, err := decodeSend(raw, maxBytes)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		req, err := in.validate(room)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		checkAccepted(t, raw, maxBytes, req)
	})
}

func checkRefusal(t *testing.T, err *Error) {
	if err.Type != TypeValidation || err.Code == "" || err.Message == "" {
		t.Fatalf("malformed refusal %+v", err)
	}
}

func checkAccepted(t *testing.T, raw []byte, maxBytes int, req sendRequest) {
	if len(raw) > maxBytes {
		t.Fatalf("accepted %d bytes", len(raw))
	}
	if !json.Valid(raw) || jsonKind(raw) != '{' {
		t.Fatalf("accepted non-object %q", raw)
	}
	if !validRoomID(req.Room) {
		t.Fatalf("accepted room %q", req.Room)
	}
	if req.Attachment == nil && strings.TrimSpace(req.Content) == "" {
		t.Fatalf("accepted blank content without attachment: %q", raw)
	}
	if req.Attachment != nil {
		var a struct{ URL string }
		if json.Unmarshal(req.Attachment, &a) != nil {
			t.Fatalf("accepted attachment %s", req.Attachment)
		}
		u, err := url.Parse(a.URL)
		if err != nil || u.Host == "" || (strings.ToLower(u.Scheme) != "http" && strings.ToLower(u.Scheme) != "https") {
			t.Fatalf("accepted attachment url %q", a.URL)
		}
	}
	if req.Metadata != nil && jsonKind(req.Metadata) != '{' {
		t.Fatalf("accepted metadata %s", req.Metadata)
	}
	if n := utf8.RuneCountInString(req.ClientMessageID); n > maxClientMessageIDLen {
		t.Fatalf("accepted clientMessageId of %d characters", n)
	}
	if len(req.ReplyTo) > maxMessageIDLen {
		t.Fatalf("accepted replyToId of %d bytes", len(req.ReplyTo))
	}
}

// FuzzDecodeString checks the fast path of decodeString against encoding/json.
func FuzzDecodeString(f *testing.F) {
	for _, seed := range []string{`"plain"`, `"nul\u0000"`, `"esc\n"`, `"\u00e9"`, "\"\xff\"", `"`, `""`, ` "x" `, `"a"b"`, `5`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := decodeString(raw)
		var want string
		wantOK := jsonKind(raw) == '"' && json.Unmarshal(raw, &want) == nil && !strings.Contains(want, "\x00")
		if !wantOK {
			want = ""
		}
		if !json.Valid(raw) {
			return // decodeString only ever sees fields of a payload that decoded
		}
		if ok != wantOK || got != want {
			t.Fatalf("decodeString(%q) = %q, %v; encoding/json says %q, %v", raw, got, ok, want, wantOK)
		}
	})
}
