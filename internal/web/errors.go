package web

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"sync/atomic"
)

// Error is an error with what to answer: the status, and a sentence for
// the person (Chinese). The cause goes to the log only.
type Error struct {
	Status  int
	Message string
	Cause   error
	// Field, for a form error, is the field the message belongs beside.
	Field string
	// Code is the error's stable name in API answers (not_found,
	// forbidden…); empty: one derived from Status.
	Code string
}

// statusCodes are the API codes of statuses without a code of their own.
var statusCodes = map[int]string{
	http.StatusBadRequest: "bad_request", http.StatusUnauthorized: "unauthorized", http.StatusForbidden: "forbidden",
	http.StatusNotFound: "not_found", http.StatusMethodNotAllowed: "method_not_allowed", http.StatusConflict: "conflict",
	http.StatusRequestEntityTooLarge: "too_large", http.StatusUnsupportedMediaType: "unsupported_media_type",
	http.StatusUnprocessableEntity: "invalid", http.StatusTooManyRequests: "rate_limited",
	http.StatusServiceUnavailable: "unavailable",
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Message, e.Cause)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf is an *Error with a status and a sentence.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// NotFound is the error of a page about something that is not there.
func NotFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Message: what}
}

// Forbidden is the error of an action the person may not take.
func Forbidden(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Message: msg}
}

// isAPI reports whether r wants JSON errors.
func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/sim/") ||
		strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

// Fail answers r with err: an *Error's status and sentence, anything else
// as 500 with a general sentence. The cause and the request id go to the
// log; the person reads the sentence and the request id (to quote to the
// administrator).
func (k *Kit) Fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			e = &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("提交的内容太大（最多 %d MB）。", mbe.Limit>>20)}
		} else {
			e = &Error{Status: http.StatusInternalServerError, Message: "服务器内部错误，请稍后再试。如果问题持续，请把请求编号告诉系统管理员。", Cause: err}
		}
	}
	id := requestID(r)
	switch {
	case e.Status >= 500:
		k.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err, "login", LoginOf(r), "request_id", id)
	case e.Cause != nil:
		k.log.Warn("request refused", "method", r.Method, "path", r.URL.Path, "status", e.Status, "err", err, "login", LoginOf(r), "request_id", id)
	}
	if isAPI(r) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(e.Status)
		code := e.Code
		if code == "" {
			if code = statusCodes[e.Status]; code == "" {
				code = "internal"
			}
		}
		json.NewEncoder(w).Encode(struct {
			Error     string `json:"error"`
			Code      string `json:"code"`
			RequestID string `json:"request_id,omitempty"`
		}{e.Message, code, id})
		return
	}
	title := map[int]string{
		http.StatusBadRequest: "请求有误", http.StatusUnauthorized: "需要登录", http.StatusForbidden: "没有权限",
		http.StatusNotFound: "页面不存在", http.StatusTooManyRequests: "请稍后再试", http.StatusRequestEntityTooLarge: "内容太大",
		http.StatusServiceUnavailable: "服务暂时不可用",
	}[e.Status]
	if title == "" {
		title = "出错了"
	}
	k.render(w, r, k.pages.failed, e.Status, View{Title: title, Data: errorView{Status: e.Status, Message: e.Message}})
}

type errorView struct {
	Status  int
	Message string
}

// requestID is the id of r given by Secure (empty outside it).
func requestID(r *http.Request) string {
	if st := stateOf(r); st != nil {
		return st.id
	}
	return ""
}

// ContentSecurityPolicy is the policy of every page: everything from this
// server, no inline script or style, no frames, no plugins, forms only to
// this server.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// securityHeaders go on every response.
var securityHeaders = map[string][]string{
	"Content-Security-Policy":    {ContentSecurityPolicy},
	"X-Content-Type-Options":     {"nosniff"},
	"X-Frame-Options":            {"DENY"},
	"Referrer-Policy":            {"same-origin"},
	"Cross-Origin-Opener-Policy": {"same-origin"},
	"Permissions-Policy":         {"camera=(), microphone=(), geolocation=()"},
}

var hsts = []string{"max-age=31536000"}

// Secure wraps the whole listener: a request id for every request, the
// security headers on every response, the kit's 404 page for what no
// route serves, and a 500 page (with the stack in the log) for a panic.
func (k *Kit) Secure(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := nextRequestID()
		r = r.WithContext(context.WithValue(r.Context(), keyState, &requestState{id: id}))
		h := w.Header()
		h["X-Request-Id"] = []string{id}
		for k, v := range securityHeaders {
			h[k] = v // shared, never changed
		}
		if r.TLS != nil {
			h["Strict-Transport-Security"] = hsts
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				k.log.Error("panic in a handler", "panic", v, "path", r.URL.Path, "request_id", id, "stack", string(debug.Stack()))
				k.Fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		if _, pattern := mux.Handler(r); pattern == "" {
			// No route: let the mux answer a wrong method (405 with
			// Allow) itself, and the kit a missing page.
			rec := &probe{}
			mux.ServeHTTP(rec, r.Clone(r.Context()))
			switch rec.status {
			case http.StatusMethodNotAllowed:
				h.Set("Allow", rec.Header().Get("Allow"))
				k.Fail(w, r, &Error{Status: http.StatusMethodNotAllowed, Message: "不支持此请求方法，请使用 " + rec.Header().Get("Allow")})
				return
			case http.StatusNotFound:
				k.Fail(w, r, &Error{Status: http.StatusNotFound, Message: "您要找的页面不存在，可能已被移动或删除。"})
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// probe is a ResponseWriter that only keeps the status and headers of what
// the mux would answer.
type probe struct {
	header http.Header
	status int
}

func (p *probe) Header() http.Header {
	if p.header == nil {
		p.header = http.Header{}
	}
	return p.header
}
func (p *probe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *probe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

// Request ids are a random prefix chosen at start and a counter: unique in
// the logs of every run, and no system call per request.
var (
	requestPrefix = func() uint64 {
		b := make([]byte, 8)
		rand.Read(b)
		return binary.BigEndian.Uint64(b) &^ 0xffffffff
	}()
	requestCount atomic.Uint64
)

func nextRequestID() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], requestPrefix|requestCount.Add(1)&0xffffffff)
	return hex.EncodeToString(b[:])
}
