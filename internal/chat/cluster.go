package chat

import (
	"context"
	"hash/maphash"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/chatd/chatd/internal/broker"
)

// This file joins the node's own presence and membership bookkeeping to the cluster
// registry (Deps.Registry; nil on a single node). The node keeps exact counts of its
// own sockets; only its per-node transitions reach the registry (the node's first
// socket of a user in a room, its last; the user's first socket here, their last), and
// the registry's answer decides whether the others are told. When the registry fails
// the node decides alone, as a single node would, and the registry re-registers the
// node's state once Redis answers again.

// registryTimeout bounds one registry call made for a client event or a timer.
const registryTimeout = 2 * time.Second

// userLocks serialise one user's transitions on this node with their registry calls,
// so that Redis sees a user's joins and leaves in the order the node made them.
// Striped: users share a lock only by hash.
type userLocks struct {
	seed  maphash.Seed
	locks [64]sync.Mutex
}

func newUserLocks() *userLocks { return &userLocks{seed: maphash.MakeSeed()} }

func (l *userLocks) lock(user string) (unlock func()) {
	m := &l.locks[maphash.String(l.seed, user)%uint64(len(l.locks))]
	m.Lock()
	return m.Unlock
}

func (svc *Service) registryContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(svc.ctx, registryTimeout)
}

// clusterJoined tells the registry that this node's first socket of user entered room
// and returns whether it is the user's first in the cluster.
func (svc *Service) clusterJoined(user, room string) bool {
	ctx, cancel := svc.registryContext()
	defer cancel()
	first, err := svc.registry.JoinRoom(ctx, room, user)
	if err != nil {
		svc.log.Warn("chat: registry unavailable; join announced by this node alone", "room", room, "err", err)
		return true
	}
	return first
}

// clusterLeft is clusterJoined for the node's last socket of user leaving room.
func (svc *Service) clusterLeft(user, room string) bool {
	ctx, cancel := svc.registryContext()
	defer cancel()
	last, err := svc.registry.LeaveRoom(ctx, room, user)
	if err != nil {
		svc.log.Warn("chat: registry unavailable; leave announced by this node alone", "room", room, "err", err)
		return true
	}
	return last
}

// clusterConnected registers the node's first socket of user and adopts the status the
// user has elsewhere in the cluster.
func (svc *Service) clusterConnected(user string) {
	ctx, cancel := svc.registryContext()
	defer cancel()
	status, err := svc.registry.Connect(ctx, user)
	if err != nil {
		svc.log.Warn("chat: registry unavailable; presence is this node's", "err", err)
		return
	}
	svc.users.setLocalStatus(user, status)
}

// clusterDisconnected registers that the node's last socket of user left and keeps the
// generation of the grace period that has started.
func (svc *Service) clusterDisconnected(user string, rooms []string) {
	ctx, cancel := svc.registryContext()
	defer cancel()
	gen, err := svc.registry.Disconnect(ctx, user, rooms)
	if err != nil {
		svc.log.Warn("chat: registry unavailable; offline decided by this node alone", "err", err)
		return
	}
	svc.users.setGraceGen(user, gen)
}

// offlineStatus decides, at the end of a grace period here, whether this node tells
// the user's rooms they went offline, and with which previous status.
func (svc *Service) offlineStatus(user, status, gen string) (string, bool) {
	if svc.registry == nil || gen == "" {
		return status, true
	}
	ctx, cancel := svc.registryContext()
	defer cancel()
	st, ok, err := svc.registry.ClaimOffline(ctx, user, gen)
	if err != nil {
		svc.log.Warn("chat: registry unavailable; offline announced by this node alone", "err", err)
		return status, true
	}
	return st, ok
}

// clusterStatusRooms sets user's status in the registry and returns every room the
// user has a socket in on any node, or local when the registry failed.
func (svc *Service) clusterStatusRooms(user, status string, local []string) []string {
	ctx, cancel := svc.registryContext()
	defer cancel()
	rooms, err := svc.registry.SetStatus(ctx, user, status)
	if err != nil {
		svc.log.Warn("chat: registry unavailable; presence told to this node's rooms", "err", err)
		return local
	}
	return rooms
}

// clusterMembers returns the users in room on any node, sorted, or false when the
// registry failed.
func (svc *Service) clusterMembers(room string) ([]memberOut, bool) {
	ctx, cancel := svc.registryContext()
	defer cancel()
	members, err := svc.registry.Members(ctx, room)
	if err != nil {
		svc.log.Warn("chat: registry unavailable; members of this node only", "room", room, "err", err)
		return nil, false
	}
	out := make([]memberOut, len(members))
	for i, m := range members {
		out[i] = memberOut{UserID: m.User, Status: m.Status}
	}
	slices.SortFunc(out, func(a, b memberOut) int {
		switch {
		case a.UserID < b.UserID:
			return -1
		case a.UserID > b.UserID:
			return 1
		}
		return 0
	})
	return out, true
}

// Snapshot returns this node's connected users and room memberships, which the
// registry re-registers after Redis lost them.
func (svc *Service) Snapshot() broker.Snapshot {
	users := svc.users.snapshot()
	snap := broker.Snapshot{Users: make([]broker.Member, len(users)), Rooms: svc.rooms.pairs()}
	for i, u := range users {
		snap.Users[i] = broker.Member{User: u.user, Status: u.status}
	}
	return snap
}

// NodeLost tells the rooms of a dead node's users what its reaper found: who is in a
// room no more (userLeftRoom) and who is offline (presenceUpdate). The registry calls
// it on one node per loss; the broadcasts reach every node.
func (svc *Service) NodeLost(loss broker.NodeLoss) {
	ns := svc.ns.Load()
	if ns == nil {
		return
	}
	now := timestamp(svc.clock.Now())
	for _, l := range loss.Left {
		svc.broadcast(ns.To(toRooms([]string{l.Room})...), "userLeftRoom",
			roomUserOut{RoomID: l.Room, UserID: l.User, Timestamp: now})
	}
	for _, d := range loss.Offline {
		if d.Status == statusOffline || len(d.Rooms) == 0 {
			continue
		}
		svc.broadcast(ns.To(toRooms(d.Rooms)...), "presenceUpdate",
			presenceOut{UserID: d.User, Status: statusOffline, Timestamp: now})
	}
}

// Cluster-wide rate buckets, by kind and user: the node's own bucket answers first
// (cheaply, and alone on a single node); an event it allows must also find a token in
// the user's bucket shared by every node, so that a user's sockets on several nodes
// share one limit. Without the registry the node's bucket is the limit.
const (
	bucketMessages = "m:"
	bucketTyping   = "t:"
	bucketJoins    = "j:"
)

// takeToken takes a token from the node's bucket l and, in a cluster, from user's
// bucket of kind shared by every node. wait > 0 refuses the event for that long, and
// then nothing is taken; otherwise the reservation may be cancelled (a send that
// turned out to be a duplicate costs nothing).
func (svc *Service) takeToken(c *client, l *rate.Limiter, kind string, perSecond float64, burst int) (*rate.Reservation, time.Duration) {
	return svc.takeTokenAt(c, l, kind, perSecond, burst, svc.clock.Now())
}

func (svc *Service) takeTokenAt(c *client, l *rate.Limiter, kind string, perSecond float64, burst int, now time.Time) (*rate.Reservation, time.Duration) {
	token, wait := reserve(l, now)
	if wait > 0 {
		return nil, wait
	}
	if wait = svc.clusterWait(kind, c.user, perSecond, burst); wait > 0 {
		token.CancelAt(now)
		return nil, wait
	}
	return token, 0
}

// clusterWait takes a token from user's cluster bucket of kind and returns how long to
// wait when there was none; zero on a single node or when the registry failed.
func (svc *Service) clusterWait(kind, user string, perSecond float64, burst int) time.Duration {
	if svc.registry == nil {
		return 0
	}
	ctx, cancel := svc.registryContext()
	defer cancel()
	wait, err := svc.registry.Reserve(ctx, kind+user, perSecond, burst)
	if err != nil {
		svc.log.Warn("chat: registry unavailable; rate limited by this node alone", "err", err)
		return 0
	}
	return wait
}

// clusterRefund gives back a token clusterWait took.
func (svc *Service) clusterRefund(kind, user string, perSecond float64) {
	if svc.registry == nil {
		return
	}
	ctx, cancel := svc.registryContext()
	defer cancel()
	if err := svc.registry.Refund(ctx, kind+user, perSecond); err != nil {
		svc.log.Warn("chat: registry unavailable; rate token not refunded", "err", err)
	}
}
