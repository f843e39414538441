package queue

import (
	"context"
	"log/slog"
	"strings"

	"github.com/nsqio/go-nsq"
	"github.com/nsqio/nsq/nsqd"
)

// nsqdLogger passes the embedded nsqd's log lines ("INFO: TOPIC(oa.todo):
// created") to slog at their level.
type nsqdLogger struct{ log *slog.Logger }

func (l nsqdLogger) Output(_ int, s string) error {
	level := slog.LevelInfo
	for _, p := range []struct {
		prefix string
		level  slog.Level
	}{
		{"DEBUG: ", slog.LevelDebug}, {"INFO: ", slog.LevelInfo}, {"WARNING: ", slog.LevelWarn},
		{"ERROR: ", slog.LevelError}, {"FATAL: ", slog.LevelError},
	} {
		if rest, ok := strings.CutPrefix(s, p.prefix); ok {
			s, level = rest, p.level
			break
		}
	}
	l.log.Log(context.Background(), level, s)
	return nil
}

// setNSQDLogging sends the embedded nsqd's lines to log, from the least
// severe level log wants.
func setNSQDLogging(o *nsqd.Options, log *slog.Logger) {
	o.Logger = nsqdLogger{log}
	ctx := context.Background()
	switch {
	case log.Enabled(ctx, slog.LevelDebug):
		o.LogLevel = nsqd.LOG_DEBUG
	case log.Enabled(ctx, slog.LevelInfo):
		o.LogLevel = nsqd.LOG_INFO
	case log.Enabled(ctx, slog.LevelWarn):
		o.LogLevel = nsqd.LOG_WARN
	default:
		o.LogLevel = nsqd.LOG_ERROR
	}
}

// nsqLogger passes go-nsq's lines ("WRN    1 [oa.todo/routing] …") to
// slog. go-nsq's INF lines (every connect and RDY change) go out at
// Debug: the queue logs what matters at Info itself.
type nsqLogger struct{ log *slog.Logger }

func (l nsqLogger) Output(_ int, s string) error {
	level := slog.LevelDebug
	switch {
	case strings.HasPrefix(s, "WRN"):
		level = slog.LevelWarn
	case strings.HasPrefix(s, "ERR"):
		level = slog.LevelError
	}
	if len(s) > 4 {
		s = strings.TrimLeft(s[4:], " ")
	}
	l.log.Log(context.Background(), level, s)
	return nil
}

// nsqLevel is the least severe go-nsq level the logger wants.
func nsqLevel(log *slog.Logger) nsq.LogLevel {
	ctx := context.Background()
	switch {
	case log.Enabled(ctx, slog.LevelDebug):
		return nsq.LogLevelDebug
	case log.Enabled(ctx, slog.LevelWarn):
		return nsq.LogLevelWarning
	}
	return nsq.LogLevelError
}
