package outbound

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"
)

// dsnRecipient is one recipient reported in a DSN.
type dsnRecipient struct {
	addr        string
	status      string
	diag        string
	remote      string
	lastAttempt time.Time
}

// dsn describes a delivery status notification (RFC 3464) to compose.
type dsn struct {
	hostname   string    // Reporting-MTA
	delayed    bool      // Action delayed (else failed)
	to         string    // the original envelope sender
	arrival    time.Time // when the original was queued
	retryUntil time.Time // for delays: when the queue gives up
	rcpts      []dsnRecipient
	original   []byte // the original message; only its header is attached
	now        time.Time
}

const dsnDate = time.RFC1123Z

// compose renders the DSN as a multipart/report message with CRLF line ends.
func (d *dsn) compose() []byte {
	boundary := randomHex(12)
	var b bytes.Buffer
	w := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}

	subject := "退信：邮件无法投递 / Undelivered Mail Returned to Sender"
	if d.delayed {
		subject = "延迟：邮件尚未投递 / Delivery Delayed"
	}
	origHeader := headerSection(d.original)
	utf8 := !isASCII(d.to) || !isASCII(origHeader)
	for _, r := range d.rcpts {
		utf8 = utf8 || !isASCII(r.addr)
	}

	w("From: %s <MAILER-DAEMON@%s>", mime.BEncoding.Encode("UTF-8", "邮件系统 Mail Delivery System"), d.hostname)
	w("To: <%s>", d.to)
	w("Subject: %s", mime.BEncoding.Encode("UTF-8", subject))
	w("Date: %s", d.now.Format(dsnDate))
	w("Message-ID: <%s@%s>", randomHex(16), d.hostname)
	origFields := readHeader(d.original)
	if id := origFields.Get("Message-Id"); id != "" && isASCII(id) && len(id) < 900 {
		w("In-Reply-To: %s", id)
		w("References: %s", id)
	}
	w("Auto-Submitted: auto-replied")
	w("MIME-Version: 1.0")
	w("Content-Type: multipart/report; report-type=delivery-status;")
	w("\tboundary=\"%s\"", boundary)
	w("")
	w("This is a MIME-formatted delivery status notification.")
	w("")

	// Human-readable part, Chinese first, then English.
	w("--%s", boundary)
	w("Content-Type: text/plain; charset=utf-8")
	w("Content-Transfer-Encoding: quoted-printable")
	w("")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(d.humanText(), "\n", "\r\n")))
	qp.Close()
	w("")

	// Machine-readable part.
	w("--%s", boundary)
	if utf8 {
		w("Content-Type: message/global-delivery-status")
	} else {
		w("Content-Type: message/delivery-status")
	}
	w("")
	w("Reporting-MTA: dns; %s", d.hostname)
	w("Arrival-Date: %s", d.arrival.Format(dsnDate))
	for _, r := range d.rcpts {
		w("")
		addrType := "rfc822"
		if !isASCII(r.addr) {
			addrType = "utf-8"
		}
		w("Final-Recipient: %s; %s", addrType, r.addr)
		if d.delayed {
			w("Action: delayed")
		} else {
			w("Action: failed")
		}
		status := r.status
		if status == "" { // not tried yet
			status = map[bool]string{true: "4.0.0", false: "5.0.0"}[d.delayed]
		}
		w("Status: %s", status)
		if r.remote != "" {
			w("Remote-MTA: dns; %s", r.remote)
		}
		if r.diag != "" {
			w("Diagnostic-Code: %s", clip(oneLine(r.diag), 900))
		}
		if !r.lastAttempt.IsZero() {
			w("Last-Attempt-Date: %s", r.lastAttempt.Format(dsnDate))
		}
		if d.delayed && !d.retryUntil.IsZero() {
			w("Will-Retry-Until: %s", d.retryUntil.Format(dsnDate))
		}
	}
	w("")

	// The original header.
	w("--%s", boundary)
	if utf8 {
		w("Content-Type: message/global-headers")
	} else {
		w("Content-Type: text/rfc822-headers")
	}
	w("")
	b.Write(origHeader)
	w("")
	w("--%s--", boundary)
	return b.Bytes()
}

func (d *dsn) humanText() string {
	var t strings.Builder
	list := func(reason string) {
		for _, r := range d.rcpts {
			fmt.Fprintf(&t, "  <%s>\n", r.addr)
			if r.diag != "" {
				_, text, _ := strings.Cut(r.diag, "; ")
				fmt.Fprintf(&t, "    %s: %s\n", reason, clip(oneLine(text), 400))
			}
		}
		t.WriteString("\n")
	}
	until := d.retryUntil.Format("2006-01-02 15:04 MST")
	if d.delayed {
		fmt.Fprintf(&t, "这是 %s 邮件系统自动发出的通知。\n\n", d.hostname)
		t.WriteString("您的邮件暂时还没有投递给以下收件人：\n\n")
		list("原因")
		fmt.Fprintf(&t, "系统会继续尝试投递，直到 %s。无需重新发送；如果届时仍未送达，您会再收到一封退信通知。\n\n", until)
		t.WriteString("----\n\n")
		fmt.Fprintf(&t, "This is the mail system at %s.\n\n", d.hostname)
		t.WriteString("Your message has not yet been delivered to the following recipients:\n\n")
		list("Reason")
		fmt.Fprintf(&t, "The system will keep trying until %s. You need not send it again; if it still cannot be delivered by then, you will receive a failure notice.\n", until)
	} else {
		fmt.Fprintf(&t, "这是 %s 邮件系统自动发出的通知。\n\n", d.hostname)
		t.WriteString("您的邮件无法投递给以下收件人，系统已停止尝试：\n\n")
		list("原因")
		t.WriteString("请核对收件人地址，或将原因转告系统管理员。原邮件的信头附在本通知之后。\n\n")
		t.WriteString("----\n\n")
		fmt.Fprintf(&t, "This is the mail system at %s.\n\n", d.hostname)
		t.WriteString("Your message could not be delivered to the following recipients, and no further attempts will be made:\n\n")
		list("Reason")
		t.WriteString("Please check the addresses, or pass the reason on to your administrator. The header of your message is attached below.\n")
	}
	return t.String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut at a rune boundary.
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "..."
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
