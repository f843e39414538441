package cases

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	w := Writer{Name: "张晓明", Mobile: "13957311111", Address: "新塍镇南虹路18号"}
	for _, c := range []struct {
		kind, in, want string
	}{
		{"name", "我是张晓明，住在附近。", "我是张某，住在附近。"},
		{"mobile", "请打13957311111或139 5731 2222联系我", "请打[手机号已隐去]或[手机号已隐去]联系我"},
		{"mobile with +86", "电话+8613957311111。", "电话[手机号已隐去]。"},
		{"身份证号", "身份证号330411199001011234，", "身份证号[身份证号已隐去]，"},
		{"身份证号 with X", "证件33041119900101123X", "证件[身份证号已隐去]"},
		{"old 身份证号", "老证330411900101123", "老证[身份证号已隐去]"},
		{"mail", "邮箱 zhang.xm@example.cn 可以", "邮箱 [邮箱已隐去] 可以"},
		{"the writer's address", "我家在新塍镇南虹路18号门口", "我家在[地址已隐去]门口"},
		{"a house number", "住在秀园小区3幢2单元501室", "住在秀园小区**"},
		{"a road's number", "洪兴西路1200号门口", "洪兴西路**号门口"},
		{"not personal", "2026年12月6日下午3点，路灯有12盏不亮。热线12345。", "2026年12月6日下午3点，路灯有12盏不亮。热线12345。"},
		{"a long number that is no ID", "订单号12345678901234567890", "订单号12345678901234567890"},
	} {
		if got := Redact(c.in, w); got != c.want {
			t.Errorf("%s: Redact(%q) = %q, want %q", c.kind, c.in, got, c.want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("张晓明 13957311111 330411199001011234 a@b.cn 3幢2单元501室", "张晓明")
	f.Fuzz(func(t *testing.T, text, name string) {
		out := Redact(text, Writer{Name: name})
		if idCardRE.MatchString(out) {
			t.Fatalf("an ID number left in %q", out)
		}
		if mobileAny.MatchString(out) {
			t.Fatalf("a mobile number left in %q", out)
		}
		if strings.Contains(out, "@") && mailAny.MatchString(out) {
			t.Fatalf("a mail address left in %q", out)
		}
	})
}
