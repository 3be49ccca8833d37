package engineio

// accept hands a registered session to the Handler. Accept runs as a dispatch, so a
// Close from inside it is delivered to the returned Receiver once Accept returns.
func (s *Session) accept() {
	s.mu.Lock()
	s.dispatching = true
	s.mu.Unlock()
	recv := s.srv.handler.Accept(s)
	if recv == nil {
		recv = discard{}
	}
	s.mu.Lock()
	s.recv = recv
	s.mu.Unlock()
	s.endDispatch()
}

// discard is the Receiver of a session whose Handler returned none.
type discard struct{}

func (discard) OnMessage([]byte, bool) {}
func (discard) OnClose(CloseReason)    {}

// handlePacket acts on one packet from the client, with s.rmu held. It reports
// whether the session is still open.
func (s *Session) handlePacket(p packet) bool {
	switch p.typ {
	case packetMessage:
		return s.deliver(p.data, p.binary)
	case packetPong:
		s.onPong()
	case packetClose:
		s.closeWith(CloseReasonTransportClose)
		return false
	case packetPing:
		// In Engine.IO v4 only the server pings; engine.io closes on a client PING.
		s.closeWith(CloseReasonParseError)
		return false
	}
	// OPEN, UPGRADE outside an upgrade, and NOOP are ignored, as engine.io does.
	return true
}

// deliver passes one MESSAGE to the Receiver, with s.rmu held. It reports whether
// the session is still open.
func (s *Session) deliver(data []byte, binary bool) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.dispatching = true
	recv := s.recv
	s.mu.Unlock()
	s.srv.stats.in.Add(1)
	recv.OnMessage(data, binary)
	return s.endDispatch()
}

// endDispatch ends a Receiver call and delivers OnClose if the session closed during
// it. It reports whether the session is still open.
func (s *Session) endDispatch() bool {
	s.mu.Lock()
	s.dispatching = false
	if s.corks == 0 {
		s.payOwedWakeLocked()
	}
	owed := s.owedClose
	s.owedClose = false
	closed, reason, recv := s.closed, s.reason, s.recv
	s.mu.Unlock()
	if owed {
		recv.OnClose(reason)
	}
	return !closed
}
