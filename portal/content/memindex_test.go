package content

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMemIndexMatchesFTS: over random articles published, edited and
// withdrawn, the index in memory answers every query exactly as FTS4
// does: the same total, the same hits in the same order, whatever the
// filters and the page.
func TestMemIndexMatchesFTS(t *testing.T) {
	s, clk := openTest(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9704, 2012))
	words := strings.Fields(`政务 公开 电子政务 安全生产 垃圾分类 城市管理 农村 企业 服务 政府 信息 数字政府 推进会 秀洲 ABC 2026 环境 保护 环保局 办事 指南`)
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(words[r.IntN(len(words))])
			if r.IntN(4) == 0 {
				b.WriteString("，")
			}
		}
		return b.String()
	}
	admin := Actor{Login: "admin", Roles: []string{RoleAdmin}}
	for _, slug := range []string{"tzgg", "bmdt"} {
		if _, err := s.PutColumn(ctx, admin, Column{Section: "main", Slug: slug, Name: "栏目" + slug, Area: AreaPublish, Kind: KindList}); err != nil {
			t.Fatal(err)
		}
	}
	cols := []Column{col(t, s, "main", "yw"), col(t, s, "main", "tzgg"), col(t, s, "main", "bmdt")}
	var ids []int64
	var asked, found int
	check := func(round int) {
		t.Helper()
		for range 40 {
			var q Query
			for range 1 + r.IntN(2) {
				w := words[r.IntN(len(words))]
				if r.IntN(5) == 0 { // a longer word: several bigrams side by side
					w += words[r.IntN(len(words))]
				}
				q.Text += w + " "
			}
			if r.IntN(6) == 0 {
				q.Text = `"` + words[r.IntN(len(words))] + words[r.IntN(len(words))] + `"`
			}
			switch r.IntN(5) {
			case 0:
				q.Column = cols[r.IntN(len(cols))].ID
			case 1:
				q.Section = []string{"main", "czj"}[r.IntN(2)]
			case 2:
				q.From = clk.t.Add(-time.Duration(r.IntN(60)) * time.Minute)
			}
			q.Limit, q.Offset = 1+r.IntN(10), r.IntN(3)*5
			var match []string
			for _, term := range Terms(q.Text) {
				if m := matchOf(term); m != "" {
					match = append(match, m)
				}
			}
			phrases, ok := phrasesOf(match)
			if !ok || len(match) == 0 {
				continue
			}
			if !s.syncSearch(ctx) {
				t.Fatal("the index in memory cannot be read")
			}
			total, got := s.mem.search(phrases, q)
			asked++
			if total > 0 {
				found++
			}
			wantTotal, want, err := s.searchFTS(ctx, q, match)
			if err != nil {
				t.Fatal(err)
			}
			idsOf := func(rs []ranked) []int64 {
				var out []int64
				for _, x := range rs {
					out = append(out, x.id)
				}
				return out
			}
			if total != wantTotal || !slices.Equal(idsOf(got), idsOf(want)) {
				t.Fatalf("round %d, %+v: memory %d %v, FTS4 %d %v", round, q, total, idsOf(got), wantTotal, idsOf(want))
			}
			for i := range got {
				if d := got[i].score - want[i].score; d > 1e-9 || d < -1e-9 {
					t.Fatalf("round %d, %q: hit %d scores %v in memory, %v in FTS4", round, q.Text, got[i].id, got[i].score, want[i].score)
				}
			}
		}
	}
	for round := range 6 {
		for range 25 {
			clk.t = clk.t.Add(time.Minute)
			ids = append(ids, publish(t, s, cols[r.IntN(len(cols))], Fields{Title: text(3), Body: "<p>" + text(5+r.IntN(30)) + "</p>"}))
		}
		// Edit some (a new version published), withdraw others.
		for range 5 {
			id := ids[r.IntN(len(ids))]
			art, err := s.Article(ctx, editor, id)
			if err != nil {
				t.Fatal(err)
			}
			if art.Live {
				f := art.Fields
				f.Title, f.Body = text(3), "<p>"+text(10)+"</p>"
				if err := s.Save(ctx, editor, id, art.Version, f); err != nil {
					t.Fatal(err)
				}
				if err := s.Submit(ctx, editor, id); err != nil {
					t.Fatal(err)
				}
				if err := s.Approve(ctx, reviewer, id, "", time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		for range 3 {
			id := ids[r.IntN(len(ids))]
			if art, err := s.Article(ctx, editor, id); err == nil && art.Live {
				if err := s.Withdraw(ctx, reviewer, id, fmt.Sprint("第", round, "轮撤稿")); err != nil {
					t.Fatal(err)
				}
			}
		}
		check(round)
	}
	// Built again from scratch, it answers the same.
	s.mem.mu.Lock()
	s.mem.built = false
	s.mem.mu.Unlock()
	s.memGen.Store(0)
	check(99)
	if found < asked/3 {
		t.Fatalf("only %d of %d queries found anything: the comparison says little", found, asked)
	}
	t.Logf("%d queries, %d with hits", asked, found)
}
