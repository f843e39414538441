package imapd

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"nanhu/mailserver/limits"
)

// FuzzSession drives whole IMAP conversations of arbitrary bytes, logged in
// and not: broken literals, huge literal sizes, commands in the wrong
// state, garbage. The server must answer or close, never crash or hang, and
// keep serving the next client.
func FuzzSession(f *testing.F) {
	f.Add([]byte("a LOGIN lina secret-2004\r\nb SELECT INBOX\r\nc UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODYSTRUCTURE)\r\nd LOGOUT\r\n"))
	f.Add([]byte("a LOGIN lina secret-2004\r\nb APPEND INBOX {99999999999}\r\n"))
	f.Add([]byte("a LOGIN lina secret-2004\r\nb APPEND INBOX (\\Seen) {5+}\r\nhello\r\nc SELECT INBOX\r\nd SEARCH CHARSET UTF-8 TEXT {6+}\r\n电子\r\n"))
	f.Add([]byte("a FETCH 1 BODY[]\r\nb SELECT\r\n\x00\xff{3}\r\n)))(((\r\n"))
	f.Add([]byte("a LOGIN lina secret-2004\r\nb SELECT INBOX\r\nc STORE 1:* +FLAGS (\\Deleted $x)\r\nd MOVE 1 Trash\r\ne EXPUNGE\r\nf IDLE\r\nDONE\r\n"))
	f.Add([]byte("a LOGIN lina secret-2004\r\nb CREATE \"&UXxlhw-/&ZTZlhw-\"\r\nc LIST \"\" * RETURN (STATUS (MESSAGES SIZE) SPECIAL-USE)\r\nd RENAME INBOX 旧\r\n"))
	// Fuzz inputs log in with wrong passwords; the lockout must not end the run.
	e := newEnv(f, nil, limits.New(limits.Options{AuthFailuresPerUser: 1 << 30, AuthFailuresPerIP: 1 << 30}, nil))
	e.deliver(f, "lina", 3)
	f.Fuzz(func(t *testing.T, input []byte) {
		conn, err := net.Dial("tcp", e.addr)
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
		c, err := imapclient.DialInsecure(e.addr, nil)
		if err != nil {
			t.Fatalf("server stopped serving: %v", err)
		}
		defer c.Close()
		if err := c.Login("lina", "secret-2004").Wait(); err != nil {
			t.Fatalf("server broken after the input: %v", err)
		}
		if _, err := c.Select("INBOX", nil).Wait(); err != nil {
			t.Fatalf("INBOX unusable after the input: %v", err)
		}
	})
}
