package broker

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

// envelopeVersion is the first byte of every envelope; a node drops envelopes of a
// version it does not know (a rolling upgrade would bump it).
const envelopeVersion byte = 1

// Message flags of the envelope.
const (
	flagText   byte = 0
	flagBinary byte = 1
)

// maxEnvelopeItems bounds each list of a decoded envelope so a corrupt count cannot
// make the decoder allocate much.
const maxEnvelopeItems = 1 << 16

var errTruncated = errors.New("truncated envelope")

// envelope is one broadcast relayed between nodes. Its wire layout, every string and
// byte field prefixed by its length as a uvarint, every list by its count:
//
//	version  byte (1)
//	origin   string        node id of the publisher
//	nsp      string        namespace
//	rooms    count string* target rooms, in the broadcaster's order
//	except   count string* excluded rooms
//	sockets  count string* excluded socket ids
//	msgs     count (flag byte, bytes)*  engine.io messages; flag 0 text, 1 binary
//
// The broadcast is encoded once and the same bytes go to every channel.
type envelope struct {
	origin string
	nsp    string
	opts   socketio.BroadcastOptions
	msgs   []engineio.Message
}

// appendEnvelope appends the encoding of e to dst.
func appendEnvelope(dst []byte, e *envelope) []byte {
	dst = append(dst, envelopeVersion)
	dst = appendString(dst, e.origin)
	dst = appendString(dst, e.nsp)
	dst = appendRooms(dst, e.opts.Rooms)
	dst = appendRooms(dst, e.opts.Except)
	dst = binary.AppendUvarint(dst, uint64(len(e.opts.ExceptSockets)))
	for _, id := range e.opts.ExceptSockets {
		dst = appendString(dst, id)
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.msgs)))
	for _, m := range e.msgs {
		flag := flagText
		if m.Binary {
			flag = flagBinary
		}
		dst = append(dst, flag)
		dst = binary.AppendUvarint(dst, uint64(len(m.Data)))
		dst = append(dst, m.Data...)
	}
	return dst
}

// envelopeSize returns an upper bound of the encoded size of e, to size the buffer.
func envelopeSize(e *envelope) int {
	n := 1 + 3*binary.MaxVarintLen64 + len(e.origin) + len(e.nsp)
	for _, list := range [][]socketio.Room{e.opts.Rooms, e.opts.Except} {
		n += binary.MaxVarintLen64
		for _, r := range list {
			n += binary.MaxVarintLen64 + len(r)
		}
	}
	for _, id := range e.opts.ExceptSockets {
		n += binary.MaxVarintLen64 + len(id)
	}
	for _, m := range e.msgs {
		n += 1 + binary.MaxVarintLen64 + len(m.Data)
	}
	return n
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendRooms(dst []byte, rooms []socketio.Room) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(rooms)))
	for _, r := range rooms {
		dst = appendString(dst, string(r))
	}
	return dst
}

// decodeEnvelope decodes b. The messages' Data alias b, which must not be modified
// afterwards.
func decodeEnvelope(b []byte) (*envelope, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("decode envelope: %w", errTruncated)
	}
	if b[0] != envelopeVersion {
		return nil, fmt.Errorf("decode envelope: unknown version %d", b[0])
	}
	d := decoder{b: b[1:]}
	e := &envelope{origin: d.string(), nsp: d.string()}
	e.opts.Rooms = d.rooms()
	e.opts.Except = d.rooms()
	if n := d.count(); n > 0 {
		e.opts.ExceptSockets = make([]string, n)
		for i := range e.opts.ExceptSockets {
			e.opts.ExceptSockets[i] = d.string()
		}
	}
	e.msgs = d.messages()
	if d.err != nil {
		return nil, fmt.Errorf("decode envelope: %w", d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("decode envelope: %d trailing bytes", len(d.b))
	}
	return e, nil
}

// decoder reads the fields of an envelope; after the first error every read returns
// a zero value and err keeps that error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errTruncated
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a list length; every item takes at least one byte, so a count beyond
// the bytes left is an error.
func (d *decoder) count() int {
	n := d.uvarint()
	if d.err == nil && (n > uint64(len(d.b)) || n > maxEnvelopeItems) {
		d.err = fmt.Errorf("list of %d items in %d bytes", n, len(d.b))
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errTruncated
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string { return string(d.bytes()) }

func (d *decoder) rooms() []socketio.Room {
	n := d.count()
	if n == 0 {
		return nil
	}
	rooms := make([]socketio.Room, n)
	for i := range rooms {
		rooms[i] = socketio.Room(d.bytes())
	}
	return rooms
}

func (d *decoder) messages() []engineio.Message {
	n := d.count()
	if n == 0 {
		return nil
	}
	msgs := make([]engineio.Message, n)
	for i := range msgs {
		if d.err != nil {
			return nil
		}
		if len(d.b) == 0 {
			d.err = errTruncated
			return nil
		}
		flag := d.b[0]
		d.b = d.b[1:]
		if flag > flagBinary {
			d.err = fmt.Errorf("unknown message flag %d", flag)
			return nil
		}
		msgs[i] = engineio.Message{Binary: flag == flagBinary, Data: d.bytes()}
	}
	return msgs
}
