package smtpd

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"nanhu/mailserver/mailauth"
)

// FuzzSession drives whole SMTP conversations of arbitrary bytes against a
// live server: whatever arrives, the server answers or closes, never
// crashes or hangs, and keeps serving the next client.
func FuzzSession(f *testing.F) {
	f.Add([]byte("EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<lina@nanhu.local>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n"))
	f.Add([]byte("EHLO x\r\nMAIL FROM:<a@example.org> SIZE=12\r\nRCPT TO:<bgs@nanhu.local>\r\nBDAT 5 LAST\r\nhello"))
	f.Add([]byte("EHLO x\r\nAUTH LOGIN\r\nbGluYQ==\r\nc2VjcmV0\r\nAUTH PLAIN AGxpbmEAc2VjcmV0\r\n"))
	f.Add([]byte("HELO\r\nMAIL FROM:<>\r\nRCPT TO:<\x00@nanhu.local>\r\nRSET\r\nNOOP\r\nVRFY x\r\n\xff\xfe\r\n"))
	f.Add([]byte("EHLO x\r\nMAIL FROM:<a@example.org> SMTPUTF8 BODY=8BITMIME\r\nRCPT TO:<李娜@nanhu.local>\r\n"))
	f.Add([]byte("EHLO x\r\nMAIL FROM:<zhangwei@nanhu.local>\r\nRCPT TO:<lina@nanhu.local>\r\nDATA\r\nFrom: zhangwei@nanhu.local\r\n\r\nx\r\n.\r\n"))
	f.Add([]byte("EHLO x\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<lina@nanhu.local>\r\nDATA\r\nAuthentication-Results: mail.nanhu.local; dmarc=pass\r\nFrom: \"x <zhangwei@nanhu.local>\r\nDKIM-Signature: v=1; d=nanhu.local; s=nanhu; b=x\r\n\r\nx\r\n.\r\n"))
	key := newDKIMKey(f)
	e := newEnv(f, func(o *Options) { o.Checker = checkerFor(key, mailauth.Static{}) })
	f.Fuzz(func(t *testing.T, input []byte) {
		conn, err := net.Dial("tcp", e.mx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			conn.Write(input)
			conn.(*net.TCPConn).CloseWrite()
		}()
		if _, err := io.Copy(io.Discard, conn); err != nil {
			t.Fatalf("server neither answered nor closed: %v", err)
		}
		c, err := smtp.Dial(e.mx)
		if err != nil {
			t.Fatalf("server stopped serving: %v", err)
		}
		if err := c.Noop(); err != nil {
			t.Fatalf("server broken after the input: %v", err)
		}
		c.Close()
	})
}

// FuzzLoginServer feeds arbitrary responses to the LOGIN mechanism.
func FuzzLoginServer(f *testing.F) {
	f.Add([]byte("lina"), []byte("secret"), true)
	f.Add([]byte{}, []byte{0}, false)
	f.Fuzz(func(t *testing.T, user, pass []byte, initial bool) {
		var gotUser, gotPass string
		s := &loginServer{authenticate: func(u, p string) error { gotUser, gotPass = u, p; return nil }}
		var first []byte
		if initial {
			first = user
		}
		ch, done, err := s.Next(first)
		if err != nil || done {
			t.Fatalf("first step: done=%v err=%v", done, err)
		}
		if !initial {
			if string(ch) != "Username:" {
				t.Fatalf("challenge %q", ch)
			}
			if _, done, err = s.Next(user); done || err != nil {
				t.Fatalf("user step: %v %v", done, err)
			}
		}
		if _, done, err = s.Next(pass); !done || err != nil {
			t.Fatalf("password step: %v %v", done, err)
		}
		if gotUser != string(user) || gotPass != string(pass) {
			t.Fatalf("authenticated %q/%q, want %q/%q", gotUser, gotPass, user, pass)
		}
		if _, _, err := s.Next(nil); err == nil {
			t.Fatal("a fourth step was accepted")
		}
	})
}
