package cases

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// The limits of SMS verification: a code lives 10 minutes and takes 5
// tries; a number gets one code a minute and 5 an hour; an address asks
// for 10 an hour. No number and no address can flood the gateway.
const (
	codeLife      = 10 * time.Minute
	codeTries     = 5
	perMobileGap  = time.Minute
	perMobileHour = 5
	perIPHour     = 10
)

// ErrTooMany is a verification asked for too often (it wraps the
// *Invalid to show).
var ErrTooMany = errors.New("cases: too many verification codes")

func codeHash(salt []byte, code string) []byte {
	h := sha256.Sum256(append(append([]byte{}, salt...), code...))
	return h[:]
}

// StartVerification makes a 6-digit code for mobile, asked for from ip,
// for the caller to send by SMS; it returns the code and the
// verification's id (the SMS's idempotency key).
func (s *Store) StartVerification(ctx context.Context, mobile, ip string) (code string, id int64, err error) {
	mobile = clean(mobile)
	if !mobileRE.MatchString(mobile) {
		return "", 0, invalid("mobile", "手机号应为 11 位数字，以 1 开头。")
	}
	now := s.opts.Now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		var last sql.NullInt64
		var hour int
		if err := tx.QueryRowContext(ctx, `SELECT max(created), count(*) FROM verifications WHERE mobile = ? AND created >= ?`,
			mobile, ms(now.Add(-time.Hour))).Scan(&last, &hour); err != nil {
			return err
		}
		if last.Valid && now.Sub(fromMS(last.Int64)) < perMobileGap {
			return fmt.Errorf("%w: %w", ErrTooMany, invalid("mobile", "验证码已发送，请稍等一分钟再重新获取。"))
		}
		if hour >= perMobileHour {
			return fmt.Errorf("%w: %w", ErrTooMany, invalid("mobile", "这个手机号一小时内获取验证码的次数太多，请稍后再试。"))
		}
		var fromIP int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM verifications WHERE ip = ? AND created >= ?`, ip, ms(now.Add(-time.Hour))).Scan(&fromIP); err != nil {
			return err
		}
		if fromIP >= perIPHour {
			return fmt.Errorf("%w: %w", ErrTooMany, invalid("", "您获取验证码的次数太多，请一小时后再试，或拨打政务服务热线。"))
		}
		n, err := rand.Int(rand.Reader, big.NewInt(1000000))
		if err != nil {
			return err
		}
		code = fmt.Sprintf("%06d", n.Int64())
		salt := make([]byte, 16)
		rand.Read(salt)
		return tx.QueryRowContext(ctx, `INSERT INTO verifications (mobile, ip, salt, hash, created, expires) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			mobile, ip, salt, codeHash(salt, code), ms(now), ms(now.Add(codeLife))).Scan(&id)
	})
	return code, id, err
}

// wrongCode is a wrong try: it counts although the case is not opened,
// so Submit writes it once the transaction has rolled back.
type wrongCode struct {
	id   int64
	left int
}

func (w *wrongCode) Error() string { return "wrong verification code" }

// countWrong records a wrong try and says so.
func (s *Store) countWrong(ctx context.Context, w *wrongCode) error {
	if _, err := s.db.Writer().ExecContext(ctx, `UPDATE verifications SET attempts = attempts + 1 WHERE id = ?`, w.id); err != nil {
		return err
	}
	if w.left <= 0 {
		return invalid("verify", "验证码输错次数太多，请重新获取。")
	}
	return invalid("verify", "短信验证码不对，请核对后再输入（还可以试 %d 次）。", w.left)
}

// useVerification checks code against mobile's latest live verification
// and uses it up, inside the transaction that opens the case.
func (s *Store) useVerification(ctx context.Context, tx *sql.Tx, mobile, code string, now time.Time) error {
	var id int64
	var salt, hash []byte
	var tries int
	err := tx.QueryRowContext(ctx, `SELECT id, salt, hash, attempts FROM verifications WHERE mobile = ? AND used = 0 AND expires > ?
		ORDER BY id DESC LIMIT 1`, mobile, ms(now)).Scan(&id, &salt, &hash, &tries)
	if errors.Is(err, sql.ErrNoRows) {
		return invalid("verify", "请先获取短信验证码（验证码 10 分钟内有效）。")
	}
	if err != nil {
		return err
	}
	if tries >= codeTries {
		return invalid("verify", "验证码输错次数太多，请重新获取。")
	}
	if code = clean(code); len(code) != 6 || subtle.ConstantTimeCompare(codeHash(salt, code), hash) != 1 {
		return &wrongCode{id: id, left: codeTries - tries - 1}
	}
	_, err = tx.ExecContext(ctx, `UPDATE verifications SET used = 1 WHERE id = ?`, id)
	return err
}
