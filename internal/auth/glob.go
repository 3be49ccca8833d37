package auth

import "strings"

// matchGlob reports whether s matches pattern in full, where each * in pattern
// stands for any run of bytes (including none) and every other byte is literal.
// It runs in O(len(pattern)·len(s)) at worst without allocating, which is why it
// is used instead of compiling a regexp per check. Byte-wise matching is exact for
// UTF-8 too: a literal never begins with a continuation byte, so it can only match
// at a rune boundary.
func matchGlob(pattern, s string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == s
	}
	// The parts before the first and after the last star are anchored.
	prefix := pattern[:star]
	last := strings.LastIndexByte(pattern, '*')
	suffix := pattern[last+1:]
	if len(s) < len(prefix)+len(suffix) ||
		!strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		return false
	}
	if star == last {
		return true
	}
	return matchMiddle(pattern[star+1:last], s[len(prefix):len(s)-len(suffix)])
}

// matchMiddle matches the star-separated literals of middle, in order, anywhere in
// s. Taking the leftmost occurrence of each literal is always safe: it leaves the
// most room for the ones after it, so no backtracking is needed.
func matchMiddle(middle, s string) bool {
	for middle != "" {
		lit, rest, _ := strings.Cut(middle, "*")
		middle = rest
		if lit == "" {
			continue
		}
		i := strings.Index(s, lit)
		if i < 0 {
			return false
		}
		s = s[i+len(lit):]
	}
	return true
}
