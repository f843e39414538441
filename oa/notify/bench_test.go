package notify

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"nanhu/queue/contract"
)

// BenchmarkHandleTodo routes created events for offline officials, each
// to an SMS (特急, so no digest holds it back), as the oa.todo consumer
// would; each official has about ten to-dos awaiting an answer.
func BenchmarkHandleTodo(b *testing.B) {
	f := newFixture(b)
	logins := []string{"zhangwei", "liuyang", "yangjing", "huanglei", "mailer", "quietless"}
	b.ResetTimer()
	for i := range b.N {
		td := todo(fmt.Sprintf("todo-%d", i%60), logins[i%len(logins)])
		td.Urgency = contract.UrgencyTop
		f.handle(event(fmt.Sprintf("ev-%d", i), contract.TodoCreated, td))
	}
	b.StopTimer()
	if i := b.N; i > 0 {
		f.pub.mu.Lock()
		n := len(f.pub.sms)
		f.pub.mu.Unlock()
		if n != i {
			b.Fatalf("%d SMS for %d events", n, i)
		}
	}
}

// BenchmarkParseReply reads a reply with a code and a comment.
func BenchmarkParseReply(b *testing.B) {
	for range b.N {
		parseReply("退回 A3 数据有误，请核实")
	}
}

// BenchmarkHandleTodoParallel is BenchmarkHandleTodo with four callers at
// once, as the queue's consumer runs its handlers.
func BenchmarkHandleTodoParallel(b *testing.B) {
	f := newFixture(b)
	logins := []string{"zhangwei", "liuyang", "yangjing", "huanglei", "mailer", "quietless"}
	var seq atomic.Int64
	b.SetParallelism(2) // 2 × GOMAXPROCS(2) = 4 callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(1))
			td := todo(fmt.Sprintf("todo-%d", i%60), logins[i%len(logins)])
			td.Urgency = contract.UrgencyTop
			if err := f.n.HandleTodo(context.Background(), event(fmt.Sprintf("ev-%d", i), contract.TodoCreated, td)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
