package imapd

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"nanhu/internal/ratelimit"
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
	// What the guard in front of go-imap answers: ID, STARTTLS, huge
	// literals, literals hiding command-like lines, client mistakes.
	f.Add([]byte("a ID (\"name\" \"x\")\r\nb STARTTLS\r\nc LOGIN {999999999}\r\n"))
	f.Add([]byte("a LOGIN lina {11+}\r\nsecret-2004\r\nb CREATE {9}\r\nc ID NIL\r\nd APPEND INBOX {12+}\r\ne ID NIL\r\n\r\nf SELECT INBOX\r\ng UID FETCH 0:* FLAGS\r\nh SEARCH ((((ALL))))\r\n"))
	// Fuzz inputs log in with wrong passwords; the lockout must not end the run.
	e := newEnv(f, nil, ratelimit.New(ratelimit.Options{AuthFailuresPerUser: 1 << 30, AuthFailuresPerIP: 1 << 30}, nil))
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

// FuzzStructure feeds arbitrary messages to the BODYSTRUCTURE and BINARY
// builders: they must describe whatever arrives without panicking.
func FuzzStructure(f *testing.F) {
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"a;b\"\r\n\r\n--a;b\r\nContent-Type: text/plain; charset=GB2312; name=\"=?GB2312?B?xOO6ww==?=\"\r\nContent-Transfer-Encoding: base64\r\n\r\nxOO6ww==\r\n--a;b\r\nContent-Type: message/rfc822\r\n\r\nSubject: x\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\n\r\nhi\r\n--c--\r\n--a;b--\r\n"), []byte{1, 2, 1})
	f.Add([]byte("Content-Type: text/plain; a=\"\\\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E4=BD=\r\n"), []byte{1})
	f.Add([]byte("Content-Type: ;;=;\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n"), []byte{})
	f.Fuzz(func(t *testing.T, raw, path []byte) {
		e := readEntity(raw)
		_ = bodyStructure(e, 0)
		var part []int
		for _, p := range path {
			part = append(part, int(p%5))
		}
		binarySection(raw, &imap.FetchItemBinarySection{Part: part})
		parseParams(string(raw))
	})
}
