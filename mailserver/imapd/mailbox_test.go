package imapd

import (
	"context"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

func TestMailboxCommands(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.deliver(t, "lina", 3)
	c := e.login(t, "lina", nil)
	ctx := context.Background()

	// LIST-EXTENDED with LIST-STATUS and STATUS=SIZE.
	boxes, err := c.List("", "*", &imap.ListOptions{ReturnStatus: &imap.StatusOptions{NumMessages: true, Size: true, UIDNext: true}, ReturnSpecialUse: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]*imap.ListData{}
	for _, b := range boxes {
		seen[b.Mailbox] = b
	}
	if in := seen["INBOX"]; in == nil || in.Status == nil || *in.Status.NumMessages != 3 || *in.Status.Size == 0 || in.Status.UIDNext != 4 {
		t.Errorf("INBOX with LIST-STATUS: %+v", in)
	}
	if sent := seen["Sent"]; sent == nil || !hasAttr(sent.Attrs, imap.MailboxAttrSent) {
		t.Errorf("Sent lacks \\Sent: %+v", sent)
	}
	// SPECIAL-USE selection.
	special, _ := c.List("", "*", &imap.ListOptions{SelectSpecialUse: true}).Collect()
	if len(special) != 5 {
		t.Errorf("LIST (SPECIAL-USE) gave %d mailboxes, want 5", len(special))
	}

	// CREATE with a hierarchy and a special use; Chinese names.
	if err := c.Create("公文/收文/2026", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("已发公文", &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrArchive}}).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("公文", nil).Wait(); err == nil {
		t.Error("CREATE of an existing mailbox succeeded")
	}
	// DELETE refuses a mailbox with children, then works leaf first.
	if err := c.Delete("公文").Wait(); err == nil {
		t.Error("DELETE of a mailbox with children succeeded")
	}
	if err := c.Delete("INBOX").Wait(); err == nil {
		t.Error("DELETE INBOX succeeded")
	}
	// RENAME moves children along.
	if err := c.Rename("公文", "文件", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.MailboxByName(ctx, "lina", "文件/收文/2026"); err != nil {
		t.Errorf("child not renamed: %v", err)
	}
	// RENAME INBOX moves its messages and leaves it empty.
	if err := c.Rename("INBOX", "旧收件箱", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := e.st.Messages(ctx, "lina", "旧收件箱"); len(msgs) != 3 {
		t.Errorf("RENAME INBOX moved %d messages, want 3", len(msgs))
	}
	if sel, err := c.Select("INBOX", nil).Wait(); err != nil || sel.NumMessages != 0 {
		t.Errorf("INBOX after RENAME: %+v %v", sel, err)
	}
	// SUBSCRIBE / LSUB-style listing.
	if err := c.Unsubscribe("Junk").Wait(); err != nil {
		t.Fatal(err)
	}
	subs, _ := c.List("", "*", &imap.ListOptions{SelectSubscribed: true}).Collect()
	for _, b := range subs {
		if b.Mailbox == "Junk" {
			t.Error("unsubscribed Junk is listed as subscribed")
		}
	}
	// Partial FETCH and BINARY of a quoted-printable body.
	raw := "Subject: qp\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E4=BD=A0=E5=A5=BD\r\n"
	app := c.Append("旧收件箱", int64(len(raw)), nil)
	app.Write([]byte(raw))
	app.Close()
	ad, err := app.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("旧收件箱", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	partial := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: 11}}
	binary := &imap.FetchItemBinarySection{Part: []int{1}, Peek: true}
	msgs, err := c.Fetch(imap.UIDSetNum(ad.UID), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{partial}, BinarySection: []*imap.FetchItemBinarySection{binary}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("FETCH partial/binary: %v %v", msgs, err)
	}
	if got := string(msgs[0].FindBodySection(partial)); got != "Subject: qp" {
		t.Errorf("BODY[]<0.11> = %q", got)
	}
	if got := string(msgs[0].FindBinarySection(binary)); !strings.HasPrefix(got, "你好") {
		t.Errorf("BINARY[1] = %q, want the decoded 你好", got)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Errorf("UNSELECT: %v", err)
	}
}

func hasAttr(attrs []imap.MailboxAttr, a imap.MailboxAttr) bool {
	for _, x := range attrs {
		if x == a {
			return true
		}
	}
	return false
}

// TestListDelimiter: LIST "" "" names the hierarchy delimiter and the root
// (RFC 3501 §6.3.8), which clients ask before they make subfolders.
func TestListDelimiter(t *testing.T) {
	e := newEnv(t, nil, nil)
	s := dialRaw(t, e.addr, false)
	s.do("LOGIN lina secret-2004")
	for _, cmd := range []string{`LIST "" ""`, `LIST "INBOX" ""`} {
		got := untagged(s.do(cmd))
		if got != "* LIST (\\Noselect) \"/\" \"\"\r\n" {
			t.Errorf("%s: %q", cmd, got)
		}
	}
}
