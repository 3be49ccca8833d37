package engineio_test

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/chatd/chatd/internal/engineio"
)

// echoHandler sends every message back to the client that sent it.
type echoHandler struct{}

type echoReceiver struct{ s *engineio.Session }

func (echoHandler) Accept(s *engineio.Session) engineio.Receiver { return echoReceiver{s} }

func (r echoReceiver) OnMessage(data []byte, binary bool) {
	// data is only valid during the call: copy what is kept or queued.
	_ = r.s.Send(engineio.Message{Data: bytes.Clone(data), Binary: binary})
}

func (r echoReceiver) OnClose(engineio.CloseReason) {}

func ExampleNewServer() {
	srv := engineio.NewServer(engineio.Config{PingInterval: 10 * time.Second}, echoHandler{})
	mux := http.NewServeMux()
	mux.Handle("/engine.io/", srv)
	httpSrv := &http.Server{Addr: "localhost:3000", Handler: mux}
	go func() { _ = httpSrv.ListenAndServe() }()

	// On exit: close the sessions, then the listener.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	_ = httpSrv.Shutdown(ctx)
}
