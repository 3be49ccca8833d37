package chat_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/chatd/chatd/internal/auth"
	"github.com/chatd/chatd/internal/chat"
	"github.com/chatd/chatd/internal/socketio"
	"github.com/chatd/chatd/internal/store"
)

// The service is registered on the /chat namespace of a Socket.IO server.
func ExampleNew() {
	st, err := store.Open(context.Background(), ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	verifier, err := auth.NewVerifier(auth.Config{Secret: []byte("a secret of at least 32 bytes...")})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := chat.New(chat.Config{}, chat.Deps{Store: st, Verifier: verifier})
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()

	srv := socketio.NewServer(socketio.Config{})
	svc.Register(srv.Of("/chat"))
	http.Handle("/socket.io/", srv)
}

func ExampleErrorCodes() {
	for _, ec := range chat.ErrorCodes()[:3] {
		fmt.Println(ec.Type, ec.Code)
	}
	// Output:
	// validation invalid_payload
	// validation invalid_room
	// validation not_in_room
}
