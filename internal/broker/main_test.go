package broker

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	SetRedisLogger(discardLogger()) // the outage test makes go-redis complain
	goleak.VerifyTestMain(m)
}
