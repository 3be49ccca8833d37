package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Registry is the cluster-wide view of who is where, kept beside the fan-out: which
// users have a socket in which room and which are connected, on any node, and their
// presence status. The chat domain keeps exact per-node counts itself and tells the
// Registry only about per-node transitions (the node's first socket of a user in a
// room, its last one, …); the Registry answers the cluster-wide question that decides
// whether the others are told. Every method may fail when the registry's store is
// unreachable; callers then fall back to their node's own view.
type Registry interface {
	// JoinRoom records that this node now has a socket of user in room; first reports
	// that no node had one before.
	JoinRoom(ctx context.Context, room, user string) (first bool, err error)
	// LeaveRoom records that this node's last socket of user left room; last reports
	// that no node has one now.
	LeaveRoom(ctx context.Context, room, user string) (last bool, err error)
	// Connect records that this node now has a socket of user and returns the user's
	// presence status: the one set on any node, or "online" for a user nobody had.
	Connect(ctx context.Context, user string) (status string, err error)
	// Disconnect records that this node's last socket of user left, starting the
	// user's grace period here, and returns the generation to claim it with. rooms are
	// those of the last socket, told if the node dies before the claim.
	Disconnect(ctx context.Context, user string, rooms []string) (gen string, err error)
	// ClaimOffline ends the grace period of gen: ok reports that the user has no
	// socket on any node and that this node is the one to announce it; status is the
	// status the user had.
	ClaimOffline(ctx context.Context, user, gen string) (status string, ok bool, err error)
	// SetStatus sets user's status and returns every room the user has a socket in.
	SetStatus(ctx context.Context, user, status string) (rooms []string, err error)
	// Members returns the users with a socket in room on any node, with their status.
	Members(ctx context.Context, room string) ([]Member, error)
	// Reserve takes a token from the bucket named key, shared by every node, that
	// refills perSecond and holds burst; wait > 0 means none was left, for that long.
	Reserve(ctx context.Context, key string, perSecond float64, burst int) (wait time.Duration, err error)
	// Refund gives back a token Reserve took from key.
	Refund(ctx context.Context, key string, perSecond float64) error
}

// Member is a user in a room and the user's presence status.
type Member struct{ User, Status string }

// Snapshot is a node's local state, which the registry re-registers when Redis lost
// it (a restart) or when the node's own calls failed meanwhile.
type Snapshot struct {
	Users []Member   // the node's connected users and their statuses
	Rooms []RoomUser // the (room, user) pairs the node has a socket of
}

// RoomUser names a user in a room.
type RoomUser struct{ Room, User string }

// NodeLoss is what became of a dead node's users once it was reaped: the users now in
// no room anywhere, by room, and the users now connected nowhere.
type NodeLoss struct {
	Node    string
	Left    []RoomUser
	Offline []Departed
}

// Departed is a user gone offline with a dead node: the status they had and the rooms
// to tell.
type Departed struct {
	User, Status string
	Rooms        []string
}

// RegistryOptions tunes a RedisRegistry.
type RegistryOptions struct {
	Prefix string        // as Options.Prefix; zero means "chatd"
	NodeID string        // this node; must be the RedisAdapter's NodeID
	TTL    time.Duration // a node not heartbeating for TTL is dead; zero means 15s
	Grace  time.Duration // deadline a closing node leaves for its users' grace periods
}

const defaultNodeTTL = 15 * time.Second

// RedisRegistry is the Registry on Redis: per-node sets and cluster-wide counts kept
// by Lua scripts, node heartbeats in a sorted set with deadlines on Redis's clock, and
// a reaper on every node that takes dead nodes' users out (see registry_lua.go).
type RedisRegistry struct {
	client *redis.Client
	log    *slog.Logger
	node   string
	tag    string // "{prefix}": the keys' hash tag, ARGV[1] of every script
	ttl    time.Duration
	grace  time.Duration

	// sync is held for reading by every call that changes the node's entries and for
	// writing while they are replaced by a snapshot, so that no change slips between
	// the snapshot and its registration.
	sync     sync.RWMutex
	diverged atomic.Bool // a change failed: Redis may not hold the node's state
	// down is set when Redis stopped answering and cleared by the next heartbeat that
	// gets through: meanwhile calls fail at once instead of each waiting for a dial,
	// so client events are decided by the node alone at full speed.
	down atomic.Bool

	stop context.CancelFunc
	done chan struct{}
}

var _ Registry = (*RedisRegistry)(nil)

// NewRedisRegistry connects to the Redis at rawURL. Like the adapter it starts when
// Redis is unreachable; Run registers the node once Redis answers.
func NewRedisRegistry(rawURL string, logger *slog.Logger, opts RegistryOptions) (*RedisRegistry, error) {
	ropts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse redis url: %w", err)
	}
	if opts.NodeID == "" {
		return nil, errors.New("create registry: NodeID is required")
	}
	if !hasQueryParam(rawURL, "dial_timeout") {
		ropts.DialTimeout = defaultDialTimeout
	}
	ropts.ClientName = "chatd-registry-" + opts.NodeID
	// Fail fast: a call that cannot reach Redis is answered by the node's own view, and
	// the heartbeat reconciles; retries would only hold up the client event.
	ropts.MaxRetries = -1
	ropts.DialerRetries = 1
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	prefix := (&Options{Prefix: opts.Prefix}).prefix()
	r := &RedisRegistry{
		client: redis.NewClient(ropts),
		log:    logger.With("component", "registry", "node", opts.NodeID),
		node:   opts.NodeID,
		tag:    "{" + prefix + "}",
		ttl:    opts.TTL,
		grace:  opts.Grace,
	}
	if r.ttl <= 0 {
		r.ttl = defaultNodeTTL
	}
	return r, nil
}

// ErrRegistryDown is returned without trying while Redis is known to be unreachable.
var ErrRegistryDown = errors.New("registry: redis unreachable")

// change runs a script that changes the node's entries; a failure marks the node's
// state as diverged, to be replaced by a snapshot on the next heartbeat.
func (r *RedisRegistry) change(ctx context.Context, s *redis.Script, args ...any) *redis.Cmd {
	r.sync.RLock()
	defer r.sync.RUnlock()
	if r.down.Load() {
		r.diverged.Store(true)
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(ErrRegistryDown)
		return cmd
	}
	cmd := s.Run(ctx, r.client, nil, append([]any{r.tag, r.node}, args...)...)
	r.noteErr(cmd.Err())
	if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
		r.diverged.Store(true)
	}
	return cmd
}

// query runs a script that only reads, or changes no node entry.
func (r *RedisRegistry) query(ctx context.Context, s *redis.Script, args ...any) *redis.Cmd {
	if r.down.Load() {
		cmd := redis.NewCmd(ctx)
		cmd.SetErr(ErrRegistryDown)
		return cmd
	}
	cmd := s.Run(ctx, r.client, nil, append([]any{r.tag}, args...)...)
	r.noteErr(cmd.Err())
	return cmd
}

// noteErr marks Redis down on an error that is not a reply of Redis's own (a refused
// dial, a timeout, a cut connection).
func (r *RedisRegistry) noteErr(err error) {
	var reply redis.Error
	if err != nil && !errors.Is(err, redis.Nil) && !errors.As(err, &reply) {
		r.down.Store(true)
	}
}

// JoinRoom implements Registry.
func (r *RedisRegistry) JoinRoom(ctx context.Context, room, user string) (bool, error) {
	n, err := r.change(ctx, scriptJoinRoom, room, user).Int()
	if err != nil {
		return false, fmt.Errorf("registry join room: %w", err)
	}
	return n == 1, nil
}

// LeaveRoom implements Registry.
func (r *RedisRegistry) LeaveRoom(ctx context.Context, room, user string) (bool, error) {
	n, err := r.change(ctx, scriptLeaveRoom, room, user).Int()
	if err != nil {
		return false, fmt.Errorf("registry leave room: %w", err)
	}
	return n == 1, nil
}

// Connect implements Registry.
func (r *RedisRegistry) Connect(ctx context.Context, user string) (string, error) {
	st, err := r.change(ctx, scriptConnect, user).Text()
	if err != nil {
		return "", fmt.Errorf("registry connect: %w", err)
	}
	return st, nil
}

// Disconnect implements Registry.
func (r *RedisRegistry) Disconnect(ctx context.Context, user string, rooms []string) (string, error) {
	gen, err := r.change(ctx, scriptDisconnect, user, strings.Join(rooms, "\x1f")).Text()
	if err != nil {
		return "", fmt.Errorf("registry disconnect: %w", err)
	}
	return gen, nil
}

// ClaimOffline implements Registry.
func (r *RedisRegistry) ClaimOffline(ctx context.Context, user, gen string) (string, bool, error) {
	st, err := r.change(ctx, scriptClaimOffline, user, gen).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("registry claim offline: %w", err)
	}
	return st, true, nil
}

// SetStatus implements Registry.
func (r *RedisRegistry) SetStatus(ctx context.Context, user, status string) ([]string, error) {
	rooms, err := r.query(ctx, scriptSetStatus, user, status).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("registry set status: %w", err)
	}
	return rooms, nil
}

// Members implements Registry.
func (r *RedisRegistry) Members(ctx context.Context, room string) ([]Member, error) {
	flat, err := r.query(ctx, scriptMembers, room).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("registry members: %w", err)
	}
	out := make([]Member, 0, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		out = append(out, Member{User: flat[i], Status: flat[i+1]})
	}
	return out, nil
}

// Reserve implements Registry.
func (r *RedisRegistry) Reserve(ctx context.Context, key string, perSecond float64, burst int) (time.Duration, error) {
	wait, err := r.query(ctx, scriptReserve, key, intervalMicros(perSecond), burst).Int64()
	if err != nil {
		return 0, fmt.Errorf("registry reserve: %w", err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}

// Refund implements Registry.
func (r *RedisRegistry) Refund(ctx context.Context, key string, perSecond float64) error {
	if err := r.query(ctx, scriptRefund, key, intervalMicros(perSecond)).Err(); err != nil {
		return fmt.Errorf("registry refund: %w", err)
	}
	return nil
}

// intervalMicros is the time between two tokens of a bucket refilling perSecond.
func intervalMicros(perSecond float64) int64 { return max(1, int64(1e6/perSecond)) }

// ttlMillis renders d for the scripts.
func ttlMillis(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
