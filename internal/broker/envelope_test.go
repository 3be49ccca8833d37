package broker

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/chatd/chatd/internal/engineio"
	"github.com/chatd/chatd/internal/socketio"
)

func TestEnvelopeRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		e    envelope
	}{
		{"namespace broadcast", envelope{origin: "n1", nsp: "/", msgs: []engineio.Message{{Data: []byte(`42["m",1]`)}}}},
		{"full", envelope{
			origin: "node-a", nsp: "/chat",
			opts: socketio.BroadcastOptions{
				Rooms:         []socketio.Room{"r1", "r2", ""},
				Except:        []socketio.Room{"x"},
				ExceptSockets: []string{"sid1", "sid2"},
			},
			msgs: []engineio.Message{
				{Data: []byte(`451-/chat,["b",{"_placeholder":true,"num":0}]`)},
				{Data: []byte{0, 1, 2, 255}, Binary: true},
				{Data: []byte{}, Binary: true},
			},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := appendEnvelope(nil, &tc.e)
			if len(b) > envelopeSize(&tc.e) {
				t.Errorf("encoded %d bytes, size bound %d", len(b), envelopeSize(&tc.e))
			}
			got, err := decodeEnvelope(b)
			if err != nil {
				t.Fatal(err)
			}
			if got.origin != tc.e.origin || got.nsp != tc.e.nsp || !reflect.DeepEqual(got.opts, tc.e.opts) {
				t.Errorf("decoded %+v, want %+v", got, tc.e)
			}
			if len(got.msgs) != len(tc.e.msgs) {
				t.Fatalf("decoded %d messages, want %d", len(got.msgs), len(tc.e.msgs))
			}
			for i, m := range got.msgs {
				if m.Binary != tc.e.msgs[i].Binary || !bytes.Equal(m.Data, tc.e.msgs[i].Data) {
					t.Errorf("message %d = %+v, want %+v", i, m, tc.e.msgs[i])
				}
			}
		})
	}
}

func TestDecodeEnvelopeRejects(t *testing.T) {
	valid := appendEnvelope(nil, &envelope{origin: "n", nsp: "/", opts: socketio.BroadcastOptions{Rooms: []socketio.Room{"r"}},
		msgs: []engineio.Message{{Data: []byte("42[]")}}})
	cases := map[string][]byte{
		"empty":         nil,
		"version":       append([]byte{9}, valid[1:]...),
		"truncated":     valid[:len(valid)-1],
		"trailing":      append(append([]byte{}, valid...), 0),
		"huge count":    {envelopeVersion, 1, 'n', 1, '/', 0xff, 0xff, 0xff, 0xff, 0x0f},
		"bad flag":      {envelopeVersion, 0, 0, 0, 0, 0, 1, 7, 0},
		"long string":   {envelopeVersion, 50, 'n'},
		"bad uvarint":   {envelopeVersion, 0x80},
		"missing flags": {envelopeVersion, 0, 0, 0, 0, 0, 2, 0, 0},
	}
	for name, b := range cases {
		if _, err := decodeEnvelope(b); err == nil {
			t.Errorf("%s: decoded %q without error", name, b)
		}
	}
	if _, err := decodeEnvelope(valid); err != nil {
		t.Errorf("valid: %v", err)
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, &envelope{origin: "n1", nsp: "/", msgs: []engineio.Message{{Data: []byte(`42["m"]`)}}}))
	f.Add(appendEnvelope(nil, &envelope{origin: "n2", nsp: "/chat",
		opts: socketio.BroadcastOptions{Rooms: []socketio.Room{"a", "b"}, Except: []socketio.Room{"c"}, ExceptSockets: []string{"s"}},
		msgs: []engineio.Message{{Data: []byte("451-"), Binary: false}, {Data: []byte{1, 2}, Binary: true}}}))
	f.Add([]byte{envelopeVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnvelope(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to an envelope that decodes the same.
		again, err := decodeEnvelope(appendEnvelope(nil, e))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("re-decoded %+v, want %+v", again, e)
		}
	})
}
