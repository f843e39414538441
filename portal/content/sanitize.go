package content

import (
	"html"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
)

// bodyPolicy is what an article's body may hold: text formatting,
// headings, lists, tables, links and images. No script, no style, no
// event handler, no frame or form; links open nothing but http(s),
// mailto and the portal's own paths, and images come from the portal
// itself (its files), never from another host.
var bodyPolicy = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "sub", "sup",
		"blockquote", "ul", "ol", "li", "hr", "pre", "code", "span", "div", "figure", "figcaption",
		"table", "thead", "tbody", "tfoot", "tr", "caption")
	p.AllowAttrs("colspan", "rowspan", "scope").OnElements("td", "th")
	p.AllowElements("td", "th")
	p.AllowStandardURLs()
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowAttrs("href", "title").OnElements("a")
	p.RequireNoFollowOnFullyQualifiedLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("alt", "title", "width", "height").OnElements("img")
	p.AllowAttrs("src").Matching(ownFile).OnElements("img")
	p.AllowAttrs("lang").Globally()
	return p
}()

// ownFile is the address of a file the portal serves.
var ownFile = regexp.MustCompile(`^/files/[0-9]+(/[^"'<>\s]*)?$`)

// Sanitize is body made safe to show: bluemonday's policy above.
func Sanitize(body string) string { return strings.TrimSpace(bodyPolicy.Sanitize(body)) }

var (
	tags   = regexp.MustCompile(`(?s)<[^>]*>`)
	blocks = regexp.MustCompile(`(?i)</?(p|br|h[1-6]|li|tr|div|blockquote|table|ul|ol|figure|figcaption)\b[^>]*>`)
	spaces = regexp.MustCompile(`[ \t\r\f\v\x{3000}]+`)
	blank  = regexp.MustCompile(`\n\s*\n+`)
)

// PlainText is the text of a (sanitised) body, a block a line: for
// search, snippets and descriptions.
func PlainText(body string) string {
	s := blocks.ReplaceAllString(body, "\n")
	s = tags.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = spaces.ReplaceAllString(s, " ")
	s = blank.ReplaceAllString(s, "\n")
	return strings.TrimSpace(s)
}
