package socketio

// Minimal scanning of JSON that json.Valid has already accepted: enough to split an
// array into its raw elements without decoding them, so that arguments travel verbatim
// (byte for byte) from a client to the handlers and back out.

import "encoding/json"

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// skipValue returns the index just past the JSON value starting at b[i]. b must be
// valid JSON (json.Valid) and b[i] the first byte of a value.
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipComposite(b, i)
	}
	for i < len(b) {
		switch b[i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// skipComposite returns the index just past the object or array starting at b[i].
func skipComposite(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			i = skipString(b, i)
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return i
}

// splitArray appends the raw elements of the valid JSON array arr to dst.
func splitArray(dst []json.RawMessage, arr []byte) []json.RawMessage {
	arr = trimSpace(arr)
	i := 1 // past '['
	for {
		for i < len(arr) && (isSpace(arr[i]) || arr[i] == ',') {
			i++
		}
		if i >= len(arr) || arr[i] == ']' {
			return dst
		}
		end := skipValue(arr, i)
		dst = append(dst, json.RawMessage(arr[i:end:end]))
		i = end
	}
}

// countArray returns the number of elements of the valid JSON array arr.
func countArray(arr []byte) int {
	arr = trimSpace(arr)
	n := 0
	i := 1
	for {
		for i < len(arr) && (isSpace(arr[i]) || arr[i] == ',') {
			i++
		}
		if i >= len(arr) || arr[i] == ']' {
			return n
		}
		i = skipValue(arr, i)
		n++
	}
}
