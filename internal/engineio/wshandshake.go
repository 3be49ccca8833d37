package engineio

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
)

// The server's side of the WebSocket opening handshake (RFC 6455 §4.2).
//
// It is chatd's own rather than gws's Upgrader for two measured reasons: the 101
// response can then leave in the same write as the Engine.IO OPEN packet (one
// syscall fewer per client), and no gws.Conn (with its queues and channel) is built
// only to be dropped. It needs no more than the RFC asks: chatd negotiates no
// extension (frames are never compressed) and no subprotocol.

// wsAcceptGUID is the RFC's fixed suffix of the accept key.
const wsAcceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

var (
	errWSMethod  = errors.New("websocket handshake: method is not GET")
	errWSVersion = errors.New("websocket handshake: Sec-WebSocket-Version is not 13")
	errWSUpgrade = errors.New("websocket handshake: missing Upgrade: websocket or Connection: Upgrade")
	errWSKey     = errors.New("websocket handshake: Sec-WebSocket-Key is not 16 bytes in base64")
)

// checkWebSocketHandshake checks r as an opening handshake and returns the
// Sec-WebSocket-Accept value that answers it.
func checkWebSocketHandshake(r *http.Request) (string, error) {
	switch {
	case r.Method != http.MethodGet:
		return "", errWSMethod
	case !isWebSocketRequest(r):
		return "", errWSUpgrade
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return "", errWSVersion
	}
	key := strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))
	if len(key) != 24 { // base64 of 16 bytes
		return "", errWSKey
	}
	var nonce [18]byte
	if n, err := base64.StdEncoding.Decode(nonce[:], []byte(key)); err != nil || n != 16 {
		return "", errWSKey
	}
	return wsAcceptKey(key), nil
}

// wsAcceptKey is base64(SHA-1(key + GUID)).
func wsAcceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(wsAcceptGUID))
	var sum [sha1.Size]byte
	return base64.StdEncoding.EncodeToString(h.Sum(sum[:0]))
}

// appendSwitchingProtocols appends the 101 response that completes the handshake.
func appendSwitchingProtocols(dst []byte, accept string) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	dst = append(dst, accept...)
	return append(dst, "\r\n\r\n"...)
}
