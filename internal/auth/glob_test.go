package auth_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chatd/chatd/internal/auth"
)

func TestMatchGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"general", "general", true},
		{"general", "general2", false},
		{"general", "Xgeneral", false},
		{"", "", true},
		{"", "a", false},
		{"*", "", true},
		{"*", "anything at all", true},
		{"**", "x", true},
		{"team-*", "team-", true},
		{"team-*", "team-red", true},
		{"team-*", "team", false},
		{"team-*", "myteam-red", false},
		{"*-ops", "dev-ops", true},
		{"*-ops", "dev-ops-x", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "abcbc", true},
		{"a*b*c", "acb", false},
		{"a*b*c", "ab", false},
		{"a*b*c", "abcX", false},
		{"a*a", "a", false}, // prefix and suffix may not overlap
		{"a*a", "aa", true},
		{"ab*ba", "aba", false},
		{"*a*a*", "banana", true},
		{"*x*x*", "banana", false},
		{"room.1", "room.1", true},
		{"room.1", "roomX1", false}, // dots are literal
		{"room.*", "room.42", true},
		{"room.*", "roomX42", false},
		{"[a]", "a", false}, // no character classes
		{"a?", "ab", false}, // ? is literal
		{"a?", "a?", true},
		{"café-*", "café-☕", true},
		{"*é", "café", true},
	}
	for _, tt := range tests {
		if got := auth.MatchGlob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("MatchGlob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestAllowsRoom(t *testing.T) {
	anyRoom := &auth.Claims{Subject: "a"}
	none := &auth.Claims{Subject: "a", Rooms: []string{}}
	some := &auth.Claims{Subject: "a", Rooms: []string{"general", "team-*"}}
	tests := []struct {
		c    *auth.Claims
		room string
		want bool
	}{
		{anyRoom, "whatever", true},
		{none, "general", false},
		{some, "general", true},
		{some, "team-red", true},
		{some, "random", false},
		{some, "general-2", false},
	}
	for _, tt := range tests {
		if got := tt.c.AllowsRoom(tt.room); got != tt.want {
			t.Errorf("Rooms %#v AllowsRoom(%q) = %v, want %v", tt.c.Rooms, tt.room, got, tt.want)
		}
	}
}

// globRegexp is the reference semantics: * is .*, everything else literal, anchored.
func globRegexp(pattern string) *regexp.Regexp {
	parts := strings.Split(pattern, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`^(?s:` + strings.Join(parts, ".*") + `)$`)
}

func FuzzMatchGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"a*b*c", "aXbYc"}, {"*", ""}, {"team-*", "team-x"}, {"a*a", "a"}, {"*a*a*", "banana"},
		{"room.1", "roomX1"}, {"**x**", "yxy"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := auth.MatchGlob(pattern, s)
		// regexp works on runes and replaces invalid UTF-8, so compare only valid text.
		if !utf8Valid(pattern) || !utf8Valid(s) {
			return
		}
		if want := globRegexp(pattern).MatchString(s); got != want {
			t.Fatalf("MatchGlob(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}

func BenchmarkAllowsRoom(b *testing.B) {
	c := &auth.Claims{Subject: "a", Rooms: []string{"general", "support-*", "team-*-chat", "*-archive"}}
	b.ReportAllocs()
	for b.Loop() {
		if !c.AllowsRoom("team-red-chat") || c.AllowsRoom("random") {
			b.Fatal("wrong match")
		}
	}
}
