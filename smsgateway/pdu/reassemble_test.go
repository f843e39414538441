package pdu

import (
	"strings"
	"testing"
	"time"
)

func decodeAll(t *testing.T, pdus []PDU) []Deliver {
	t.Helper()
	var out []Deliver
	for _, p := range pdus {
		d, err := DecodeDeliver(p.Hex)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestReassembler(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := &Reassembler{Now: func() time.Time { return now }}
	textA := strings.Repeat("请于本周五前报送年度工作总结。", 12)
	textB := strings.Repeat("Meeting moved to room 301. ", 20)
	a := decodeAll(t, mustDeliver(t, Deliver{From: "+8613900000001", Timestamp: now, Text: textA, Concat: &Concat{Ref: 7}}))
	b := decodeAll(t, mustDeliver(t, Deliver{From: "+8613900000002", Timestamp: now, Text: textB, Concat: &Concat{Ref: 7}}))
	if len(a) != 3 || len(b) != 4 {
		t.Fatalf("parts: %d and %d", len(a), len(b))
	}

	// Interleaved, out of order, with duplicates; same reference, two senders.
	feed := []struct {
		d    Deliver
		done string
	}{
		{a[2], ""}, {b[1], ""}, {a[2], ""}, {b[3], ""}, {a[0], ""},
		{b[0], ""}, {b[1], ""}, {a[1], textA}, {a[1], ""}, {b[2], textB},
	}
	for i, f := range feed {
		m, ok := r.Add(f.d)
		if ok != (f.done != "") {
			t.Fatalf("step %d: complete %v", i, ok)
		}
		if ok && m.Text != f.done {
			t.Errorf("step %d: text %q", i, m.Text)
		}
		if ok && (len(m.Parts) != m.Concat.Total || m.Concat.Seq != 0) {
			t.Errorf("step %d: %d parts, concat %+v", i, len(m.Parts), m.Concat)
		}
		now = now.Add(time.Second)
	}
	// The late duplicate a[1] opened a new set; it is pending.
	p := r.Pending()
	if len(p) != 1 || p[0].From != "+8613900000001" || len(p[0].Have) != 1 || p[0].Have[0] != 2 || p[0].Age != 2*time.Second {
		t.Fatalf("pending %+v", p)
	}

	// A single SMS passes straight through.
	one := Deliver{From: "+8613900000003", Text: "hi"}
	if m, ok := r.Add(one); !ok || m.Text != "hi" {
		t.Errorf("single: %v %q", ok, m.Text)
	}

	// Expiry hands over what arrived and forgets it.
	r.Add(b[0])
	now = now.Add(time.Minute)
	if got := r.Expire(2 * time.Minute); len(got) != 0 {
		t.Errorf("expired too early: %+v", got)
	}
	now = now.Add(2 * time.Minute)
	got := r.Expire(2 * time.Minute)
	if len(got) != 2 || got[0].From != "+8613900000001" || got[1].From != "+8613900000002" {
		t.Fatalf("expired %+v", got)
	}
	if len(r.Pending()) != 0 {
		t.Error("expired sets still pending")
	}
}

// A sender that cuts a surrogate pair between parts still gives a whole
// character once joined.
func TestReassembleCutSurrogate(t *testing.T) {
	ts := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	units := []byte{0xD8, 0x3D, 0xDE, 0x00} // 😀
	var parts []Deliver
	for i, half := range [][]byte{units[:2], units[2:]} {
		p, err := (Deliver{From: "+86139", Timestamp: ts, Encoding: Binary8, Data: half,
			Concat: &Concat{Ref: 1, Total: 2, Seq: i + 1}}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		// Turn the 8-bit DCS into UCS2: the same octets, read as UTF-16.
		h := strings.Replace(p.Hex, "0004", "0008", 1)
		d, err := DecodeDeliver(h)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, d)
	}
	r := NewReassembler()
	r.Add(parts[1])
	m, ok := r.Add(parts[0])
	if !ok || m.Text != "😀" {
		t.Errorf("joined %q (%v)", m.Text, ok)
	}
}

func mustDeliver(t *testing.T, d Deliver) []PDU {
	t.Helper()
	p, err := EncodeDeliver(d)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
