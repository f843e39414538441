package modemsim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"nanhu/hardware/serial"
)

func inject(t *testing.T, s *Sim, kind string, d time.Duration, now bool) {
	t.Helper()
	if err := s.InjectFault(kind, d, now); err != nil {
		t.Fatal(err)
	}
}

func TestFaultNoNetwork(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0;+CMEE=1;+CREG=1")
	inject(t, s, FaultNoNetwork, 0, false)
	c.expect("\r\n+CREG: 2\r\n")
	for _, tc := range []struct{ cmd, want string }{
		{"AT+CREG?", "+CREG: 1,2"},
		{"AT+CSQ", "+CSQ: 99,99"},
		{"AT+COPS?", "+COPS: 0"},
	} {
		if got := c.cmd(tc.cmd); got != "\r\n"+tc.want+"\r\n\r\nOK\r\n" {
			t.Errorf("%s: %q", tc.cmd, got)
		}
	}
	pdu, n := submitPDU("+8613800000000", "无网络", false, 0, 0, 0)
	if got := sendPDU(t, c, pdu, n); got != "\r\n+CMS ERROR: 331\r\n" {
		t.Fatalf("send without network: %q", got)
	}
	if _, err := s.Inbound("+8613900000000", "x"); !errors.Is(err, ErrNoNetwork) {
		t.Fatalf("inbound without network: %v", err)
	}
	if f := s.Faults(); len(f) != 1 || f[0].Kind != FaultNoNetwork {
		t.Fatalf("faults: %+v", f)
	}
	s.ClearFaults()
	c.expect("\r\n+CREG: 1\r\n")
	if got := sendPDU(t, c, pdu, n); got != "\r\n+CMGS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("send after the network is back: %q", got)
	}
	if m := s.Messages(); len(m) != 1 {
		t.Fatalf("carried %d", len(m))
	}
}

func TestFaultSIMPIN(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0;+CMEE=1")
	inject(t, s, FaultSIMPIN, 0, false)
	for _, tc := range []struct{ cmd, want string }{
		{"AT+CPIN?", "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n"},
		{"AT+CGMI", "\r\nhuawei\r\n\r\nOK\r\n"},
		{"AT+CMGF=0", "\r\n+CME ERROR: 11\r\n"},
		{"AT+CIMI", "\r\n+CME ERROR: 11\r\n"},
		{"AT+CPMS?", "\r\n+CME ERROR: 11\r\n"},
		{"AT+CREG?", "\r\n+CREG: 0,2\r\n\r\nOK\r\n"},
		{`AT+CPIN="0000"`, "\r\n+CME ERROR: 16\r\n"},
		{`AT+CPIN="1234"`, "\r\nOK\r\n"},
		{"AT+CPIN?", "\r\n+CPIN: READY\r\n\r\nOK\r\n"},
		{"AT+CMGF=0", "\r\nOK\r\n"},
		{`AT+CPIN="1234"`, "\r\n+CME ERROR: 3\r\n"},
	} {
		if got := c.cmd(tc.cmd); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	if f := s.Faults(); len(f) != 0 {
		t.Fatalf("the PIN did not end the fault: %+v", f)
	}
}

func TestFaultCMSCodes(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0;+CMEE=1")
	pdu, n := submitPDU("+8613800000000", "错误", false, 0, 0, 0)
	for _, code := range []int{330, 331, 500, 512} {
		inject(t, s, fmt.Sprintf("cms-%d", code), 0, false)
		if got := sendPDU(t, c, pdu, n); got != fmt.Sprintf("\r\n+CMS ERROR: %d\r\n", code) {
			t.Fatalf("cms-%d: %q", code, got)
		}
	}
	// Each was for one send only.
	if got := sendPDU(t, c, pdu, n); got != "\r\n+CMGS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("after the one-shot faults: %q", got)
	}
	if m := s.Messages(); len(m) != 1 {
		t.Fatalf("failed sends were carried: %+v", m)
	}
}

func TestFaultSMSCUnknown(t *testing.T) {
	s := startSim(t, func(o *Options) { o.SMSC = "" })
	s.set.csca = "" // a SIM without a service centre
	c := dial(t, s)
	c.cmd("ATE0")
	pdu, n := submitPDU("+8613800000000", "x", false, 0, 0, 0)
	if got := sendPDU(t, c, pdu, n); got != "\r\n+CMS ERROR: 330\r\n" {
		t.Fatalf("no SMSC anywhere: %q", got)
	}
	c.cmd(`AT+CSCA="+8613800573500"`)
	if got := sendPDU(t, c, pdu, n); !strings.Contains(got, "+CMGS: 1") {
		t.Fatalf("after AT+CSCA: %q", got)
	}
}

func TestFaultNoPrompt(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	inject(t, s, FaultNoPrompt, 0, false)
	pdu, n := submitPDU("+8613800000000", "没有提示符", false, 0, 0, 0)
	c.write(fmt.Sprintf("AT+CMGS=%d\r", n), false)
	if got, err := c.readUntil("> ", 400*time.Millisecond); err == nil {
		t.Fatalf("prompt despite the fault: %q", got)
	}
	// The client gives up the way the AT driver does: ESC.
	c.write("\x1b", false)
	if got := c.final(); got != "\r\nOK\r\n" {
		t.Fatalf("ESC: %q", got)
	}
	if got := sendPDU(t, c, pdu, n); got != "\r\n+CMGS: 1\r\n\r\nOK\r\n" {
		t.Fatalf("next send: %q", got)
	}
}

func TestFaultSlowSend(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	inject(t, s, FaultSlowSend, 700*time.Millisecond, false)
	if f := s.Faults(); len(f) != 1 || f[0].ForText != "700ms" {
		t.Fatalf("faults: %+v", f)
	}
	pdu, n := submitPDU("+8613800000000", "慢", false, 0, 0, 0)
	start := time.Now()
	if got := sendPDU(t, c, pdu, n); !strings.Contains(got, "+CMGS: 1") {
		t.Fatalf("slow send: %q", got)
	}
	if d := time.Since(start); d < 700*time.Millisecond {
		t.Fatalf("slow send took %v", d)
	}
	start = time.Now()
	sendPDU(t, c, pdu, n)
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("the next send was slow too: %v", d)
	}
}

func TestFaultGarbage(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0")
	inject(t, s, FaultGarbage, 0, false)
	time.Sleep(100 * time.Millisecond)
	if got := c.cmd("AT"); len(got) < 48+len("\r\nOK\r\n") || !strings.HasSuffix(got, "\r\nOK\r\n") {
		t.Fatalf("garbage then AT: %q", got)
	}
	if f := s.Faults(); len(f) != 0 {
		t.Fatalf("garbage is not a lasting fault: %+v", f)
	}
}

func TestFaultStorageFull(t *testing.T) {
	s := startSim(t, nil)
	c := dial(t, s)
	c.cmd("ATE0;+CMEE=1;+CNMI=2,1,0,2,0")
	inject(t, s, FaultStorageFull, 0, false)
	if _, err := s.Inbound("+8613900000000", "满了"); !errors.Is(err, ErrStorageFull) {
		t.Fatalf("inbound: %v", err)
	}
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `+CPMS: "SM",30,30,"SM",30,30,"SM",30,30`) {
		t.Fatalf("AT+CPMS?: %q", got)
	}
	pdu, n := submitPDU("+8613800000000", "草稿", true, 0, 0, 0)
	c.write(fmt.Sprintf("AT+CMGW=%d\r", n), false)
	c.expect("> ")
	c.write(pdu+"\x1a", false)
	if got := c.final(); got != "\r\n+CMS ERROR: 322\r\n" {
		t.Fatalf("AT+CMGW: %q", got)
	}
	// Sending still works; its status report has nowhere to go.
	if got := sendPDU(t, c, pdu, n); !strings.Contains(got, "+CMGS: 1") {
		t.Fatalf("send: %q", got)
	}
	time.Sleep(200 * time.Millisecond)
	s.ClearFaults()
	if got := c.cmd("AT+CPMS?"); !strings.Contains(got, `"SM",0,30`) || strings.Contains(got, "CDSI") {
		t.Fatalf("after clearing: %q", got)
	}
	if _, err := s.Inbound("+8613900000000", "好了"); err != nil {
		t.Fatal(err)
	}
}

func TestFaultVanish(t *testing.T) {
	for _, now := range []bool{false, true} {
		t.Run(fmt.Sprintf("now=%v", now), func(t *testing.T) {
			s := startSim(t, nil)
			reopened := make(chan struct{}, 1)
			p, err := serial.Open(serial.Config{Path: s.Link(), ReadTimeout: 50 * time.Millisecond, ReopenMin: 20 * time.Millisecond, OnReopen: func() { reopened <- struct{}{} }})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			c := &client{t: t, port: p}
			c.cmd("ATE0;+CMGF=1")
			before := s.Device()
			inject(t, s, FaultVanish, 300*time.Millisecond, now)
			if !now {
				c.write("AT+CSQ\r", false)
			}
			// The command is never answered: the line is lost.
			_, err = c.readUntil("OK", 3*time.Second)
			if !errors.Is(err, serial.ErrLineLost) {
				t.Fatalf("vanish: %v", err)
			}
			select {
			case <-reopened:
			case <-time.After(5 * time.Second):
				t.Fatal("the port did not re-open")
			}
			c.got = nil
			// A modem fresh from reset: echo on, PDU mode.
			if got := c.cmd("AT+CMGF?"); got != "AT+CMGF?\r\r\n+CMGF: 0\r\n\r\nOK\r\n" {
				t.Fatalf("after coming back: %q", got)
			}
			if s.Device() == "" || s.Device() == before && !now {
				t.Logf("device %s, before %s", s.Device(), before)
			}
			if f := s.Faults(); len(f) != 0 {
				t.Fatalf("vanish is one-shot: %+v", f)
			}
		})
	}
}

// A send in the network's hands when the modem vanishes is not carried,
// and the client hears nothing.
func TestVanishDuringSend(t *testing.T) {
	s := startSim(t, func(o *Options) { o.SendLatency = 500 * time.Millisecond })
	p, err := serial.Open(serial.Config{Path: s.Link(), ReadTimeout: 50 * time.Millisecond, ReopenMin: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := &client{t: t, port: p}
	c.cmd("ATE0")
	pdu, n := submitPDU("+8613800000000", "丢失", false, 0, 0, 0)
	c.write(fmt.Sprintf("AT+CMGS=%d\r", n), false)
	c.expect("> ")
	c.write(pdu+"\x1a", false)
	time.Sleep(100 * time.Millisecond)
	inject(t, s, FaultVanish, 200*time.Millisecond, true)
	if _, err := c.readUntil("OK", 3*time.Second); !errors.Is(err, serial.ErrLineLost) {
		t.Fatalf("vanish during send: %v", err)
	}
	time.Sleep(700 * time.Millisecond)
	if m := s.Messages(); len(m) != 0 {
		t.Fatalf("carried: %+v", m)
	}
}

func TestUnknownFault(t *testing.T) {
	s := startSim(t, nil)
	err := s.InjectFault("meteor", 0, false)
	if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "no-network") {
		t.Fatalf("unknown fault: %v", err)
	}
}
