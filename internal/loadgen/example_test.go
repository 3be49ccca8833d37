package loadgen_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/chatd/chatd/internal/loadgen"
)

// A fixed-rate fan-out: 10 rooms of 100 members, 600 messages per second in total,
// latency measured from each message's scheduled send time.
func ExampleRun() {
	res, err := loadgen.Run(context.Background(), loadgen.Fanout, loadgen.Options{
		URLs:     []string{"http://127.0.0.1:8080"},
		Secret:   []byte(os.Getenv("CHATD_JWT_SECRET")),
		Rooms:    10,
		Members:  100,
		Rate:     600,
		Duration: 30 * time.Second,
		Progress: os.Stderr,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	f := res.Fanout
	fmt.Printf("%.0f deliveries/s, p99 %.1f ms, lost %d\n", f.DeliveredPerSec, f.DeliveryLatency.P99, f.Lost)
}
