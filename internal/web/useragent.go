package web

import "strings"

// browserOf names the browser and system of a User-Agent header the way
// a person recognises them ("Chrome 120 · Windows"), for the list of
// sign-in sessions; the full header stays in the page as a tooltip. An
// agent it does not know is shown as sent, cut to 60 characters.
func browserOf(ua string) string {
	if ua == "" {
		return "未知"
	}
	name := ""
	for _, b := range []struct{ token, name string }{
		// Order matters: Edge, Opera and the Chinese browsers carry
		// "Chrome/" too, and Chrome carries "Safari/".
		{"MicroMessenger/", "微信"},
		{"QQBrowser/", "QQ 浏览器"},
		{"Edg/", "Edge"},
		{"OPR/", "Opera"},
		{"Firefox/", "Firefox"},
		{"HeadlessChrome/", "Chrome"},
		{"Chrome/", "Chrome"},
		{"Version/", "Safari"},
	} {
		if i := strings.Index(ua, b.token); i >= 0 {
			name = b.name
			if v := major(ua[i+len(b.token):]); v != "" {
				name += " " + v
			}
			break
		}
	}
	system := ""
	for _, s := range []struct{ token, name string }{
		{"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"},
		{"Windows", "Windows"}, {"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	switch {
	case name != "" && system != "":
		return name + " · " + system
	case name != "":
		return name
	}
	if r := []rune(ua); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return ua
}

// major is the leading run of digits of a version.
func major(v string) string {
	n := 0
	for n < len(v) && v[n] >= '0' && v[n] <= '9' {
		n++
	}
	return v[:n]
}
