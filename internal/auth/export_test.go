package auth

// MatchGlob exposes the room-pattern matcher to the external tests.
var MatchGlob = matchGlob
