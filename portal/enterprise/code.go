package enterprise

import (
	"errors"
	"strings"
)

// uscc are the characters of a 统一社会信用代码 (GB 32100-2015) in the order
// of their values 0–30: the digits and the capital letters without I, O,
// Z, S and V.
const uscc = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are 3^(i) mod 31 for the first 17 characters.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// orgWeights are GB 11714's weights for the 组织机构代码 (characters 9–16
// of the credit code, the 17th its check character).
var orgWeights = [8]int{3, 7, 9, 10, 5, 8, 4, 2}

// Errors of CheckCode.
var (
	ErrCodeLength = errors.New("统一社会信用代码应为 18 位。")
	ErrCodeChars  = errors.New("统一社会信用代码只含数字和大写字母（不含 I、O、Z、S、V）。")
	ErrCodeCheck  = errors.New("统一社会信用代码的校验位不对，请核对营业执照上的代码。")
)

// NormalCode is code as it is kept: without spaces, in capitals, and
// full-width letters and digits folded to half-width.
func NormalCode(code string) string {
	var b strings.Builder
	for _, r := range code {
		switch {
		case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
			r -= 0xFEE0
		case r == ' ' || r == '\u3000' || r == '-' || r == '\t':
			continue
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

// CheckCode checks a 统一社会信用代码 (already normal): its length, its
// characters, the 组织机构代码's check character (GB 11714) and the
// code's own (GB 32100-2015).
func CheckCode(code string) error {
	if len(code) != 18 {
		return ErrCodeLength
	}
	var v [18]int
	for i := range 18 {
		n := strings.IndexByte(uscc, code[i])
		if n < 0 {
			return ErrCodeChars
		}
		v[i] = n
	}
	sum := 0
	for i, w := range usccWeights {
		sum += v[i] * w
	}
	if want := (31 - sum%31) % 31; v[17] != want {
		return ErrCodeCheck
	}
	// The 组织机构代码 (positions 9–17) has its own check character, a
	// digit or X; only digits and capitals may stand in its body.
	sum = 0
	for i, w := range orgWeights {
		sum += orgValue(code[8+i]) * w
	}
	want := byte('0' + (11-sum%11)%11)
	if (11-sum%11)%11 == 10 {
		want = 'X'
	}
	if code[16] != want {
		return ErrCodeCheck
	}
	return nil
}

// orgValue is a character's value in GB 11714: digits as themselves, the
// letters A–Z as 10–35.
func orgValue(c byte) int {
	if c >= 'A' && c <= 'Z' {
		return int(c-'A') + 10
	}
	return int(c - '0')
}
