package clientconfig

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

var demo = Settings{Hostname: "mail.nanhu.local", Domain: "nanhu.local", DisplayName: "南湖邮件", IMAPS: 1993, IMAP: 1143, Submissions: 2465, Submission: 2587}

func wellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(b)))
	d.Strict = true
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				return
			}
			t.Fatalf("not well-formed XML: %v\n%s", err, b)
		}
	}
}

func TestThunderbird(t *testing.T) {
	b := demo.Thunderbird()
	wellFormed(t, b)
	var c struct {
		Provider struct {
			ID       string `xml:"id,attr"`
			Domain   string `xml:"domain"`
			Incoming []struct {
				Type     string `xml:"type,attr"`
				Hostname string `xml:"hostname"`
				Port     int    `xml:"port"`
				Socket   string `xml:"socketType"`
				User     string `xml:"username"`
			} `xml:"incomingServer"`
			Outgoing []struct {
				Port   int    `xml:"port"`
				Socket string `xml:"socketType"`
			} `xml:"outgoingServer"`
		} `xml:"emailProvider"`
	}
	if err := xml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	p := c.Provider
	if p.ID != "nanhu.local" || len(p.Incoming) != 2 || p.Incoming[0].Port != 1993 || p.Incoming[0].Socket != "SSL" ||
		p.Incoming[1].Socket != "STARTTLS" || p.Incoming[0].User != "%EMAILADDRESS%" || p.Incoming[0].Hostname != "mail.nanhu.local" {
		t.Errorf("incoming %+v", p)
	}
	if len(p.Outgoing) != 2 || p.Outgoing[0].Port != 2465 || p.Outgoing[1].Socket != "STARTTLS" {
		t.Errorf("outgoing %+v", p.Outgoing)
	}
	// A listener turned off is not offered.
	s := demo
	s.IMAP = 0
	if strings.Contains(string(s.Thunderbird()), "1143") {
		t.Error("the switched-off IMAP port is offered")
	}
}

func TestAutodiscover(t *testing.T) {
	req := `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request><EMailAddress>zhangwei@nanhu.local</EMailAddress>
  <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request>
</Autodiscover>`
	addr, err := ParseAutodiscover(strings.NewReader(req))
	if err != nil || addr != "zhangwei@nanhu.local" {
		t.Fatalf("%q %v", addr, err)
	}
	b := demo.Autodiscover(addr)
	wellFormed(t, b)
	for _, want := range []string{"<Type>IMAP</Type>", "<Port>1993</Port>", "<Type>SMTP</Type>", "<Port>2465</Port>",
		"<Encryption>SSL</Encryption>", "<LoginName>zhangwei@nanhu.local</LoginName>", "<Action>settings</Action>"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("response lacks %s:\n%s", want, b)
		}
	}
	for _, bad := range []string{
		"", "<x/>", "<Autodiscover><Request></Request></Autodiscover>",
		`<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>a@b</EMailAddress></Request></Autodiscover>`,
		`<Autodiscover><Request><EMailAddress>a@b</EMailAddress><AcceptableResponseSchema>urn:other</AcceptableResponseSchema></Request></Autodiscover>`,
		`<Autodiscover><Request><EMailAddress>no-at-sign</EMailAddress></Request></Autodiscover>`,
		"<Autodiscover><Request><EMailAddress>" + strings.Repeat("a", 20000) + "@b</EMailAddress></Request></Autodiscover>",
	} {
		if _, err := ParseAutodiscover(strings.NewReader(bad)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("ParseAutodiscover(%.60q): %v", bad, err)
		}
	}
}

func TestMobileConfig(t *testing.T) {
	b, err := demo.MobileConfig("lina@nanhu.local")
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b)
	s := string(b)
	for _, want := range []string{"<string>com.apple.mail.managed</string>", "<string>EmailTypeIMAP</string>",
		"<key>IncomingMailServerPortNumber</key>\n    <integer>1993</integer>", "<key>IncomingMailServerUseSSL</key>\n    <true/>"} {
		if !strings.Contains(s, want) {
			t.Errorf("profile lacks %q", want)
		}
	}
	b2, _ := demo.MobileConfig("lina@nanhu.local")
	if string(b) != string(b2) {
		t.Error("the profile's UUIDs are not stable")
	}
	if _, err := (Settings{Hostname: "x"}).MobileConfig("a@b"); err == nil {
		t.Error("a profile without listeners was made")
	}
}

// FuzzAutodiscover: whatever a client posts, the parser answers with an
// address or ErrBadRequest, and a response made for the address is
// well-formed XML.
func FuzzAutodiscover(f *testing.F) {
	f.Add(`<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>a@b.cn</EMailAddress></Request></Autodiscover>`)
	f.Add(`<Autodiscover><Request><EMailAddress>&lt;x&gt;@b</EMailAddress></Request></Autodiscover>`)
	f.Add("<!DOCTYPE x [<!ENTITY a \"b\">]><Autodiscover/>")
	f.Fuzz(func(t *testing.T, body string) {
		addr, err := ParseAutodiscover(strings.NewReader(body))
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error not ErrBadRequest: %v", err)
			}
			return
		}
		wellFormed(t, demo.Autodiscover(addr))
	})
}
