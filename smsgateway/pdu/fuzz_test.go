package pdu

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	vecDeliver7, vecSubmitExt, vecSubmitUCS2, vecDeliverUCS2, vecConcat2, vecConcat2Fixed,
	vecReport, vecReportPI, vecAlpha,
	"00440D91683109000000F00008521121812143230403000501",
	"0004", "00", "", "0",
}

// addSeeds gives the hex form, for the fuzz targets that mutate the text
// of the AT line.
func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
}

// addOctetSeeds gives raw octets, for the targets that mutate structure;
// they hand the decoders hex.
func addOctetSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		if b, err := hex.DecodeString(s); err == nil {
			f.Add(b)
		}
	}
}

func FuzzDecodeDeliver(f *testing.F) {
	addOctetSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDeliver(hex.EncodeToString(b))
		if err != nil {
			return
		}
		if !utf8.ValidString(d.Text) {
			t.Fatalf("invalid UTF-8 text %q", d.Text)
		}
		// What decodes re-encodes, and decodes to the same text.
		d.Timestamp = d.Timestamp.In(d.Timestamp.Location())
		pdus, err := EncodeDeliver(d)
		if err != nil {
			if strings.Contains(err.Error(), "originator") || strings.Contains(err.Error(), "address") || strings.Contains(err.Error(), "SMSC") {
				return // empty or odd originators are not ours to re-create
			}
			t.Fatalf("re-encode %+v: %v", d, err)
		}
		var text string
		var data []byte
		for _, p := range pdus {
			e, err := DecodeDeliver(p.Hex)
			if err != nil {
				t.Fatalf("decode re-encoded %s: %v", p.Hex, err)
			}
			text += e.Text
			data = append(data, e.Data...)
			if !sameTime(e.Timestamp, d.Timestamp) {
				t.Fatalf("timestamp %v became %v", d.Timestamp, e.Timestamp)
			}
		}
		if text != d.Text || d.Encoding == Binary8 && string(data) != string(d.Data) {
			t.Fatalf("text %q became %q", d.Text, text)
		}
	})
}

func FuzzDecodeSubmit(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, h string) {
		s, err := DecodeSubmit(h)
		if err != nil {
			return
		}
		if !utf8.ValidString(s.Text) {
			t.Fatalf("invalid UTF-8 text %q", s.Text)
		}
		if s.Concat != nil && (s.Concat.Seq < 1 || s.Concat.Seq > s.Concat.Total) {
			t.Fatalf("concat %+v", s.Concat)
		}
		if _, err := DecodeMT(h); err != nil {
			t.Fatalf("DecodeMT refused a SUBMIT DecodeSubmit took: %v", err)
		}
	})
}

func FuzzDecodeStatusReport(f *testing.F) {
	addOctetSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeStatusReport(hex.EncodeToString(b))
		if err != nil {
			return
		}
		n := 0
		for _, b := range []bool{r.Delivered(), r.Pending(), r.Permanent()} {
			if b {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("status %02X is in %d classes", r.Status, n)
		}
		if r.SCTS.IsZero() || r.Discharge.IsZero() {
			t.Fatal("report without times")
		}
	})
}

// FuzzDecodeMT runs every decoder over the same octets.
func FuzzDecodeMT(f *testing.F) {
	addOctetSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		h := hex.EncodeToString(b)
		v, err := DecodeMT(h)
		_, errS := DecodeSubmit(h)
		_, errD := DecodeDeliver(h)
		_, errR := DecodeStatusReport(h)
		switch v.(type) {
		case Deliver:
			err = errD
		case Submit:
			err = errS
		case StatusReport:
			err = errR
		}
		if v != nil && err != nil {
			t.Fatalf("DecodeMT gave %T but its decoder says %v", v, err)
		}
	})
}

// FuzzSplit checks Split's promises and the whole EncodeSubmit →
// DecodeSubmit round trip.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"", "hello", strings.Repeat("a", 161), strings.Repeat("€", 80),
		strings.Repeat("测", 71), strings.Repeat("😀", 36), "a\x1b\xffb", "{[]}~^|\\€\f"} {
		f.Add(s, false, false)
	}
	f.Fuzz(func(t *testing.T, text string, force, ref16 bool) {
		parts, enc := Split(text, force)
		if strings.Join(parts, "") != text {
			t.Fatal("parts do not join to the text")
		}
		single, per := 160, 153
		if enc == UCS2 {
			single, per = 70, 67
		}
		for _, p := range parts {
			if n := size(p, enc); len(parts) == 1 && n > single || len(parts) > 1 && (n > per || n == 0) {
				t.Fatalf("part of %d in %d parts (%v)", n, len(parts), enc)
			}
		}
		if !utf8.ValidString(text) || len(parts) > 255 {
			return
		}
		pdus, err := EncodeSubmit("+8613800000000", text, SubmitOptions{ForceUCS2: force, Ref16: ref16, ConcatRef: 200, Validity: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		var got strings.Builder
		for _, p := range pdus {
			s, err := DecodeSubmit(p.Hex)
			if err != nil {
				t.Fatal(err)
			}
			got.WriteString(s.Text)
		}
		if got.String() != text {
			t.Fatalf("round trip %q became %q", text, got.String())
		}
	})
}
