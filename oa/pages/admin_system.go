package pages

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"nanhu/internal/daemon"
	"nanhu/internal/logring"
	"nanhu/internal/web"
	"nanhu/internal/web/chart"
	"nanhu/internal/workcal"
	"nanhu/queue"
)

type queueRow struct {
	Topic, Channel string
	Depth          int64
	InFlight       int
	Deferred       int
	Clients        int
}

// partLabels say in Chinese what each part of the process does; the
// part's own name (as in the log) is shown beside it.
var partLabels = map[string]string{
	"queue": "消息队列", "oa": "办公待办与提醒", "mail": "邮件服务", "modemsim": "模拟调制解调器",
	"sms": "短信网关", "web": "网页登录会话", "http": "网页服务",
}

type partRow struct {
	daemon.Status
	Label string
}

type systemView struct {
	Parts      []partRow
	AllUp      bool
	Queue      []queueRow
	QueueNote  string
	Disk       DiskUse
	DiskNote   string
	UsedPct    int64
	Problems   []logring.Entry
	Chart      template.HTML
	ChartTable chart.Table
	Totals     [3]int64
	Started    time.Time
	Uptime     string
}

// system is GET /admin/system: every part up or down, the queue's depths,
// the data folder's use of the disk, the latest problems, and a chart of
// mail and SMS per hour over the last day.
func (p *Pages) system(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	sys := p.opts.System
	v := systemView{AllUp: true, Problems: sys.Problems(), Started: sys.Started()}
	for _, st := range sys.Parts(ctx) {
		v.Parts = append(v.Parts, partRow{Status: st, Label: partLabels[st.Name]})
		v.AllUp = v.AllUp && st.Up()
	}
	v.Uptime = roughDuration(time.Since(v.Started))
	if len(v.Problems) > 20 {
		v.Problems = v.Problems[:20]
	}
	if topics, err := sys.Queue(); err != nil {
		v.QueueNote = "无法读取队列深度：" + err.Error()
	} else {
		v.Queue = queueRows(topics)
	}
	if d, err := sys.Disk(); err != nil {
		v.DiskNote = "无法读取磁盘用量：" + err.Error()
	} else {
		v.Disk = d
		if d.Size > 0 {
			v.UsedPct = (d.Size - d.Free) * 100 / d.Size
		}
	}
	// The last 24 whole hours and the one in progress.
	now := time.Now().In(workcal.Shanghai())
	start := now.Truncate(time.Hour).Add(-23 * time.Hour)
	mail, sent, recv, err := sys.PerHour(ctx, start, 24)
	if err != nil {
		return err
	}
	c := chart.Chart{
		Title: "近 24 小时邮件与短信（每小时）", XName: "时段", YUnit: "条", Kind: chart.Bar, Width: 960, Height: 340,
		Series: []chart.Series{{Name: "收到的邮件", Values: floats(mail)}, {Name: "发出的短信", Values: floats(sent)}, {Name: "收到的短信", Values: floats(recv)}},
	}
	for i := range 24 {
		c.XLabels = append(c.XLabels, start.Add(time.Duration(i)*time.Hour).Format("15时"))
	}
	if v.Chart, err = c.SVG(); err != nil {
		return err
	}
	v.ChartTable = c.Table()
	for i, s := range [][]int64{mail, sent, recv} {
		for _, n := range s {
			v.Totals[i] += n
		}
	}
	return p.kit.Render(w, r, p.tmpl.system, web.View{Title: "系统状态", Data: v})
}

func queueRows(topics []queue.TopicStats) []queueRow {
	var rows []queueRow
	for _, t := range topics {
		if len(t.Channels) == 0 {
			rows = append(rows, queueRow{Topic: t.Topic, Channel: "（无消费者）", Depth: t.Depth})
			continue
		}
		for _, c := range t.Channels {
			rows = append(rows, queueRow{Topic: t.Topic, Channel: c.Channel, Depth: c.Depth + t.Depth, InFlight: c.InFlight, Deferred: c.Deferred, Clients: c.Clients})
		}
	}
	return rows
}

func floats(v []int64) []float64 {
	out := make([]float64, len(v))
	for i, n := range v {
		out[i] = float64(n)
	}
	return out
}

func roughDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "不到 1 分钟"
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d 小时 %d 分钟", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d 天", int(d.Hours()/24))
}

// backupStart is POST /admin/system/backup: a backup of the data folder,
// followed on a page with a progress bar.
func (p *Pages) backupStart(w http.ResponseWriter, r *http.Request) error {
	sys := p.opts.System
	by := web.LoginOf(r)
	id := p.kit.Jobs().Start(web.PersonOf(r), "备份数据目录", func(ctx context.Context, pr *web.Progress) (string, error) {
		p.log.Info("backup started on the web", "by", by)
		where, err := sys.Backup(ctx, pr.Set, pr.Note)
		if err != nil {
			p.log.Error("backup failed", "by", by, "err", err)
			return "", err
		}
		p.log.Info("backup written", "to", where, "by", by)
		return "备份已写入 " + where + "。", nil
	})
	http.Redirect(w, r, "/jobs/"+id, http.StatusSeeOther)
	return nil
}
