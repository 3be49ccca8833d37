package socketio

// corker is what an Engine.IO session offers to hold writes back (*engineio.Session
// has it); test fakes may not.
type corker interface {
	Cork()
	Uncork()
}

// flusher is what an Engine.IO session offers to write what is queued at once, even
// while a Receiver method runs (*engineio.Session has it); test fakes may not.
type flusher interface{ Flush() }

// flush writes what was sent to the client's connection so far, ahead of what its
// handlers send next.
func (c *client) flush() {
	if f, ok := c.conn.(flusher); ok {
		f.Flush()
	}
}

// Cork holds back the packets sent to the socket's connection, by this socket or
// any other of its client, until the matching Uncork, so that several packets sent
// in a row leave in one write. Corks nest; every Cork must be matched by an Uncork.
func (s *Socket) Cork() {
	if c, ok := s.client.conn.(corker); ok {
		c.Cork()
	}
}

// Uncork ends a Cork; the last one lets what was held back be written.
func (s *Socket) Uncork() {
	if c, ok := s.client.conn.(corker); ok {
		c.Uncork()
	}
}
