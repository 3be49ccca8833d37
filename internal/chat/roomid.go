package chat

// maxRoomIDLen is the longest room id the contract allows.
const maxRoomIDLen = 128

// validRoomID reports whether id is 1–128 characters of A–Z a–z 0–9 _ - . : @.
// It is a byte loop rather than a regexp because it runs on every event.
func validRoomID(id string) bool {
	if len(id) == 0 || len(id) > maxRoomIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !roomIDByte(id[i]) {
			return false
		}
	}
	return true
}

func roomIDByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '_', '-', '.', ':', '@':
		return true
	}
	return false
}
