package socketio

// The Socket.IO v5 packet codec, encoding half (see codec.go for the wire layout).
// Every packet is encoded into engineio.Messages exactly once: a text message with the
// header and JSON data, followed by one binary message per attachment. The returned
// slices are never written again, so the same messages may be queued on any number of
// sessions.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/chatd/chatd/internal/engineio"
)

// encodeState is the scratch space of one encoding; Server pools them.
type encodeState struct {
	data []byte        // JSON data being built
	tmp  bytes.Buffer  // output of enc
	enc  *json.Encoder // writes to tmp, HTML escaping off
	atts [][]byte      // attachments referred to by placeholders in data
}

func newEncodeState() *encodeState {
	e := &encodeState{}
	e.enc = json.NewEncoder(&e.tmp)
	e.enc.SetEscapeHTML(false)
	return e
}

func (e *encodeState) reset() {
	e.data = e.data[:0]
	e.tmp.Reset()
	clear(e.atts)
	e.atts = e.atts[:0]
}

// placeholder is what a binary attachment looks like inside the JSON data.
type placeholder struct {
	Placeholder bool `json:"_placeholder"`
	Num         int  `json:"num"`
}

// appendPlaceholder appends the placeholder of a new attachment.
func (e *encodeState) appendPlaceholder(att []byte) {
	e.data = append(e.data, `{"_placeholder":true,"num":`...)
	e.data = strconv.AppendInt(e.data, int64(len(e.atts)), 10)
	e.data = append(e.data, '}')
	e.atts = append(e.atts, att)
}

// appendArg appends one emit argument: json.RawMessage verbatim, []byte as an
// attachment (copied, the caller may reuse it), maps and slices of any with []byte
// inside with those turned into attachments, anything else through encoding/json.
func (e *encodeState) appendArg(v any) error {
	switch v := v.(type) {
	case nil:
		e.data = append(e.data, "null"...)
	case json.RawMessage:
		e.appendRaw(v)
	case []byte:
		e.appendPlaceholder(bytes.Clone(v))
	case string:
		e.data = appendQuoted(e.data, v)
	case bool:
		e.data = strconv.AppendBool(e.data, v)
	case int:
		e.data = strconv.AppendInt(e.data, int64(v), 10)
	case int64:
		e.data = strconv.AppendInt(e.data, v, 10)
	case map[string]any:
		return e.appendJSON(e.withoutBinary(v))
	case []any:
		return e.appendJSON(e.withoutBinary(v))
	default:
		return e.appendJSON(v)
	}
	return nil
}

func (e *encodeState) appendRaw(v json.RawMessage) {
	if len(v) == 0 {
		e.data = append(e.data, "null"...)
		return
	}
	e.data = append(e.data, v...)
}

// appendJSON appends v encoded by encoding/json without HTML escaping.
func (e *encodeState) appendJSON(v any) error {
	e.tmp.Reset()
	if err := e.enc.Encode(v); err != nil {
		return fmt.Errorf("encode argument: %w", err)
	}
	e.data = append(e.data, bytes.TrimSuffix(e.tmp.Bytes(), []byte{'\n'})...)
	return nil
}

// withoutBinary returns v with every []byte inside maps and slices of any replaced by
// a placeholder of a new attachment; v itself is returned when it holds no []byte.
func (e *encodeState) withoutBinary(v any) any {
	switch v := v.(type) {
	case []byte:
		e.atts = append(e.atts, bytes.Clone(v))
		return placeholder{Placeholder: true, Num: len(e.atts) - 1}
	case map[string]any:
		if !hasBinary(v) {
			return v
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = e.withoutBinary(x)
		}
		return out
	case []any:
		if !hasBinary(v) {
			return v
		}
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = e.withoutBinary(x)
		}
		return out
	}
	return v
}

// hasBinary reports whether v is or holds (through maps and slices of any) a []byte.
func hasBinary(v any) bool {
	switch v := v.(type) {
	case []byte:
		return true
	case map[string]any:
		for _, x := range v {
			if hasBinary(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasBinary(x) {
				return true
			}
		}
	}
	return false
}

// eventData builds ["name",args...(,offset)] in e.data.
func (e *encodeState) eventData(name string, args []any, offset string) error {
	e.data = appendQuoted(append(e.data, '['), name)
	for _, a := range args {
		e.data = append(e.data, ',')
		if err := e.appendArg(a); err != nil {
			return err
		}
	}
	e.closeArray(offset, true)
	return nil
}

// eventPayloadData is eventData with pre-encoded arguments.
func (e *encodeState) eventPayloadData(name string, p Payload, offset string) {
	e.data = appendQuoted(append(e.data, '['), name)
	for _, a := range p.Args {
		e.data = append(e.data, ',')
		e.appendRaw(a)
	}
	e.atts = append(e.atts, p.Attachments...)
	e.closeArray(offset, true)
}

// ackData builds [args...] in e.data.
func (e *encodeState) ackData(args []any) error {
	e.data = append(e.data, '[')
	for i, a := range args {
		if i > 0 {
			e.data = append(e.data, ',')
		}
		if err := e.appendArg(a); err != nil {
			return err
		}
	}
	e.closeArray("", false)
	return nil
}

// ackPayloadData is ackData with pre-encoded arguments.
func (e *encodeState) ackPayloadData(p Payload) {
	e.data = append(e.data, '[')
	for i, a := range p.Args {
		if i > 0 {
			e.data = append(e.data, ',')
		}
		e.appendRaw(a)
	}
	e.atts = append(e.atts, p.Attachments...)
	e.closeArray("", false)
}

func (e *encodeState) closeArray(offset string, comma bool) {
	if offset != "" {
		if comma {
			e.data = append(e.data, ',')
		}
		e.data = appendQuoted(e.data, offset)
	}
	e.data = append(e.data, ']')
}

// messages returns the packet of type t (EVENT or ACK, made binary when there are
// attachments; any other type as is) carrying e.data. It allocates the text message
// once, sized exactly.
func (e *encodeState) messages(t packetType, nsp string, id int64) []engineio.Message {
	binary := len(e.atts) > 0
	if binary {
		switch t {
		case packetEvent:
			t = packetBinaryEvent
		case packetAck:
			t = packetBinaryAck
		}
	}
	out := make([]byte, 0, headerLen(t, len(e.atts), nsp, id)+len(e.data))
	out = appendHeader(out, t, len(e.atts), nsp, id)
	out = append(out, e.data...)
	msgs := make([]engineio.Message, 1+len(e.atts))
	msgs[0] = engineio.Message{Data: out}
	for i, a := range e.atts {
		msgs[1+i] = engineio.Message{Data: a, Binary: true}
	}
	return msgs
}

// appendHeader appends <type>[<attachments>-][<nsp>,][<ack id>].
func appendHeader(b []byte, t packetType, attachments int, nsp string, id int64) []byte {
	b = append(b, '0'+byte(t))
	if t == packetBinaryEvent || t == packetBinaryAck {
		b = strconv.AppendInt(b, int64(attachments), 10)
		b = append(b, '-')
	}
	if nsp != "/" && nsp != "" {
		b = append(append(b, nsp...), ',')
	}
	if id != noAck {
		b = strconv.AppendInt(b, id, 10)
	}
	return b
}

// headerLen returns how many bytes appendHeader appends.
func headerLen(t packetType, attachments int, nsp string, id int64) int {
	n := 1
	if t == packetBinaryEvent || t == packetBinaryAck {
		n += decimalLen(int64(attachments)) + 1
	}
	if nsp != "/" && nsp != "" {
		n += len(nsp) + 1
	}
	if id != noAck {
		n += decimalLen(id)
	}
	return n
}

func decimalLen(v int64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// connectData builds {"sid":…} or {"sid":…,"pid":…} in e.data.
func (e *encodeState) connectData(sid, pid string) {
	e.data = appendQuoted(append(e.data, `{"sid":`...), sid)
	if pid != "" {
		e.data = appendQuoted(append(e.data, `,"pid":`...), pid)
	}
	e.data = append(e.data, '}')
}

// connectErrorData builds {"message":…} or {"message":…,"data":…} in e.data; data
// that cannot be encoded is left out.
func (e *encodeState) connectErrorData(message string, data any) error {
	e.data = appendQuoted(append(e.data, `{"message":`...), message)
	var err error
	if data != nil {
		mark := len(e.data)
		e.data = append(e.data, `,"data":`...)
		if err = e.appendJSON(data); err != nil {
			e.data = e.data[:mark]
		}
	}
	e.data = append(e.data, '}')
	return err
}
