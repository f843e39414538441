package notifyqueue

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"nanhu/internal/ratelimit"
	"nanhu/oa/org"
	"nanhu/queue"
	"nanhu/queue/contract"
)

// Owners finds the account a login name or address signs in as.
type Owners interface {
	Owner(ctx context.Context, name string) (org.User, error)
}

// LockAlerts tells an account's owner, by SMS (when they have a mobile)
// and by mail, that failed logins locked their account, so that they can
// change the password or ask for an unlock. One alert per account and
// kind of lock per hour: a guesser who keeps trying does not flood the
// owner's phone.
type LockAlerts struct {
	q      *queue.Queue
	owners Owners
	log    *slog.Logger
	now    func() time.Time

	mu   sync.Mutex
	last map[string]time.Time // login/scope → the last alert
	wg   sync.WaitGroup
}

// NewLockAlerts returns the alerts for locks of the directory's accounts.
func NewLockAlerts(q *queue.Queue, owners Owners, log *slog.Logger) *LockAlerts {
	return &LockAlerts{q: q, owners: owners, log: log, now: time.Now, last: map[string]time.Time{}}
}

// alertEvery is how often one account hears of one kind of lock.
const alertEvery = time.Hour

// Lock is a ratelimit.Options.OnLock: it publishes in the background, as
// the login that failed is waiting for its answer.
func (a *LockAlerts) Lock(lk ratelimit.Lock) {
	if lk.User == "" { // an address lock concerns no one account
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.send(ctx, lk); err != nil {
			a.log.Warn("lock alert not sent", "user", lk.User, "scope", string(lk.Scope), "err", err)
		}
	}()
}

// Wait waits for the alerts being published.
func (a *LockAlerts) Wait() { a.wg.Wait() }

func (a *LockAlerts) send(ctx context.Context, lk ratelimit.Lock) error {
	u, err := a.owners.Owner(ctx, lk.User)
	if err != nil {
		return nil // a name no account signs in as: nobody to tell
	}
	now := a.now()
	key := u.Login + "/" + string(lk.Scope)
	a.mu.Lock()
	if t, ok := a.last[key]; ok && now.Sub(t) < alertEvery {
		a.mu.Unlock()
		return nil
	}
	a.last[key] = now
	a.mu.Unlock()

	sms, subject, body := lockTexts(u, lk, now)
	idem := fmt.Sprintf("auth.lock/%s/%s/%s", u.Login, lk.Scope, now.UTC().Format("2006010215"))
	if u.Mobile != "" {
		m := contract.NotifySMS{V: contract.NotifySMSVersion, ID: contract.NewID(), To: u.Mobile, Text: sms, Login: u.Login,
			IdempotencyKey: idem, Reason: "auth.locked"}
		if err := queue.Publish(ctx, a.q, m); err != nil {
			return err
		}
	}
	m := contract.NotifyMail{V: contract.NotifyMailVersion, ID: contract.NewID(), ToLogin: u.Login, Subject: subject, Body: body,
		From: "南湖系统安全", IdempotencyKey: idem + "/mail", Reason: "auth.locked"}
	if err := queue.Publish(ctx, a.q, m); err != nil {
		return err
	}
	a.log.Info("lock alert sent", "login", u.Login, "scope", string(lk.Scope), "sms", u.Mobile != "")
	return nil
}

var shanghai = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// lockTexts are the SMS, the mail's subject and its body for lk.
func lockTexts(u org.User, lk ratelimit.Lock, now time.Time) (sms, subject, body string) {
	mins := int(lk.Until.Sub(now).Round(time.Minute).Minutes())
	until := lk.Until.In(shanghai).Format("15:04")
	switch lk.Scope {
	case ratelimit.ScopeAccount:
		sms = fmt.Sprintf("【南湖】您的账号%s在短时间内从多个地址登录失败%d次，已锁定%d分钟（至%s）。如非本人操作，请尽快联系系统管理员。", u.Login, lk.Failures, mins, until)
		subject = "【安全提醒】您的账号因多次登录失败已被锁定"
		body = fmt.Sprintf("%s：\n\n您的账号 %s 在短时间内从多个不同地址登录失败 %d 次。为保护账号，系统已暂停该账号的邮件和办公系统登录 %d 分钟，至 %s 自动解除。\n\n"+
			"如果这些登录不是您本人所为，可能有人在猜测您的密码：请在解锁后立即修改密码，并告知系统管理员。管理员可用“人员”页面或 nanhu user unlock %s 提前解锁。\n\n南湖系统\n",
			u.Name, u.Login, lk.Failures, mins, until, u.Login)
	default:
		sms = fmt.Sprintf("【南湖】您的账号%s从地址%s多次登录失败，已暂停该地址的登录%d分钟。其他设备不受影响；如非本人操作，请修改密码或联系系统管理员。", u.Login, lk.Addr, mins)
		subject = "【安全提醒】您的账号多次登录失败"
		body = fmt.Sprintf("%s：\n\n您的账号 %s 从地址 %s 登录失败 %d 次，系统已暂停从该地址登录此账号 %d 分钟，至 %s 自动解除。您从其他地址和设备登录不受影响。\n\n"+
			"如果这是您的手机或电脑仍在使用旧密码，请在该设备上更新密码。如果不是您本人所为，请修改密码并告知系统管理员。\n\n南湖系统\n",
			u.Name, u.Login, lk.Addr, lk.Failures, mins, until)
	}
	return sms, subject, body
}
