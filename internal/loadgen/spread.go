package loadgen

// spread returns which of n servers the pos-th session of a room (counted within the
// room) connects to. Consecutive members of a room go to consecutive servers, and each
// room starts one server further than the one before it: a room of at least n members
// has members on every server, so each of its broadcasts must cross the broker, and
// the first members of the rooms — the publishers — are spread across the servers
// too, instead of all landing on the first.
func spread(room, pos, n int) int {
	if n <= 1 {
		return 0
	}
	return (room + pos) % n
}
