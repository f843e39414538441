package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// fuzzDecode checks, for any body: Decode never panics; it fails only
// with one of the three errors; what it accepts validates, encodes, and
// decodes again to the same JSON.
func fuzzDecode[T Event](f *testing.F) {
	var zero T
	for _, ev := range samples() {
		if ev.Topic() == zero.Topic() {
			b, _ := Encode(ev)
			f.Add(b)
		}
	}
	if zero.Topic() == TopicTodo {
		f.Add([]byte(issueTodo))
	}
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`{"v":2,"id":"x"}`))
	f.Add([]byte(`{"v":1,"id":"x","to":"+8613800138000","text":"\u0000"}`))
	f.Add([]byte(`null`))
	f.Add([]byte{0xff})
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode[T](body)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error of no kind: %v", err)
			}
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("accepted an invalid event: %v", err)
		}
		out, err := Encode(ev)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		again, err := Decode[T](out)
		if err != nil {
			t.Fatalf("decode of own encoding %s: %v", out, err)
		}
		out2, _ := Encode(again)
		if !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
		var m map[string]any
		if json.Unmarshal(out, &m) != nil || m["v"] != float64(zero.Version()) {
			t.Fatalf("encoding lost v: %s", out)
		}
	})
}

func FuzzDecodeTodo(f *testing.F)       { fuzzDecode[TodoEvent](f) }
func FuzzDecodeNotifySMS(f *testing.F)  { fuzzDecode[NotifySMS](f) }
func FuzzDecodeNotifyMail(f *testing.F) { fuzzDecode[NotifyMail](f) }
func FuzzDecodeSMSInbound(f *testing.F) { fuzzDecode[SMSInbound](f) }
func FuzzDecodeSMSStatus(f *testing.F)  { fuzzDecode[SMSStatus](f) }
func FuzzDecodeOAAction(f *testing.F)   { fuzzDecode[OAAction](f) }
func FuzzDecodePortalCase(f *testing.F) { fuzzDecode[PortalCase](f) }
func FuzzDecodeOACase(f *testing.F)     { fuzzDecode[OACase](f) }
func FuzzDecodeMailCase(f *testing.F)   { fuzzDecode[MailCase](f) }

func FuzzDecodeDeadLetter(f *testing.F) {
	f.Add([]byte(`{"v":1,"topic":"oa.todo","body":"{"}`))
	f.Add([]byte(`{"v":1,"topic":"oa.todo","body_base64":"//4="}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := DecodeDeadLetter(body)
		if err != nil {
			return
		}
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeDeadLetter(b); err != nil {
			t.Fatalf("own encoding refused: %v", err)
		}
	})
}
