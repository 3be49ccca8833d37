package socketio

// corker is what an Engine.IO session offers to hold writes back (*engineio.Session
// has it); test fakes may not.
type corker interface {
	Cork()
	Uncork()
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
