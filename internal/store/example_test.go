package store_test

import (
	"context"
	"fmt"

	"github.com/chatd/chatd/internal/store"
)

func ExampleOpen() {
	ctx := context.Background()
	s, err := store.Open(ctx, ":memory:") // or a file path for SQLite
	if err != nil {
		panic(err)
	}
	defer s.Close()

	first, _, _ := s.Append(ctx, store.Message{Room: "lobby", Sender: "alice", Content: "hi", ClientMessageID: "c1"})
	_, _, _ = s.Append(ctx, store.Message{Room: "lobby", Sender: "bob", Content: "hello"})
	// A resend with the same client message id stores nothing new.
	again, dup, _ := s.Append(ctx, store.Message{Room: "lobby", Sender: "alice", Content: "hi", ClientMessageID: "c1"})
	fmt.Println(dup, again.ID == first.ID)

	msgs, hasMore, _ := s.After(ctx, "lobby", 0, 50)
	for _, m := range msgs {
		fmt.Println(m.Seq, m.Sender, m.Content)
	}
	fmt.Println(hasMore)
	// Output:
	// true true
	// 1 alice hi
	// 2 bob hello
	// false
}
