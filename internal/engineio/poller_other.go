//go:build !linux

package engineio

// poller is Linux-only (epoll); elsewhere every WebSocket connection is read by a
// goroutine of its own (wsTransport.readLoop).
type poller struct{}

func newPoller() *poller { return nil }

func (*poller) watch(*wsTransport) error { return errNotPollable }
func (*poller) rearm(*wsTransport) error { return errNotPollable }
func (*poller) forget(*wsTransport)      {}
