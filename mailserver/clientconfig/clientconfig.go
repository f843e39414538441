// Package clientconfig writes the files with which mail clients set
// themselves up for a Nanhu account: Thunderbird's autoconfig
// (config-v1.1.xml), Outlook's Autodiscover (the POX schema of 2006) and
// Apple's configuration profile (.mobileconfig). Each tells the same
// servers, ports and security as the settings page; none carries a
// password.
package clientconfig

import (
	"bytes"
	"crypto/sha256"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Settings are what a client must be told.
type Settings struct {
	// Hostname is the server's name, the same for IMAP and SMTP.
	Hostname string
	// Domain is the mail domain (the autoconfig provider's id).
	Domain string
	// DisplayName names the service in the client: 南湖邮件.
	DisplayName string
	// The ports; 0 for a listener that is off.
	IMAPS, IMAP, Submissions, Submission int
}

// Server is one way to reach a service, best first.
type Server struct {
	Protocol string // "imap" or "smtp"
	Port     int
	// Security is "SSL" (implicit TLS) or "STARTTLS".
	Security string
}

// Incoming are the IMAP ways in, best first (implicit TLS, RFC 8314).
func (s Settings) Incoming() []Server { return ways("imap", s.IMAPS, s.IMAP) }

// Outgoing are the submission ways, best first.
func (s Settings) Outgoing() []Server { return ways("smtp", s.Submissions, s.Submission) }

// ways lists a protocol's listeners that are on: implicit TLS before
// STARTTLS.
func ways(protocol string, implicitTLS, startTLS int) []Server {
	var out []Server
	if implicitTLS > 0 {
		out = append(out, Server{protocol, implicitTLS, "SSL"})
	}
	if startTLS > 0 {
		out = append(out, Server{protocol, startTLS, "STARTTLS"})
	}
	return out
}

func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Thunderbird is config-v1.1.xml for the domain: the user name is the
// whole address, which Nanhu accepts as well as the login.
func (s Settings) Thunderbird() []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<clientConfig version=\"1.1\">\n  <emailProvider id=\"%s\">\n    <domain>%s</domain>\n", esc(s.Domain), esc(s.Domain))
	fmt.Fprintf(&b, "    <displayName>%s</displayName>\n    <displayShortName>%s</displayShortName>\n", esc(s.DisplayName), esc(s.DisplayName))
	for _, srv := range s.Incoming() {
		fmt.Fprintf(&b, "    <incomingServer type=\"imap\">\n      <hostname>%s</hostname>\n      <port>%d</port>\n      <socketType>%s</socketType>\n"+
			"      <authentication>password-cleartext</authentication>\n      <username>%%EMAILADDRESS%%</username>\n    </incomingServer>\n",
			esc(s.Hostname), srv.Port, srv.Security)
	}
	for _, srv := range s.Outgoing() {
		fmt.Fprintf(&b, "    <outgoingServer type=\"smtp\">\n      <hostname>%s</hostname>\n      <port>%d</port>\n      <socketType>%s</socketType>\n"+
			"      <authentication>password-cleartext</authentication>\n      <username>%%EMAILADDRESS%%</username>\n    </outgoingServer>\n",
			esc(s.Hostname), srv.Port, srv.Security)
	}
	b.WriteString("  </emailProvider>\n</clientConfig>\n")
	return b.Bytes()
}

// Autodiscover's schemas.
const (
	requestSchema  = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
	responseSchema = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
	outerSchema    = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	mobileSchema   = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
)

// ErrBadRequest is wrapped by ParseAutodiscover's errors.
var ErrBadRequest = errors.New("not an Autodiscover request")

// maxRequest bounds an Autodiscover request body.
const maxRequest = 16 << 10

// ParseAutodiscover reads an Autodiscover request and returns the address
// it asks about. A request for another schema (ActiveSync) or without an
// address is refused with ErrBadRequest.
func ParseAutodiscover(r io.Reader) (string, error) {
	var req struct {
		XMLName xml.Name `xml:"Autodiscover"`
		Request struct {
			EMailAddress             string `xml:"EMailAddress"`
			AcceptableResponseSchema string `xml:"AcceptableResponseSchema"`
		} `xml:"Request"`
	}
	body, err := io.ReadAll(io.LimitReader(r, maxRequest+1))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if len(body) > maxRequest {
		return "", fmt.Errorf("%w: the request is longer than %d bytes", ErrBadRequest, maxRequest)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	if err := dec.Decode(&req); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	if ns := req.XMLName.Space; ns != "" && ns != requestSchema {
		if ns == mobileSchema {
			return "", fmt.Errorf("%w: ActiveSync (mobilesync) is not offered; set the account up as IMAP", ErrBadRequest)
		}
		return "", fmt.Errorf("%w: unknown schema %q", ErrBadRequest, ns)
	}
	if s := strings.TrimSpace(req.Request.AcceptableResponseSchema); s != "" && s != responseSchema {
		return "", fmt.Errorf("%w: the response schema %q is not offered", ErrBadRequest, s)
	}
	addr := strings.TrimSpace(req.Request.EMailAddress)
	if addr == "" || len(addr) > 320 || !strings.Contains(addr, "@") || strings.ContainsAny(addr, " <>\r\n\x00") {
		return "", fmt.Errorf("%w: no valid EMailAddress", ErrBadRequest)
	}
	return addr, nil
}

// Autodiscover is the response to a request about addr.
func (s Settings) Autodiscover(addr string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, "<Autodiscover xmlns=\"%s\">\n  <Response xmlns=\"%s\">\n    <User>\n      <DisplayName>%s</DisplayName>\n    </User>\n"+
		"    <Account>\n      <AccountType>email</AccountType>\n      <Action>settings</Action>\n", outerSchema, responseSchema, esc(addr))
	protocol := func(kind string, srv Server) {
		enc := "SSL"
		if srv.Security == "STARTTLS" {
			enc = "TLS"
		}
		fmt.Fprintf(&b, "      <Protocol>\n        <Type>%s</Type>\n        <Server>%s</Server>\n        <Port>%d</Port>\n"+
			"        <DomainRequired>off</DomainRequired>\n        <LoginName>%s</LoginName>\n        <SPA>off</SPA>\n"+
			"        <Encryption>%s</Encryption>\n        <AuthRequired>on</AuthRequired>\n      </Protocol>\n",
			kind, esc(s.Hostname), srv.Port, esc(addr), enc)
	}
	if in := s.Incoming(); len(in) > 0 {
		protocol("IMAP", in[0])
	}
	if out := s.Outgoing(); len(out) > 0 {
		protocol("SMTP", out[0])
	}
	b.WriteString("    </Account>\n  </Response>\n</Autodiscover>\n")
	return b.Bytes()
}

// uuidFrom makes a stable UUID (version 5 style) of the parts, so that a
// profile installed twice replaces itself.
func uuidFrom(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%X-%X-%X-%X-%X", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// MobileConfig is an Apple configuration profile for addr (unsigned).
func (s Settings) MobileConfig(addr string) ([]byte, error) {
	in, out := s.Incoming(), s.Outgoing()
	if len(in) == 0 || len(out) == 0 {
		return nil, errors.New("no IMAP or no submission listener to configure")
	}
	id := "cn.nanhu.mail." + strings.ReplaceAll(s.Domain, ".", "-")
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString("<plist version=\"1.0\">\n<dict>\n")
	kv := func(indent, k, typ, v string) {
		if typ == "bool" {
			fmt.Fprintf(&b, "%s<key>%s</key>\n%s<%s/>\n", indent, k, indent, v)
			return
		}
		fmt.Fprintf(&b, "%s<key>%s</key>\n%s<%s>%s</%s>\n", indent, k, indent, typ, esc(v), typ)
	}
	boolean := func(v bool) string {
		if v {
			return "true"
		}
		return "false"
	}
	b.WriteString("  <key>PayloadContent</key>\n  <array>\n  <dict>\n")
	const in4 = "    "
	kv(in4, "EmailAccountDescription", "string", s.DisplayName)
	kv(in4, "EmailAccountName", "string", addr)
	kv(in4, "EmailAccountType", "string", "EmailTypeIMAP")
	kv(in4, "EmailAddress", "string", addr)
	kv(in4, "IncomingMailServerAuthentication", "string", "EmailAuthPassword")
	kv(in4, "IncomingMailServerHostName", "string", s.Hostname)
	kv(in4, "IncomingMailServerPortNumber", "integer", fmt.Sprint(in[0].Port))
	kv(in4, "IncomingMailServerUseSSL", "bool", boolean(in[0].Security == "SSL"))
	kv(in4, "IncomingMailServerUsername", "string", addr)
	kv(in4, "OutgoingMailServerAuthentication", "string", "EmailAuthPassword")
	kv(in4, "OutgoingMailServerHostName", "string", s.Hostname)
	kv(in4, "OutgoingMailServerPortNumber", "integer", fmt.Sprint(out[0].Port))
	kv(in4, "OutgoingMailServerUseSSL", "bool", boolean(out[0].Security == "SSL"))
	kv(in4, "OutgoingMailServerUsername", "string", addr)
	kv(in4, "OutgoingPasswordSameAsIncomingPassword", "bool", "true")
	kv(in4, "PayloadDescription", "string", "邮件账户 "+addr)
	kv(in4, "PayloadDisplayName", "string", s.DisplayName)
	kv(in4, "PayloadIdentifier", "string", id+".account."+uuidFrom(addr))
	kv(in4, "PayloadType", "string", "com.apple.mail.managed")
	kv(in4, "PayloadUUID", "string", uuidFrom("account", addr, s.Hostname))
	kv(in4, "PayloadVersion", "integer", "1")
	b.WriteString("  </dict>\n  </array>\n")
	kv("  ", "PayloadDescription", "string", "为 "+addr+" 设置邮件（IMAP 与 SMTP，均加密）。")
	kv("  ", "PayloadDisplayName", "string", s.DisplayName+"："+addr)
	kv("  ", "PayloadIdentifier", "string", id)
	kv("  ", "PayloadOrganization", "string", s.DisplayName)
	kv("  ", "PayloadRemovalDisallowed", "bool", "false")
	kv("  ", "PayloadType", "string", "Configuration")
	kv("  ", "PayloadUUID", "string", uuidFrom("profile", addr, s.Hostname))
	kv("  ", "PayloadVersion", "integer", "1")
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes(), nil
}
