package main

import (
	"encoding/json"
	"net"
	"net/url"
	"strings"

	"github.com/chatd/chatd/internal/socketio"
)

// handshakeView is socket.handshake as the Node server serializes it, which the client
// suite reads back through "getHandshake" and the "/abc" namespace.
type handshakeView struct {
	Headers map[string]string `json:"headers"`
	Time    string            `json:"time"`
	Address string            `json:"address"`
	XDomain bool              `json:"xdomain"`
	Secure  bool              `json:"secure"`
	Issued  int64             `json:"issued"`
	URL     string            `json:"url"`
	Query   map[string]string `json:"query"`
	Auth    json.RawMessage   `json:"auth"`
}

// jsDateString is the layout of JavaScript's Date.prototype.toString.
const jsDateString = "Mon Jan 02 2006 15:04:05 GMT-0700 (MST)"

func newHandshakeView(s *socketio.Socket) handshakeView {
	h := s.Handshake()
	auth := s.Auth()
	if auth == nil {
		auth = emptyAuth
	}
	return handshakeView{
		Headers: flattenHeaders(h.Header),
		Time:    h.Time.Format(jsDateString),
		Address: remoteHost(h.RemoteAddr),
		XDomain: h.Header.Get("Origin") != "",
		Secure:  h.Secure,
		Issued:  h.Time.UnixMilli(),
		URL:     "/socket.io/?" + h.Query.Encode(),
		Query:   firstValues(h.Query),
		Auth:    auth,
	}
}

// flattenHeaders lower-cases header names and joins repeated values, as Node does.
func flattenHeaders(hdr map[string][]string) map[string]string {
	out := make(map[string]string, len(hdr))
	for k, v := range hdr {
		out[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	return out
}

func firstValues(q url.Values) map[string]string {
	out := make(map[string]string, len(q))
	for k := range q {
		out[k] = q.Get(k)
	}
	return out
}

func remoteHost(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}
