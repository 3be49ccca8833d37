package chat

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/auth"
)

// TestClientLogCarriesSocketAndUser checks that the client's records look as those of
// log.With("socket", id, "user", sub) did: the attributes first, then the call's, and
// the caller's source line; and that disabled levels write nothing.
func TestClientLogCarriesSocketAndUser(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{AddSource: true, Level: slog.LevelInfo}))
	c := newClient("sock1", &auth.Claims{Subject: "alice"}, nil, base.WithGroup("chat"))
	c.log().Debug("hidden")
	c.log().Warn("careful", "event", "joinRoom")
	var got struct {
		Level  string
		Msg    string
		Source struct{ File string }
		Chat   map[string]string
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	want := map[string]string{"socket": "sock1", "user": "alice", "event": "joinRoom"}
	if got.Level != "WARN" || got.Msg != "careful" || len(got.Chat) != 3 {
		t.Fatalf("record %s", buf.Bytes())
	}
	for k, v := range want {
		if got.Chat[k] != v {
			t.Fatalf("%s = %q, want %q in %s", k, got.Chat[k], v, buf.Bytes())
		}
	}
	if !strings.HasSuffix(got.Source.File, "clientlog_test.go") {
		t.Fatalf("source %q, want the caller", got.Source.File)
	}
	if i, j := strings.Index(buf.String(), `"socket"`), strings.Index(buf.String(), `"event"`); i > j {
		t.Fatalf("the socket attribute comes after the call's: %s", buf.Bytes())
	}
}
