package store

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Message ids have the form "<seq>-<random>": the room sequence number as 13 base-36
// digits, zero-padded (13 digits hold any int64, so the width never changes and ids of
// one room sort as strings exactly like Seq), a dash, and 16 characters of lowercase
// Crockford base32 encoding 80 random bits. The random part makes ids unique across
// rooms, which share sequence numbers: with a million rooms at the same seq the chance
// of any collision is about 1e-12.
//
// Example: "0000000000001-7q3k9m2x5c8vhn4t".
const (
	seqDigits   = 13
	randomBytes = 10 // 80 bits, 16 base32 characters
	idLen       = seqDigits + 1 + randomBytes*8/5
)

// idEncoding is Crockford's base32 alphabet in lower case, so ids are URL-safe and
// free of the easily confused letters i, l, o and u.
var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// newMessageID returns a fresh id for the message with sequence number seq (≥ 1).
func newMessageID(seq int64) string {
	var random [randomBytes]byte
	_, _ = rand.Read(random[:]) // crypto/rand.Read never fails on supported platforms

	var b strings.Builder
	b.Grow(idLen)
	digits := strconv.FormatInt(seq, 36)
	for range seqDigits - len(digits) {
		b.WriteByte('0')
	}
	b.WriteString(digits)
	b.WriteByte('-')
	b.WriteString(idEncoding.EncodeToString(random[:]))
	return b.String()
}

// now returns the current time as Append stamps it: UTC with millisecond precision,
// in the same representation as a time read back from storage, so a stored message
// compares equal to the one Append returned.
func now() time.Time {
	return fromMillis(time.Now().UnixMilli())
}

// fromMillis converts stored Unix milliseconds back to a UTC time.
func fromMillis(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}

// pageSize validates the limit of After and Latest and caps it at MaxPageSize.
func pageSize(limit int) (int, error) {
	if limit < 1 {
		return 0, fmt.Errorf("check limit %d: %w", limit, ErrInvalidLimit)
	}
	return min(limit, MaxPageSize), nil
}

// normalize makes empty JSON fields nil, the one representation of "absent" that both
// implementations store and return.
func normalize(m Message) Message {
	if len(m.Attachment) == 0 {
		m.Attachment = nil
	}
	if len(m.Metadata) == 0 {
		m.Metadata = nil
	}
	return m
}

// trimPage turns the limit+1 rows a page query fetched into the page and whether more
// follow: the extra row only says that more exist. Rows read newest first (Latest) are
// put back in room order, oldest first.
func trimPage(msgs []Message, limit int, newestFirst bool) ([]Message, bool) {
	hasMore := len(msgs) > limit
	if hasMore {
		msgs = msgs[:limit]
	}
	if newestFirst {
		slices.Reverse(msgs)
	}
	return msgs, hasMore
}
