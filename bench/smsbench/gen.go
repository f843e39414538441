package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"unicode/utf8"
)

// Msg is one SMS of the backlog.
type Msg struct {
	Key   string `json:"key"`
	To    string `json:"to"` // E.164, +86…
	Text  string `json:"text"`
	Parts int    `json:"parts"` // UCS2: 70 characters in one part, 67 a part when concatenated
}

// ucs2Parts is how many SMS a UCS2 text of n characters takes.
func ucs2Parts(n int) int {
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

var (
	units = []string{"区政府办公室", "区应急管理局", "区水利局", "区卫生健康局", "区教育局", "区信访局", "区财政局", "区城市管理局", "新塍镇", "王江泾镇", "油车港镇", "新城街道", "高照街道", "区农业农村局"}
	heads = []string{"通知", "提醒", "紧急通知", "会议通知", "值班提醒", "预警信息"}
	short = []string{
		"请于明天上午九点到区政府三楼会议室参加防汛工作会议，请准时出席。",
		"今晚有强降雨，请值班人员在岗在位，保持通讯畅通。",
		"区长办公会改至周三下午两点半，地点不变。",
		"请于本周五前报送第三季度安全生产检查情况。",
		"台风“梅花”预计明晨登陆，请做好人员转移准备。",
		"明日上午开展消防演练，请各科室配合。",
		"您有一份待办公文，请登录南湖系统及时办理。",
		"本周值班表已更新，请查收并确认。",
	}
	sentences = []string{
		"根据市防指统一部署，全区于今日十八时起启动防汛四级应急响应。",
		"请各镇（街道）、各部门立即组织力量对辖区内河道、水库、山塘进行全面巡查。",
		"对低洼易涝区域、地下空间、在建工地等重点部位要落实专人值守。",
		"发现险情要第一时间处置，并按规定及时报告区防汛防台指挥部办公室。",
		"各单位主要负责人要坚守岗位，值班人员二十四小时在岗，确保信息畅通。",
		"请于明日上午十点前将人员转移情况、物资储备情况报送区应急管理局。",
		"联系人：王科长，电话：八二六一二三四五。",
		"会议材料已发至各单位公共邮箱，请提前阅知并做好汇报准备。",
		"因道路施工，会议地点由区行政中心一号楼调整至二号楼五楼会议室。",
		"请参会人员携带本单位年度工作总结和明年工作思路各一份。",
		"逾期未报的单位将在全区范围内予以通报，请高度重视。",
		"如有疑问，请在工作时间与区政府办公室秘书科联系。",
		"请相互转告，谢谢配合！",
	}
)

// generate makes n messages from seed: three quarters of one part, a
// quarter of two or three parts (half each), every text unique (it
// carries its number) and every recipient different.
func generate(n int, seed uint64) []Msg {
	r := rand.New(rand.NewPCG(seed, 0x6e616e6875))
	out := make([]Msg, 0, n)
	for i := range n {
		unit := units[r.IntN(len(units))]
		prefix := fmt.Sprintf("【%s】%s第%04d号：", unit, heads[r.IntN(len(heads))], i+1)
		var text string
		switch {
		case i%4 != 3: // one part: at most 70 characters
			text = prefix + short[r.IntN(len(short))]
			for utf8.RuneCountInString(text) > 70 {
				text = string([]rune(text)[:70])
			}
		case i%8 == 3: // two parts: 90–125 characters
			text = fill(r, prefix, 90+r.IntN(36))
		default: // three parts: 150–195 characters
			text = fill(r, prefix, 150+r.IntN(46))
		}
		out = append(out, Msg{
			Key:   fmt.Sprintf("bench-%04d", i+1),
			To:    fmt.Sprintf("+86139%08d", 10000000+i),
			Text:  text,
			Parts: ucs2Parts(utf8.RuneCountInString(text)),
		})
	}
	return out
}

// fill appends sentences to prefix until it has want characters.
func fill(r *rand.Rand, prefix string, want int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for utf8.RuneCountInString(b.String()) < want {
		b.WriteString(sentences[r.IntN(len(sentences))])
	}
	return string([]rune(b.String())[:want])
}

func writeMsgs(path string, msgs []Msg) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, m := range msgs {
		if err := enc.Encode(m); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readMsgs(path string) ([]Msg, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Msg
	dec := json.NewDecoder(f)
	for dec.More() {
		var m Msg
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, m)
	}
	return out, nil
}
