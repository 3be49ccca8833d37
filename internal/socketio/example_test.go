package socketio_test

import (
	"errors"
	"log"
	"net/http"
	"time"

	"github.com/chatd/chatd/internal/socketio"
)

func Example() {
	srv := socketio.NewServer(socketio.Config{
		Recovery: &socketio.Recovery{MaxDisconnection: 2 * time.Minute},
	})
	chat := srv.Of("/chat")
	chat.Use(func(s *socketio.Socket) error {
		if s.Handshake().Query.Get("token") == "" {
			return &socketio.ConnectError{Message: "unauthorized", Data: map[string]string{"code": "no_token"}}
		}
		return nil
	})
	chat.OnConnect(func(s *socketio.Socket) { s.Join("lobby") })
	chat.On("say", func(s *socketio.Socket, e *socketio.Event) {
		var text string
		if err := e.Bind(&text); err != nil {
			_ = e.Ack(map[string]string{"error": "bad payload"})
			return
		}
		_ = s.To("lobby").Emit("said", s.ID(), text)
		_ = e.Ack(map[string]bool{"ok": true})
	})

	http.Handle("/socket.io/", srv)
	if err := http.ListenAndServe(":8080", nil); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
