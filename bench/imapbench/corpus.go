package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// The corpus: deterministic, realistic Chinese government mail. Every
// message is generated from (seed, index) alone, so `load` and `run` agree
// on it without sharing files, and the generator knows which messages
// contain the search word and where it put it.

// Word is what the benchmark searches for.
const Word = "噪音"

// Message is one generated mail and what the generator knows about it.
type Message struct {
	ID       string // Message-ID without the angle brackets
	Raw      []byte
	Charset  string
	Encoding string // of the text parts: base64, quoted-printable, 8bit
	Attach   int    // number of attachments
	Hit      string // where Word is: "" (nowhere), subject, body, qp-split, attachment-name
	NameForm string // for attachment-name hits: how the name is written, "RFC 2047" or "RFC 2231"
}

// corpusSpec fixes the corpus.
type corpusSpec struct {
	N    int
	Hits int
	Seed uint64
}

// hitPlan decides which messages contain Word and where: Hits of them,
// spread over the whole mailbox by a seeded permutation.
func (s corpusSpec) hitPlan() map[int]string {
	r := rand.New(rand.NewPCG(s.Seed, 0x6e616e6875))
	perm := r.Perm(s.N)
	plan := make(map[int]string, s.Hits)
	kinds := []string{"subject", "body", "body", "qp-split", "attachment-name"}
	for i := 0; i < s.Hits && i < s.N; i++ {
		plan[perm[i]] = kinds[i%len(kinds)]
	}
	return plan
}

// Generate returns every message of the corpus, in delivery order.
func (s corpusSpec) Generate() []Message {
	plan := s.hitPlan()
	out := make([]Message, s.N)
	for i := range out {
		out[i] = s.message(i, plan[i])
	}
	return out
}

var (
	simplifiedSentences = []string{
		"根据区委、区政府工作部署，现将有关事项通知如下。",
		"请各单位高度重视，认真组织，确保各项工作落到实处。",
		"各街道、镇要结合实际，制定具体实施方案，明确责任分工。",
		"会议由区政府办公室主任主持，各相关部门负责同志参加。",
		"请于本周五下班前将材料报送区政府办公室秘书科。",
		"对群众反映强烈的突出问题，要建立台账，限期整改。",
		"区财政局将对专项资金使用情况开展绩效评价。",
		"本次检查共发现问题十二个，已全部反馈至责任单位。",
		"联系人：秘书科，联系电话：0573-82201234。",
		"特此通知。",
		"请各位同事按时参加，不得无故缺席。",
		"附件为第三季度重点工作推进情况汇总表，请查收。",
		"经研究，同意你单位关于调整办公用房的请示。",
		"信访局转来群众来信一件，请于十五个工作日内办结并答复。",
		"区城市管理局将组织开展市容环境集中整治行动。",
		"各单位要严格落实安全生产责任制，防范各类事故发生。",
		"请做好防汛抗台各项准备工作，确保人民群众生命财产安全。",
		"电子政务平台将于本周六凌晨进行系统升级维护。",
		"请各科室对照清单逐项自查，并填写自查报告。",
		"今年以来，我区经济运行总体平稳，主要指标好于预期。",
		"区教育局牵头做好中小学校园周边环境治理工作。",
		"施工单位须在规定时间内作业，夜间严禁高分贝机械施工。",
		"居民反映小区附近工地的噪声问题，环保部门已安排现场检测。",
		"广场舞音响音量过大问题，由街道会同社区协调解决。",
		"请及时登录协同办公系统签收公文，逾期将通报。",
		"农业农村局将开展秋季农作物病虫害统防统治工作。",
		"各部门要加强值班值守，确保信息畅通、反应迅速。",
		"此件不公开，请妥善保管。",
		"现将《秀洲区二〇二六年政务公开工作要点》印发给你们，请认真贯彻执行。",
		"区卫生健康局将对辖区医疗机构开展专项督查。",
		"来电反映道路照明设施损坏，已转交城管部门处理。",
		"请于下周一上午九点在区行政中心三楼会议室参加专题会议。",
	}
	// Sentences with characters outside GBK, for UTF-8 and GB18030 mail.
	rareSentences = []string{
		"𠮷祥路段的改造工程已完成验收。",
		"㐀字库扩展测试：请核对人名用字是否显示正常。",
	}
	traditionalSentences = []string{
		"各位同仁：茲定於本週五下午召開聯席會議，請準時出席。",
		"有關來函所詢事項，經查證後答覆如下。",
		"請於期限內將相關資料寄送本處，以利彙整。",
		"本案業經審議通過，請依規定辦理後續事宜。",
		"敬請撥冗參加交流座談會，共商兩岸經貿合作事宜。",
		"隨函檢附會議議程及報名表各一份。",
		"社區居民反映工地施工聲響過大，已請相關單位改善。",
		"如有疑問，請洽承辦人陳先生，電話：02-23456789。",
		"順頌 時祺。",
		"本會將於下月舉辦城市環境治理研討會。",
	}
	simplifiedHitSentences = []string{
		"近期群众反映夜间施工噪音扰民问题较多，请城管局牵头处理。",
		"请环保局对该路段的交通噪音开展连续监测，并形成报告。",
		"该小区居民投诉商铺音响噪音超标，要求限期整改。",
		"关于工业企业噪音污染防治工作的意见已印发。",
	}
	traditionalHitSentences = []string{
		"居民陳情工地夜間施工噪音擾民，請儘速查處。",
		"本處將加強交通噪音管制，並公告檢測結果。",
	}
	subjectsSimplified = []string{
		"关于开展%s工作的通知", "关于%s有关事项的请示", "%s工作会议纪要", "关于报送%s材料的函",
		"%s情况汇报", "转发：关于%s的通知", "关于%s的批复", "%s专项检查情况通报",
	}
	subjectTopics = []string{
		"安全生产大检查", "政务公开", "防汛防台", "城乡环境整治", "第三季度重点工作", "信访积案化解",
		"文明城市创建", "财政预算执行", "电子政务平台升级", "干部教育培训", "垃圾分类", "老旧小区改造",
	}
	subjectsTraditional = []string{"聯席會議通知", "來函答覆", "研討會邀請函", "資料彙整說明", "座談會議程"}
	hitSubjects         = []string{"关于%s噪音扰民问题的处理意见", "%s噪音污染投诉转办单", "关于加强%s噪音治理的通知"}
	hitSubjectsBig5     = []string{"關於工地噪音陳情案之答覆", "交通噪音管制說明"}
	people              = []struct{ name, login string }{
		{"王建国", "wangjianguo"}, {"张伟", "zhangwei"}, {"李娜", "lina"}, {"陈志强", "chenzhiqiang"},
		{"周敏", "zhoumin"}, {"刘洋", "liuyang"}, {"杨静", "yangjing"}, {"黄磊", "huanglei"}, {"赵丽", "zhaoli"},
		{"吴芳", "wufang"}, {"孙涛", "suntao"}, {"胡斌", "hubin"}, {"朱红", "zhuhong"}, {"高峰", "gaofeng"},
		{"林军", "linjun"}, {"何平", "heping"}, {"郭明", "guoming"}, {"马丽", "mali"}, {"罗刚", "luogang"},
	}
	peopleTraditional = []struct{ name, login string }{{"陳志明", "chen"}, {"林淑芬", "lin"}, {"黃國華", "huang"}}
	attachmentNames   = []string{
		"附件1：工作方案.docx", "第三季度统计表.xls", "会议议程.pdf", "现场照片.jpg", "整改清单.xlsx",
		"请示文件扫描件.pdf", "培训名单.xls", "资料汇编.zip",
	}
	hitAttachmentNames = []string{"噪音监测数据.xlsx", "噪音投诉汇总表.xls", "夜间施工噪音检测报告.pdf"}
	// For Big5 mail, in traditional characters.
	attachmentNamesTraditional    = []string{"附件一：實施計畫.docx", "會議議程.pdf", "現場照片.jpg", "報名表.xls"}
	hitAttachmentNamesTraditional = []string{"噪音檢測報告.pdf", "噪音陳情彙整表.xls"}
	attachmentTypes               = map[string]string{
		".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		".xls":  "application/vnd.ms-excel",
		".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		".pdf":  "application/pdf",
		".jpg":  "image/jpeg",
		".zip":  "application/zip",
	}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// encodeCharset converts UTF-8 text to the message's charset. Mail labelled
// GB2312 is written with the GBK encoder, as Chinese mailers do.
func encodeCharset(charset, s string) string {
	var out string
	var err error
	switch charset {
	case "gb2312", "gbk":
		out, err = simplifiedchinese.GBK.NewEncoder().String(s)
	case "gb18030":
		out, err = simplifiedchinese.GB18030.NewEncoder().String(s)
	case "big5":
		out, err = traditionalchinese.Big5.NewEncoder().String(s)
	default:
		return s
	}
	if err != nil {
		panic(fmt.Sprintf("cannot encode %q in %s: %v", s, charset, err))
	}
	return out
}

// encodedWords writes s as RFC 2047 words in charset, B or Q, split into
// words of at most about 45 bytes of text at character boundaries.
func encodedWords(charset string, s string, q bool) string {
	var words []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		enc := encodeCharset(charset, cur.String())
		if q {
			words = append(words, "=?"+strings.ToUpper(charset)+"?Q?"+qWord(enc)+"?=")
		} else {
			words = append(words, "=?"+strings.ToUpper(charset)+"?B?"+base64.StdEncoding.EncodeToString([]byte(enc))+"?=")
		}
		cur.Reset()
	}
	for _, r := range s {
		cur.WriteRune(r)
		if cur.Len() >= 45 {
			flush()
		}
	}
	flush()
	return strings.Join(words, "\r\n ")
}

func qWord(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'):
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	return b.String()
}

// qpEncode writes data as quoted-printable lines of at most 76 characters.
// splitAt, when not negative, forces a soft line break just before byte
// splitAt of data (inside a word).
func qpEncode(data []byte, splitAt int) string {
	var b strings.Builder
	line := 0
	for i, c := range data {
		if i == splitAt && line > 0 {
			b.WriteString("=\r\n")
			line = 0
		}
		if c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
			continue
		}
		if c == '\n' {
			b.WriteString("\r\n")
			line = 0
			continue
		}
		var tok string
		if c >= 33 && c <= 126 && c != '=' || c == ' ' && i+1 < len(data) && data[i+1] != '\r' && data[i+1] != '\n' {
			tok = string(c)
		} else {
			tok = fmt.Sprintf("=%02X", c)
		}
		if line+len(tok) > 75 {
			b.WriteString("=\r\n")
			line = 0
		}
		b.WriteString(tok)
		line += len(tok)
	}
	b.WriteString("\r\n")
	return b.String()
}

func base64Lines(data []byte) string {
	e := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	for len(e) > 76 {
		b.WriteString(e[:76])
		b.WriteString("\r\n")
		e = e[76:]
	}
	b.WriteString(e)
	b.WriteString("\r\n")
	return b.String()
}

// textPart is one text/* body part with its header.
func textPart(subtype, charset, encoding, text string, splitWord bool) string {
	data := []byte(encodeCharset(charset, text))
	var body string
	switch encoding {
	case "base64":
		body = base64Lines(data)
	case "quoted-printable":
		split := -1
		if splitWord {
			w := []byte(encodeCharset(charset, Word))
			if i := bytes.Index(data, w); i >= 0 {
				split = i + len(w)/2 // between the two characters
				if charset == "utf-8" {
					split = i + 1 // inside the first character's bytes
				}
			}
		}
		body = qpEncode(data, split)
	default:
		body = strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n", "\r\n")
		if !strings.HasSuffix(body, "\r\n") {
			body += "\r\n"
		}
	}
	return fmt.Sprintf("Content-Type: text/%s; charset=\"%s\"\r\nContent-Transfer-Encoding: %s\r\n\r\n%s", subtype, charset, encoding, body)
}

func htmlOf(text string) string {
	var b strings.Builder
	b.WriteString("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html\"></head><body>")
	for _, p := range strings.Split(strings.TrimSpace(text), "\n") {
		b.WriteString("<p>" + strings.TrimSpace(p) + "</p>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

func (s corpusSpec) message(i int, hit string) Message {
	r := rand.New(rand.NewPCG(s.Seed, uint64(i)+1))
	m := Message{ID: fmt.Sprintf("%06d.%x@bench.nanhu.local", i+1, r.Uint32()), Hit: hit}

	// Charset, then transfer encoding.
	switch x := r.IntN(100); {
	case x < 35:
		m.Charset = "utf-8"
	case x < 55:
		m.Charset = "gb2312"
	case x < 70:
		m.Charset = "gbk"
	case x < 85:
		m.Charset = "gb18030"
	default:
		m.Charset = "big5"
	}
	switch x := r.IntN(100); {
	case x < 45:
		m.Encoding = "base64"
	case x < 80:
		m.Encoding = "quoted-printable"
	default:
		m.Encoding = "8bit"
	}
	if hit == "qp-split" {
		m.Encoding = "quoted-printable"
	}
	if r.IntN(100) < 20 || hit == "attachment-name" {
		m.Attach = 1 + r.IntN(3)
	}
	trad := m.Charset == "big5"

	// Subject and sender.
	var subject string
	switch {
	case hit == "subject" && trad:
		subject = pick(r, hitSubjectsBig5)
	case hit == "subject":
		subject = fmt.Sprintf(pick(r, hitSubjects), pick(r, []string{"建设路工地", "城东片区", "新城街道", "王江泾镇", "开发区"}))
	case trad:
		subject = pick(r, subjectsTraditional)
	default:
		subject = fmt.Sprintf(pick(r, subjectsSimplified), pick(r, subjectTopics))
	}
	from := pick(r, people)
	domain := "nanhu.local"
	if trad {
		from = pick(r, peopleTraditional)
		domain = "example.tw"
	}

	// Body: 3 to 25 sentences in paragraphs; the hit sentence, if any, in
	// the middle.
	n := 3 + r.IntN(23)
	var body strings.Builder
	if trad {
		body.WriteString("您好：\n")
	} else {
		body.WriteString("各位同事：\n")
	}
	hitAt := -1
	if hit == "body" || hit == "qp-split" {
		hitAt = n / 2
	}
	for k := 0; k < n; k++ {
		var sent string
		switch {
		case k == hitAt && trad:
			sent = pick(r, traditionalHitSentences)
		case k == hitAt:
			sent = pick(r, simplifiedHitSentences)
		case trad:
			sent = pick(r, traditionalSentences)
		case (m.Charset == "utf-8" || m.Charset == "gb18030") && r.IntN(8) == 0:
			sent = pick(r, rareSentences)
		default:
			sent = pick(r, simplifiedSentences)
		}
		body.WriteString(sent)
		if r.IntN(3) == 0 {
			body.WriteString("\n")
		}
	}
	if trad {
		body.WriteString("\n" + from.name + " 敬上\n")
	} else {
		body.WriteString("\n" + from.name + "\n秀洲区人民政府办公室\n")
	}
	text := body.String()

	date := time.Date(2026, 1, 5, 8, 30, 0, 0, time.FixedZone("CST", 8*3600)).Add(time.Duration(i) * 47 * time.Minute)
	var h strings.Builder
	q := r.IntN(10) < 3
	fmt.Fprintf(&h, "From: %s <%s@%s>\r\n", encodedWords(m.Charset, from.name, q), from.login, domain)
	h.WriteString("To: =?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte("测试")) + "?= <bench@bench.test>\r\n")
	h.WriteString("Subject: " + encodedWords(m.Charset, subject, q) + "\r\n")
	h.WriteString("Date: " + date.Format(time.RFC1123Z) + "\r\n")
	h.WriteString("Message-ID: <" + m.ID + ">\r\n")
	h.WriteString("MIME-Version: 1.0\r\n")
	h.WriteString(pick(r, []string{"X-Mailer: Foxmail 7.2.25.375[cn]\r\n", "X-Mailer: Microsoft Outlook 16.0\r\n", "User-Agent: Mozilla Thunderbird\r\n", ""}))

	plain := textPart("plain", m.Charset, m.Encoding, text, hit == "qp-split")
	var content string
	alternative := r.IntN(10) < 3
	if alternative {
		content = "Content-Type: multipart/alternative; boundary=\"alt-" + m.ID[:6] + "\"\r\n\r\n" +
			"--alt-" + m.ID[:6] + "\r\n" + plain + "\r\n" +
			"--alt-" + m.ID[:6] + "\r\n" + textPart("html", m.Charset, m.Encoding, htmlOf(text), hit == "qp-split") + "\r\n" +
			"--alt-" + m.ID[:6] + "--\r\n"
	} else {
		content = plain
	}
	if m.Attach > 0 {
		var mixed strings.Builder
		b := "mix-" + m.ID[:6]
		mixed.WriteString("Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n")
		mixed.WriteString("This is a multi-part message in MIME format.\r\n\r\n")
		mixed.WriteString("--" + b + "\r\n" + content + "\r\n")
		for a := 0; a < m.Attach; a++ {
			names, hitNames := attachmentNames, hitAttachmentNames
			if trad {
				names, hitNames = attachmentNamesTraditional, hitAttachmentNamesTraditional
			}
			name := pick(r, names)
			if hit == "attachment-name" && a == 0 {
				name = pick(r, hitNames)
			}
			ext := name[strings.LastIndexByte(name, '.'):]
			data := make([]byte, 2048+r.IntN(40*1024))
			for k := range data {
				data[k] = byte(r.Uint32())
			}
			mixed.WriteString("--" + b + "\r\n")
			rfc2047 := r.IntN(10) < 6
			if hit == "attachment-name" && a == 0 {
				m.NameForm = map[bool]string{true: "RFC 2047", false: "RFC 2231"}[rfc2047]
			}
			if rfc2047 {
				// Outlook and Foxmail: RFC 2047 words inside the quotes.
				enc := encodedWords(m.Charset, name, false)
				enc = strings.ReplaceAll(enc, "\r\n ", " ")
				fmt.Fprintf(&mixed, "Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\n", attachmentTypes[ext], enc, enc)
			} else {
				// Thunderbird: RFC 2231.
				fmt.Fprintf(&mixed, "Content-Type: %s\r\nContent-Disposition: attachment; filename*=UTF-8''%s\r\n", attachmentTypes[ext], percentEncode(name))
			}
			mixed.WriteString("Content-Transfer-Encoding: base64\r\n\r\n")
			mixed.WriteString(base64Lines(data))
			mixed.WriteString("\r\n")
		}
		mixed.WriteString("--" + b + "--\r\n")
		content = mixed.String()
	}
	m.Raw = []byte(h.String() + content)
	return m
}

func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
