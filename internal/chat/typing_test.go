package chat

import (
	"reflect"
	"testing"
	"time"
)

type typingLog struct{ ended []string }

func (l *typingLog) record(c *client, room string) { l.ended = append(l.ended, c.id+" "+room) }

func newTestTyping() (*typing, *fakeClock, *typingLog) {
	clk := newFakeClock()
	log := &typingLog{}
	return newTyping(clk, 6*time.Second, log.record), clk, log
}

func TestTypingTimesOut(t *testing.T) {
	ty, clk, log := newTestTyping()
	c := testClient("alice", "s1")
	if !ty.start(c, "r") {
		t.Fatal("start not reported")
	}
	clk.Advance(5 * time.Second)
	if ty.start(c, "r") {
		t.Fatal("refresh reported as a start")
	}
	clk.Advance(5 * time.Second) // 10s after start, 5s after the refresh
	if log.ended != nil || !ty.active(c, "r") {
		t.Fatalf("ended before the refreshed deadline: %v", log.ended)
	}
	clk.Advance(time.Second)
	if !reflect.DeepEqual(log.ended, []string{"s1 r"}) || ty.active(c, "r") {
		t.Fatalf("ended = %v, active = %v", log.ended, ty.active(c, "r"))
	}
	if clk.pending() != 0 {
		t.Fatalf("%d timers left", clk.pending())
	}
}

func TestTypingStopCancelsTimer(t *testing.T) {
	ty, clk, log := newTestTyping()
	c := testClient("alice", "s1")
	ty.start(c, "r")
	if !ty.stop(c, "r") {
		t.Fatal("stop not reported")
	}
	if ty.stop(c, "r") {
		t.Fatal("second stop reported")
	}
	clk.Advance(time.Minute)
	if log.ended != nil || clk.pending() != 0 {
		t.Fatalf("timeout after stop: %v", log.ended)
	}
}

func TestTypingMultiDevice(t *testing.T) {
	ty, clk, log := newTestTyping()
	phone, laptop := testClient("alice", "p"), testClient("alice", "l")
	bob := testClient("bob", "b")
	ty.start(phone, "r")
	if ty.start(laptop, "r") {
		t.Fatal("second device of a typing user reported a start")
	}
	if !ty.start(bob, "r") {
		t.Fatal("another user's start not reported")
	}
	if ty.stop(phone, "r") {
		t.Fatal("user reported stopped while typing on another device")
	}
	clk.Advance(6 * time.Second)
	if !reflect.DeepEqual(log.ended, []string{"l r", "b r"}) && !reflect.DeepEqual(log.ended, []string{"b r", "l r"}) {
		t.Fatalf("ended = %v", log.ended)
	}
	ty.start(phone, "r")
	ty.start(laptop, "r")
	ty.start(phone, "other")
	if !ty.stopUser(laptop, "r") {
		t.Fatal("stopUser not reported")
	}
	if ty.active(phone, "r") || !ty.active(phone, "other") {
		t.Fatal("stopUser ended the wrong typing")
	}
	ty.close()
	if clk.pending() != 0 {
		t.Fatal("close left timers")
	}
}
