package chat

import (
	"strings"
	"testing"
)

func TestValidRoomID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"general", true},
		{"a", true},
		{"A-z_0.9:x@y", true},
		{strings.Repeat("r", 128), true},
		{"", false},
		{strings.Repeat("r", 129), false},
		{"has space", false},
		{"slash/room", false},
		{"ünïcode", false},
		{"room#1", false},
		{"nul\x00", false},
	}
	for _, tt := range tests {
		if got := validRoomID(tt.id); got != tt.want {
			t.Errorf("validRoomID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestSendValidation(t *testing.T) {
	env := newTestEnv(t, Config{MaxMessageBytes: 300})
	c := env.connect("alice")
	env.join(c, "r")
	existing := env.send(c, `{"roomId":"r","content":"first"}`)
	firstID := receiptID(t, existing.receipt)
	big := `{"roomId":"r","content":"` + strings.Repeat("x", 300) + `"}`

	tests := []struct {
		name, payload, code string
	}{
		{"ok", `{"roomId":"r","content":"hi"}`, ""},
		{"ok attachment without text", `{"roomId":"r","content":"","attachment":{"url":"https://x.example/a.png","type":"image/png","name":"a.png"}}`, ""},
		{"ok metadata", `{"roomId":"r","content":"hi","metadata":{"k":[1,2]}}`, ""},
		{"ok reply", `{"roomId":"r","content":"hi","replyToId":"` + firstID + `"}`, ""},
		{"ok client id", `{"roomId":"r","content":"hi","clientMessageId":"` + strings.Repeat("é", 64) + `"}`, ""},
		{"ok null optionals", `{"roomId":"r","content":"hi","replyToId":null,"clientMessageId":null}`, ""},
		{"array", `["r","hi"]`, CodeInvalidPayload},
		{"string", `"hi"`, CodeInvalidPayload},
		{"null", `null`, CodeInvalidPayload},
		{"missing", ``, CodeInvalidPayload},
		{"too large", big, CodeContentTooLarge},
		{"no room", `{"content":"hi"}`, CodeInvalidRoom},
		{"room number", `{"roomId":5,"content":"hi"}`, CodeInvalidRoom},
		{"room malformed", `{"roomId":"a b","content":"hi"}`, CodeInvalidRoom},
		{"not in room", `{"roomId":"other","content":"hi"}`, CodeNotInRoom},
		{"no content", `{"roomId":"r"}`, CodeInvalidContent},
		{"content number", `{"roomId":"r","content":5}`, CodeInvalidContent},
		{"content blank", `{"roomId":"r","content":" \n\t "}`, CodeInvalidContent},
		{"content null", `{"roomId":"r","content":null}`, CodeInvalidContent},
		{"content with NUL", `{"roomId":"r","content":"a\u0000b"}`, CodeInvalidContent},
		{"clientMessageId with NUL", `{"roomId":"r","content":"x","clientMessageId":"\u0000"}`, CodeInvalidClientMessageID},
		{"attachment string", `{"roomId":"r","content":"hi","attachment":"https://x.example"}`, CodeInvalidAttachment},
		{"attachment null", `{"roomId":"r","content":"hi","attachment":null}`, CodeInvalidAttachment},
		{"attachment ftp", `{"roomId":"r","content":"hi","attachment":{"url":"ftp://x.example/f"}}`, CodeInvalidAttachment},
		{"attachment javascript", `{"roomId":"r","content":"hi","attachment":{"url":"javascript:alert(1)"}}`, CodeInvalidAttachment},
		{"attachment no host", `{"roomId":"r","content":"hi","attachment":{"url":"https:///path"}}`, CodeInvalidAttachment},
		{"attachment no url", `{"roomId":"r","content":"hi","attachment":{"type":"image/png"}}`, CodeInvalidAttachment},
		{"attachment type number", `{"roomId":"r","content":"hi","attachment":{"url":"http://x.example","type":1}}`, CodeInvalidAttachment},
		{"metadata array", `{"roomId":"r","content":"hi","metadata":[1]}`, CodeInvalidMetadata},
		{"metadata string", `{"roomId":"r","content":"hi","metadata":"x"}`, CodeInvalidMetadata},
		{"metadata null", `{"roomId":"r","content":"hi","metadata":null}`, CodeInvalidMetadata},
		{"reply number", `{"roomId":"r","content":"hi","replyToId":7}`, CodeInvalidReply},
		{"reply empty", `{"roomId":"r","content":"hi","replyToId":""}`, CodeInvalidReply},
		{"reply unknown", `{"roomId":"r","content":"hi","replyToId":"nope"}`, CodeReplyNotFound},
		{"client id empty", `{"roomId":"r","content":"hi","clientMessageId":""}`, CodeInvalidClientMessageID},
		{"client id long", `{"roomId":"r","content":"hi","clientMessageId":"` + strings.Repeat("x", 65) + `"}`, CodeInvalidClientMessageID},
		{"client id number", `{"roomId":"r","content":"hi","clientMessageId":1}`, CodeInvalidClientMessageID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var payload []byte
			if tt.payload != "" {
				payload = rawJSON(tt.payload)
			}
			res, err := env.svc.send(c, payload)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if res.receipt == nil || res.message == nil {
					t.Fatalf("accepted without receipt or message: %+v", res)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %s", tt.code)
			}
			if err.Code != tt.code || err.Type != TypeValidation {
				t.Fatalf("got %s/%s, want validation/%s", err.Type, err.Code, tt.code)
			}
		})
	}
}

func TestSendReplyMustBeSameRoom(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.connect("alice")
	env.join(c, "a")
	env.join(c, "b")
	id := receiptID(t, env.send(c, `{"roomId":"a","content":"in a"}`).receipt)
	_, err := env.svc.send(c, rawJSON(`{"roomId":"b","content":"re","replyToId":"`+id+`"}`))
	if err == nil || err.Code != CodeReplyNotFound {
		t.Fatalf("reply across rooms: got %v, want reply_not_found", err)
	}
}

func TestContentTooLargeMessage(t *testing.T) {
	env := newTestEnv(t, Config{})
	c := env.connect("alice")
	env.join(c, "r")
	_, err := env.svc.send(c, rawJSON(`{"roomId":"r","content":"`+strings.Repeat("x", 16384)+`"}`))
	if err == nil || err.Code != CodeContentTooLarge || err.Message != "content exceeds 16384 bytes" {
		t.Fatalf("got %v", err)
	}
}

func TestErrorCodesListsEveryCode(t *testing.T) {
	codes := []string{
		CodeInvalidPayload, CodeInvalidRoom, CodeNotInRoom, CodeInvalidContent, CodeContentTooLarge,
		CodeInvalidAttachment, CodeInvalidMetadata, CodeInvalidReply, CodeReplyNotFound,
		CodeMessageNotFound, CodeInvalidStatus, CodeInvalidClientMessageID, CodeTooManyRooms,
		CodeUnknownEvent, CodeInvalidLimit, CodeForbidden, CodeTokenInvalid, CodeTokenExpired,
		CodeTokenMissing, CodeRateLimited, CodeInternal,
	}
	listed := make(map[string]bool)
	for _, ec := range ErrorCodes() {
		if listed[ec.Code] {
			t.Errorf("code %s listed twice", ec.Code)
		}
		listed[ec.Code] = true
	}
	for _, code := range codes {
		if !listed[code] {
			t.Errorf("code %s missing from ErrorCodes", code)
		}
	}
	if len(listed) != len(codes) {
		t.Errorf("ErrorCodes lists %d codes, want %d", len(listed), len(codes))
	}
}

func TestDecodeString(t *testing.T) {
	tests := []struct {
		raw  string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{` "padded" `, "padded", true},
		{`"esc\"aped\n\u00e9"`, "esc\"aped\né", true},
		{`""`, "", true},
		{`"`, "", false},
		{`"open`, "", false},
		{`5`, "", false},
		{`null`, "", false},
		{"\"bad\xffutf8\"", "bad\uFFFDutf8", true},
		{``, "", false},
	}
	for _, tt := range tests {
		got, ok := decodeString([]byte(tt.raw))
		if got != tt.want || ok != tt.ok {
			t.Errorf("decodeString(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}
