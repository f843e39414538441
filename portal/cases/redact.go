package cases

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Personal data as it appears in letters and replies.
var (
	idCardRE  = regexp.MustCompile(`(^|[^0-9])([1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]|[1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})($|[^0-9Xx])`)
	mobileAny = regexp.MustCompile(`(^|[^0-9])(?:\+?86[- ]?)?(1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4})($|[^0-9])`)
	mailAny   = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// A house's number: 3幢2单元501室, 12号楼, 8号 after a road's name.
	houseRE  = regexp.MustCompile(`[0-9０-９]+(?:幢|栋|号楼|座)(?:[0-9０-９]+单元)?(?:[0-9０-９]+(?:室|号))?|[0-9０-９]+单元[0-9０-９]+(?:室|号)?|[0-9０-９]{3,4}室`)
	roadNoRE = regexp.MustCompile(`(\p{Han}{1,12}(?:路|街|大道|巷|弄|村))[0-9０-９]+(?:-[0-9]+)?号`)
)

// Redact is text with the personal data of a letter taken out before it
// is published: 身份证号, mobile numbers, mail addresses, the writer's name
// (its surname and 某 stay), the writer's address, and house numbers.
func Redact(text string, w Writer) string {
	if w.Address != "" && utf8.RuneCountInString(w.Address) >= 4 {
		text = strings.ReplaceAll(text, w.Address, "[地址已隐去]")
	}
	text = idCardRE.ReplaceAllString(text, "${1}[身份证号已隐去]${3}")
	// Twice: a number right after another shares the separator between.
	for range 2 {
		text = mobileAny.ReplaceAllString(text, "${1}[手机号已隐去]${3}")
	}
	text = mailAny.ReplaceAllString(text, "[邮箱已隐去]")
	text = roadNoRE.ReplaceAllString(text, "${1}**号")
	text = houseRE.ReplaceAllString(text, "**")
	if name := strings.TrimSpace(w.Name); utf8.RuneCountInString(name) >= 2 {
		surname, _ := utf8.DecodeRuneInString(name)
		text = strings.ReplaceAll(text, name, string(surname)+"某")
	}
	return text
}
