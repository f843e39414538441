package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestPerHour(t *testing.T) {
	s, c, _ := open(t)
	ctx := context.Background()
	since := c.Now()
	for i, after := range []time.Duration{0, 30 * time.Minute, 90 * time.Minute, 30 * time.Hour} {
		if i > 0 {
			c.add(after - []time.Duration{0, 0, 30 * time.Minute, 90 * time.Minute}[i])
		}
		if _, _, err := s.Insert(ctx, msg("+8613800000001", fmt.Sprintf("第%d条", i), "", 1)); err != nil {
			t.Fatal(err)
		}
	}
	sent, received, err := s.PerHour(ctx, since, 3)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sent) != "[2 1 0]" || fmt.Sprint(received) != "[0 0 0]" {
		t.Errorf("sent %v received %v, want [2 1 0] [0 0 0]", sent, received)
	}
}
