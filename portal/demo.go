package portal

import (
	"context"
	"time"

	"nanhu/portal/content"
	"nanhu/portal/enterprise"
)

// The demo company: an account a newcomer can sign in with on the portal
// (/qiye/), and its page, already published in 企业风采.
const (
	DemoEnterpriseCode     = "91330411MA2BXY1Q2G"
	DemoEnterpriseName     = "嘉兴南湖示范纺织有限公司"
	DemoEnterprisePassword = "nanhu2004"
)

// seedEnterprise opens the demo company's account once.
func (p *Portal) seedEnterprise(ctx context.Context) error {
	list, err := p.accounts.List(ctx)
	if err != nil || len(list) > 0 {
		return err
	}
	admin := content.Actor{Login: "admin", Roles: []string{content.RoleAdmin}}
	a, _, err := p.accounts.Create(ctx, admin.Login, enterprise.New{Code: DemoEnterpriseCode, Name: DemoEnterpriseName, Contact: "周敏", Mobile: "13957300001"})
	if err != nil {
		return err
	}
	if err := p.accounts.SetPassword(ctx, a.ID, DemoEnterprisePassword, false); err != nil {
		return err
	}
	page, err := p.store.CreateEnterprisePage(ctx, admin, a.ID, a.Name)
	if err != nil {
		return err
	}
	if err := p.accounts.SetPage(ctx, a.ID, page); err != nil {
		return err
	}
	me := content.Actor{Login: a.Login(), Name: a.Name, Enterprise: a.ID}
	body := `<p>嘉兴南湖示范纺织有限公司位于秀洲区王江泾镇，是一家从事高档面料研发、织造和印染的民营企业。</p>` +
		`<p>公司现有员工 260 人，主要产品有涤纶仿真丝面料、功能性运动面料和家纺面料，产品销往全国 20 多个省份。</p>` +
		`<p>联系人：周敏　联系电话：0573-82700000　地址：秀洲区王江泾镇工业功能区纺织路 8 号。</p>`
	if err := p.store.Save(ctx, me, page, 0, content.Fields{Title: a.Name, Source: a.Name, Summary: "一家位于王江泾镇的纺织面料企业。", Body: body, Keywords: "企业风采，纺织，王江泾镇"}); err != nil {
		return err
	}
	if err := p.store.Submit(ctx, me, page); err != nil {
		return err
	}
	return p.store.Approve(ctx, admin, page, "", time.Time{})
}
