package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"nanhu/internal/workcal"
	"nanhu/portal/content"
	"nanhu/queue"
	"nanhu/queue/contract"
)

// openKey is the setting that holds the inspection's open to-dos.
const openKey = "inspect.open"

// openTodo is a to-do the inspection raised and has not closed: whose,
// and the state it was raised at.
type openTodo struct {
	Login string `json:"login"`
	State string `json:"state"`
}

// inspect runs the inspection and tells the inspectors: a to-do on
// oa.todo for every rule that warns or fails (the notification routing
// sends it by SMS or mail, as any to-do), and "done" for one that is
// fine again.
func (p *Portal) inspect(ctx context.Context) (content.Report, error) {
	rep, err := p.store.Inspect(ctx, content.InspectOptions{External: p.opts.CheckExternalLinks})
	if err != nil {
		return rep, err
	}
	more, err := p.caseRules(ctx)
	if err != nil {
		return rep, err
	}
	rep.Rules = append(rep.Rules, more...)
	p.log.Info("portal inspection", "state", rep.Worst(), "broken_links", len(rep.Links))
	if p.opts.Queue == nil || len(p.opts.Inspectors) == 0 {
		return rep, nil
	}
	open := map[string]openTodo{}
	if v, err := p.store.Setting(ctx, openKey); err != nil {
		return rep, err
	} else if v != "" {
		json.Unmarshal([]byte(v), &open)
	}
	seen := map[string]bool{}
	for _, r := range rep.Rules {
		for _, login := range p.opts.Inspectors {
			id := "portal-inspect-" + r.Key + "-" + login
			if r.State == content.CheckOK {
				continue
			}
			seen[id] = true
			if open[id].State == r.State {
				continue // told already, at this state
			}
			urgency := contract.UrgencyHigh
			if r.State == content.CheckFail {
				urgency = contract.UrgencyTop
			}
			title := fmt.Sprintf("网站检查%s：%s。%s", content.CheckNames[r.State], r.Name, r.Detail)
			if n := []rune(title); len(n) > 200 {
				title = string(n[:199]) + "…"
			}
			ev := contract.TodoEvent{V: contract.TodoVersion, ID: contract.NewID(), Type: contract.TodoCreated, At: rep.At,
				Todo: contract.Todo{ID: id, Assignee: login, Title: title, Urgency: urgency, Step: "网站检查", URL: "/portal/inspect"}}
			if open[id].State != "" {
				ev.Type = contract.TodoOverdue // worse than when it was raised
			}
			if err := queue.Publish(ctx, p.opts.Queue, ev); err != nil {
				return rep, fmt.Errorf("portal: tell %s of the inspection: %w", login, err)
			}
			open[id] = openTodo{Login: login, State: r.State}
		}
	}
	for id, o := range open {
		if seen[id] {
			continue
		}
		ev := contract.TodoEvent{V: contract.TodoVersion, ID: contract.NewID(), Type: contract.TodoDone, At: rep.At,
			Todo: contract.Todo{ID: id, Assignee: o.Login}}
		if err := queue.Publish(ctx, p.opts.Queue, ev); err != nil {
			return rep, fmt.Errorf("portal: close the inspection's to-do %s: %w", id, err)
		}
		delete(open, id)
	}
	js, _ := json.Marshal(open)
	if len(open) == 0 {
		js = nil
	}
	return rep, p.store.PutSetting(ctx, openKey, string(js))
}

// inspectLoop runs the inspection at start and every InspectEvery.
func (p *Portal) inspectLoop(ctx context.Context) {
	t := time.NewTimer(p.opts.InspectAfter)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := p.inspect(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("portal inspection failed", "err", err)
		}
		t.Reset(p.opts.InspectEvery)
	}
}

// The 留言办理 rule: a valid message unanswered for 60 days warns, for 90
// fails the site.
const (
	unansweredWarn = 60 * 24 * time.Hour
	unansweredFail = 90 * 24 * time.Hour
)

// caseRules are the inspection's rules that look at citizens' cases
// (none when the letter pages are off).
func (p *Portal) caseRules(ctx context.Context) ([]content.Rule, error) {
	if p.cases == nil {
		return nil, nil
	}
	now := time.Now()
	if p.opts.Now != nil {
		now = p.opts.Now()
	}
	r := content.Rule{Key: "unanswered", Name: "留言办理", Limit: "有效留言超过 3 个月未回复即单项否决", State: content.CheckOK,
		Detail: "没有超过 60 天未答复的来信。", Advice: "督促承办部门尽快答复；确实无法按期答复的，应说明理由并办理延期。"}
	warn, oldest, err := p.cases.Unanswered(ctx, now.Add(-unansweredWarn))
	if err != nil {
		return nil, err
	}
	fail, _, err := p.cases.Unanswered(ctx, now.Add(-unansweredFail))
	if err != nil {
		return nil, err
	}
	switch {
	case fail > 0:
		r.State = content.CheckFail
		r.Detail = fmt.Sprintf("%d 件来信超过 90 天未答复（最早的来信于 %s）。", fail, oldest.In(workcal.Shanghai()).Format("2006-01-02"))
	case warn > 0:
		r.State = content.CheckWarn
		r.Detail = fmt.Sprintf("%d 件来信超过 60 天未答复（最早的来信于 %s）。", warn, oldest.In(workcal.Shanghai()).Format("2006-01-02"))
	}
	return []content.Rule{r}, nil
}
