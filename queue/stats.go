package queue

import (
	"errors"
	"sort"
)

// ErrNoStats: the queue is an external cluster, whose depths nsqadmin
// shows; Stats knows only the embedded nsqd's.
var ErrNoStats = errors.New("queue: the depths of an external NSQ cluster are shown by nsqadmin, not here")

// TopicStats is how much waits on a topic and on each of its channels.
type TopicStats struct {
	Topic    string
	Depth    int64 // messages not yet handed to a channel
	Messages uint64
	Channels []ChannelStats
}

// ChannelStats is what waits for one consumer group.
type ChannelStats struct {
	Channel  string
	Depth    int64 // waiting, in memory and on disk
	InFlight int   // handed out, not yet finished
	Deferred int   // put back for a later retry
	Requeued uint64
	Clients  int
}

// Stats returns the embedded nsqd's topics and channels, sorted by name.
func (q *Queue) Stats() ([]TopicStats, error) {
	if q.nsqd == nil {
		return nil, ErrNoStats
	}
	st := q.nsqd.GetStats("", "", false)
	out := make([]TopicStats, 0, len(st.Topics))
	for _, t := range st.Topics {
		ts := TopicStats{Topic: t.TopicName, Depth: t.Depth, Messages: t.MessageCount}
		for _, c := range t.Channels {
			ts.Channels = append(ts.Channels, ChannelStats{Channel: c.ChannelName, Depth: c.Depth, InFlight: c.InFlightCount,
				Deferred: c.DeferredCount, Requeued: c.RequeueCount, Clients: c.ClientCount})
		}
		sort.Slice(ts.Channels, func(i, j int) bool { return ts.Channels[i].Channel < ts.Channels[j].Channel })
		out = append(out, ts)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out, nil
}
