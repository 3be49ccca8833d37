package loadgen

import (
	"bytes"
	"strings"
	"testing"
)

func TestProbeRoundTrip(t *testing.T) {
	for _, p := range []probe{
		{room: 0, pub: 0, seq: 1, sent: 0},
		{room: 9, pub: 3, seq: 123456, sent: 987654321012},
		{room: 1<<31 - 1, pub: 7, seq: 1<<63 + 5, sent: 1<<63 - 1},
	} {
		for _, size := range []int{0, 10, 100, 1000} {
			b := appendProbe([]byte("prefix"), p, size)
			content := b[len("prefix"):]
			if len(content) < size {
				t.Errorf("content %d bytes, want at least %d", len(content), size)
			}
			if len(content) > size && strings.Contains(string(content), "x") {
				t.Errorf("padded beyond %d bytes: %q", size, content)
			}
			got, ok := parseProbe(content)
			if !ok || got != p {
				t.Errorf("parseProbe(%q) = %+v %v, want %+v", content, got, ok, p)
			}
		}
	}
}

func TestParseProbeRejects(t *testing.T) {
	for _, s := range []string{"", "1.2.3", "1.2.3.4", "a.2.3.4.", "1..3.4.", "99999999999999999999.1.1.1.", "2147483648.0.1.1.", "hello world"} {
		if p, ok := parseProbe([]byte(s)); ok {
			t.Errorf("parseProbe(%q) = %+v, want a refusal", s, p)
		}
	}
}

func FuzzParseProbe(f *testing.F) {
	f.Add([]byte("1.2.3.4.xxxx"))
	f.Add([]byte("0.0.0.0."))
	f.Add([]byte("18446744073709551615.1.1.1."))
	f.Fuzz(func(t *testing.T, content []byte) {
		p, ok := parseProbe(content)
		if !ok {
			return
		}
		// Whatever parses must be what appendProbe writes for it, up to leading zeros
		// and the padding.
		again, ok := parseProbe(appendProbe(nil, p, 0))
		if !ok || again != p {
			t.Fatalf("%q parsed as %+v, which does not round-trip (%+v)", content, p, again)
		}
		if bytes.Count(content, []byte(".")) < 4 {
			t.Fatalf("%q parsed with fewer than four dots", content)
		}
	})
}
