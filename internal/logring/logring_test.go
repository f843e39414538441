package logring

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestRing(t *testing.T) {
	var out bytes.Buffer
	ring := New(3)
	log := slog.New(Handler(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}), ring, slog.LevelWarn))
	part := log.With("part", "mail")
	part.Info("started")
	part.Warn("slow disk", "took", "3s")
	log.Error("listener stopped", "err", "address in use")
	log.WithGroup("g").Error("one", "k", "v")
	log.Error("two")
	got := ring.Recent()
	if len(got) != 3 || got[0].Message != "two" || got[2].Message != "listener stopped" {
		t.Fatalf("Recent: %+v", got)
	}
	if got[1].Attrs != "g.k=v" || !strings.Contains(got[2].Attrs, `err="address in use"`) {
		t.Errorf("attrs %q %q", got[1].Attrs, got[2].Attrs)
	}
	if !strings.Contains(out.String(), "started") || !strings.Contains(out.String(), "slow disk") {
		t.Errorf("records not passed on: %s", out.String())
	}
	// Debug is not passed on (the next handler's level) nor kept.
	log.Debug("noise")
	if strings.Contains(out.String(), "noise") || ring.Recent()[0].Message == "noise" {
		t.Error("debug record leaked")
	}
	// Attributes given with With are kept with the entry.
	part.Warn("again")
	if e := ring.Recent()[0]; e.Attrs != "part=mail" {
		t.Errorf("With attrs %q", e.Attrs)
	}
}
