package main

import (
	"bufio"
	"crypto/tls"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// checkListener connects to the mail port port as a client told security
// would, and checks that the server answers that way: SSL is TLS from the
// first byte, STARTTLS is a plain greeting that offers STARTTLS.
func checkListener(t *testing.T, protocol string, port int, security string) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	d := &net.Dialer{Timeout: 5 * time.Second}
	var c net.Conn
	var err error
	if security == "SSL" {
		c, err = tls.DialWithDialer(d, "tcp", addr, &tls.Config{InsecureSkipVerify: true}) // the test server's self-signed certificate
	} else {
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		t.Errorf("%s %d %s: %v", protocol, port, security, err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	greeting, _ := r.ReadString('\n')
	switch protocol {
	case "imap":
		if !strings.HasPrefix(greeting, "* OK") {
			t.Errorf("imap %d %s: greeting %q", port, security, greeting)
			return
		}
		if security == "STARTTLS" {
			io.WriteString(c, "a CAPABILITY\r\n")
			caps, _ := r.ReadString('\n')
			if !strings.Contains(caps, "STARTTLS") {
				t.Errorf("imap %d, published as STARTTLS, does not offer it: %q", port, caps)
			}
		}
	case "smtp":
		if !strings.HasPrefix(greeting, "220 ") {
			t.Errorf("smtp %d %s: greeting %q", port, security, greeting)
			return
		}
		if security == "STARTTLS" {
			io.WriteString(c, "EHLO client.example\r\n")
			var ehlo strings.Builder
			for {
				line, err := r.ReadString('\n')
				ehlo.WriteString(line)
				if err != nil || len(line) < 4 || line[3] == ' ' {
					break
				}
			}
			if !strings.Contains(ehlo.String(), "STARTTLS") {
				t.Errorf("smtp %d, published as STARTTLS, does not offer it: %q", port, ehlo.String())
			}
		}
	}
}

// nonLoopback is an address of this machine that is not loopback: the
// way a client on the network reaches the server.
func nonLoopback(t *testing.T) string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	t.Skip("this machine has no address but loopback")
	return ""
}

// TestClientConfigMatchesListeners: what Thunderbird's autoconfig and
// Outlook's Autodiscover publish is what the server listens on, port by
// port and security by security, and a client on the network fetches the
// autoconfig over plain HTTP (port 80 style, autoconfig.DOMAIN) without
// being redirected.
func TestClientConfigMatchesListeners(t *testing.T) {
	ip := nonLoopback(t)
	ts := startDemoServer(t, func(c *Config) { c.Listen.HTTP = "0.0.0.0:0" })
	_, httpPort, _ := net.SplitHostPort(ts.addr("http"))
	listening := map[string]bool{}
	for name, sec := range map[string]string{"imap": "imap STARTTLS", "imaps": "imap SSL", "submission": "smtp STARTTLS", "submissions": "smtp SSL"} {
		_, p, _ := net.SplitHostPort(ts.addr(name))
		listening[sec+" "+p] = true
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	req, _ := http.NewRequest("GET", "http://"+net.JoinHostPort(ip, httpPort)+"/mail/config-v1.1.xml?emailaddress=lina%40nanhu.local", nil)
	req.Host = "autoconfig.nanhu.local"
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "xml") {
		t.Fatalf("autoconfig from the network over HTTP: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var tb struct {
		Provider struct {
			Servers []struct {
				XMLName  xml.Name
				Type     string `xml:"type,attr"`
				Hostname string `xml:"hostname"`
				Port     int    `xml:"port"`
				Socket   string `xml:"socketType"`
			} `xml:",any"`
		} `xml:"emailProvider"`
	}
	if err := xml.Unmarshal(body, &tb); err != nil {
		t.Fatalf("autoconfig XML: %v\n%s", err, body)
	}
	published := map[string]bool{}
	for _, s := range tb.Provider.Servers {
		if s.XMLName.Local != "incomingServer" && s.XMLName.Local != "outgoingServer" {
			continue
		}
		if s.Hostname != ts.cfg.Hostname {
			t.Errorf("autoconfig names host %q, want %q", s.Hostname, ts.cfg.Hostname)
		}
		published[s.Type+" "+s.Socket+" "+strconv.Itoa(s.Port)] = true
		checkListener(t, s.Type, s.Port, s.Socket)
	}
	for k := range listening {
		if !published[k] {
			t.Errorf("listening on %s, but autoconfig does not say so (%v)", k, published)
		}
	}
	for k := range published {
		if !listening[k] {
			t.Errorf("autoconfig publishes %s, which the server does not listen on", k)
		}
	}

	// Outlook: one way in each direction, the preferred one (implicit TLS).
	ad := `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>lina@nanhu.local</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`
	resp, err = http.Post("http://"+ts.addr("http")+"/autodiscover/autodiscover.xml", "text/xml", strings.NewReader(ad))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Response struct {
			Account struct {
				Protocols []struct {
					Type, Server, Encryption string
					Port                     int
				} `xml:"Protocol"`
			}
		}
	}
	if err := xml.Unmarshal(body, &out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("Autodiscover: %d %v\n%s", resp.StatusCode, err, body)
	}
	var types []string
	for _, p := range out.Response.Account.Protocols {
		types = append(types, p.Type)
		sec := map[string]string{"SSL": "SSL", "TLS": "STARTTLS"}[p.Encryption]
		proto := strings.ToLower(p.Type)
		if !listening[proto+" "+sec+" "+strconv.Itoa(p.Port)] {
			t.Errorf("Autodiscover publishes %s %s %d, which the server does not listen on", p.Type, p.Encryption, p.Port)
		}
		checkListener(t, proto, p.Port, sec)
	}
	if !slices.Equal(types, []string{"IMAP", "SMTP"}) {
		t.Errorf("Autodiscover protocols %v", types)
	}
}
