package content

import (
	"context"
	"testing"
	"time"
)

func TestEnterprisePage(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	admin := Actor{Login: "admin", Roles: []string{RoleAdmin}}
	// Without a 企业风采 column there is nowhere to put the page.
	_, err := s.CreateEnterprisePage(ctx, admin, 1, "甲公司")
	wantCode(t, err, "invalid")
	if _, err := s.PutColumn(ctx, admin, Column{Section: "main", Slug: "qyfc", Name: "企业风采", Area: AreaBusiness, Kind: KindEnterprise}); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateEnterprisePage(ctx, editor, 1, "甲公司")
	wantCode(t, err, "forbidden")
	mine, err := s.CreateEnterprisePage(ctx, admin, 1, "甲公司")
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateEnterprisePage(ctx, admin, 2, "乙公司")
	if err != nil {
		t.Fatal(err)
	}
	jia := Actor{Login: "企业:91350100M000100Y43", Name: "甲公司", Enterprise: 1}
	art, err := s.Article(ctx, jia, mine)
	if err != nil || art.Owner != 1 || art.Fields.Title != "甲公司" {
		t.Fatalf("own page: %+v %v", art, err)
	}
	// The other company's page, any staff column, and review are closed.
	_, err = s.Article(ctx, jia, other)
	wantCode(t, err, "forbidden")
	wantCode(t, s.Save(ctx, jia, other, 0, Fields{Title: "冒名"}), "forbidden")
	wantCode(t, s.Submit(ctx, jia, other), "forbidden")
	_, err = s.Create(ctx, jia, col(t, s, "main", "yw").ID, Fields{Title: "冒充新闻", Body: "<p>x</p>"})
	wantCode(t, err, "forbidden")
	news := publish(t, s, col(t, s, "main", "yw"), Fields{Title: "南湖新闻", Body: "<p>正文</p>"})
	wantCode(t, s.Save(ctx, jia, news, 0, Fields{Title: "改新闻"}), "forbidden")
	wantCode(t, s.Withdraw(ctx, jia, news, "撤"), "forbidden")

	body := `<p>甲公司位于王江泾镇，主要生产纺织面料。</p><script>alert(1)</script>`
	if err := s.Save(ctx, jia, mine, art.Version, Fields{Title: "甲公司", Summary: "纺织面料企业", Body: body, Source: "甲公司"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(ctx, jia, mine); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Approve(ctx, jia, mine, "", time.Time{}), "forbidden")
	if err := s.Return(ctx, reviewer, mine, "请补充联系方式。"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Page(ctx, mine); err == nil {
		t.Fatal("a returned page is on the portal")
	}
	art, _ = s.Article(ctx, jia, mine)
	if err := s.Save(ctx, jia, mine, art.Version, Fields{Title: "甲公司", Summary: "纺织面料企业", Body: `<p>甲公司位于王江泾镇。联系电话：0573-80000000。</p>`, Source: "甲公司"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(ctx, jia, mine); err != nil {
		t.Fatal(err)
	}
	if err := s.Approve(ctx, reviewer, mine, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	p, err := s.Page(ctx, mine)
	if err != nil || p.Column.Kind != KindEnterprise {
		t.Fatalf("published page: %+v %v", p.Column, err)
	}
	trail, _ := s.Trail(ctx, mine)
	var returned bool
	for _, e := range trail {
		returned = returned || e.Action == "returned" && e.Opinion == "请补充联系方式。"
	}
	if !returned {
		t.Errorf("the return's opinion is not in the trail: %+v", trail)
	}
}
