package smsgateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HandlerOptions configure the HTTP API.
type HandlerOptions struct {
	// Authorize tells who makes a request, ok false to refuse it (401).
	// Nil refuses every request: the API is never open by accident.
	Authorize func(r *http.Request) (user string, ok bool)
	// MaxBody bounds a request body; default 64 KiB.
	MaxBody int64
}

// Handler serves the SMS API (JSON):
//
//	POST /api/v1/sms          {"to":"+8613800000001","text":"测试短信","idempotency_key":"…"}
//	                          → 202 and the message (200 when the key was seen before)
//	GET  /api/v1/sms/{id}     → the message with its parts and their states
//	GET  /api/v1/sms          ?state=&to=&before=&limit= → {"messages":[…],"next_before":id}
//	GET  /api/v1/sms/inbound  ?after=&from=&limit= → {"messages":[…]}
//	GET  /api/v1/modems       → {"modems":[…]}
//
// POST also takes "key" for the idempotency key, or an Idempotency-Key
// header, "status_report" (true/false) and "validity_seconds". Errors
// are {"error":"…"}: 400 for a bad request (the number not in E.164 form,
// the text empty or too long), 401 unauthorised, 404, 409 for an
// idempotency key reused with another message, 503 when sms.db fails.
func (g *Gateway) Handler(o HandlerOptions) http.Handler {
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	h := &api{g: g, o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/sms", h.send)
	mux.HandleFunc("GET /api/v1/sms", h.list)
	mux.HandleFunc("GET /api/v1/sms/{id}", h.get)
	mux.HandleFunc("GET /api/v1/sms/inbound", h.inbound)
	mux.HandleFunc("GET /api/v1/modems", h.modems)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.Authorize == nil {
			writeError(w, http.StatusUnauthorized, "authentication required")
			return
		}
		user, ok := o.Authorize(r)
		if !ok {
			writeError(w, http.StatusUnauthorized, "authentication required")
			return
		}
		mux.ServeHTTP(w, r.WithContext(withUser(r.Context(), user)))
	})
}

type api struct {
	g *Gateway
	o HandlerOptions
}

// sendBody is the JSON of POST /api/v1/sms.
type sendBody struct {
	To              string `json:"to"`
	Text            string `json:"text"`
	IdempotencyKey  string `json:"idempotency_key"`
	Key             string `json:"key"`
	StatusReport    *bool  `json:"status_report"`
	ValiditySeconds int64  `json:"validity_seconds"`
}

func (h *api) send(w http.ResponseWriter, r *http.Request) {
	var b sendBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, h.o.MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "the body is not the JSON of an SMS: "+err.Error())
		return
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, "the body holds more than one JSON value")
		return
	}
	key := firstNonEmpty(b.IdempotencyKey, b.Key, r.Header.Get("Idempotency-Key"))
	if b.ValiditySeconds < 0 || b.ValiditySeconds > int64(maxValidity/time.Second) {
		writeError(w, http.StatusBadRequest, "validity_seconds is out of range")
		return
	}
	m, existed, err := h.g.send(r.Context(), Request{
		To: strings.TrimSpace(b.To), Text: b.Text, IdempotencyKey: key, RequestStatusReport: b.StatusReport,
		Validity: time.Duration(b.ValiditySeconds) * time.Second, RequestedBy: userOf(r.Context()),
	})
	switch {
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	case errors.Is(err, ErrKeyReused):
		writeError(w, http.StatusConflict, "the idempotency key was already used for an SMS with another recipient or text")
	case err != nil:
		h.g.log.Error("SMS request not stored", "err", err)
		writeError(w, http.StatusServiceUnavailable, "the SMS could not be stored; try again")
	case existed:
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, http.StatusOK, withStatus(m))
	default:
		w.Header().Set("Location", fmt.Sprintf("/api/v1/sms/%d", m.ID))
		writeJSON(w, http.StatusAccepted, withStatus(m))
	}
}

func (h *api) get(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "the id must be a positive number")
		return
	}
	m, err := h.g.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Sprintf("no SMS with id %d", id))
	case err != nil:
		h.g.log.Error("SMS not read", "id", id, "err", err)
		writeError(w, http.StatusServiceUnavailable, "the SMS could not be read; try again")
	default:
		writeJSON(w, http.StatusOK, withStatus(m))
	}
}

func (h *api) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := Filter{State: State(q.Get("state")), To: queryNumber(q.Get("to"))}
	if f.State != "" && !f.State.Valid() {
		writeError(w, http.StatusBadRequest, "state must be one of queued, sending, sent, delivered, failed")
		return
	}
	var ok bool
	if f.BeforeID, ok = queryInt(w, q.Get("before"), "before"); !ok {
		return
	}
	limit, ok := queryInt(w, q.Get("limit"), "limit")
	if !ok {
		return
	}
	f.Limit = int(min(limit, 1000))
	if f.Limit == 0 {
		f.Limit = 100
	}
	ms, err := h.g.List(r.Context(), f)
	if err != nil {
		h.g.log.Error("SMS not listed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "the SMS could not be listed; try again")
		return
	}
	out := struct {
		Messages   []Message `json:"messages"`
		NextBefore int64     `json:"next_before,omitempty"`
	}{Messages: ms}
	if out.Messages == nil {
		out.Messages = []Message{}
	}
	if len(ms) == f.Limit {
		out.NextBefore = ms[len(ms)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *api) inbound(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := InboundFilter{From: queryNumber(q.Get("from"))}
	var ok bool
	if f.AfterID, ok = queryInt(w, q.Get("after"), "after"); !ok {
		return
	}
	limit, ok := queryInt(w, q.Get("limit"), "limit")
	if !ok {
		return
	}
	f.Limit = int(min(limit, 1000))
	ms, err := h.g.Inbound(r.Context(), f)
	if err != nil {
		h.g.log.Error("inbound SMS not listed", "err", err)
		writeError(w, http.StatusServiceUnavailable, "the received SMS could not be listed; try again")
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Messages []InboundMessage `json:"messages"`
	}{ms})
}

func (h *api) modems(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		Modems []ModemStatus `json:"modems"`
	}{h.g.Modems()})
}

// queryNumber undoes what a query string does to an unescaped "+": it
// arrives as a space.
func queryNumber(s string) string {
	if strings.HasPrefix(s, " ") {
		return "+" + strings.TrimSpace(s)
	}
	return strings.TrimSpace(s)
}

func queryInt(w http.ResponseWriter, s, name string) (int64, bool) {
	if s == "" {
		return 0, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		writeError(w, http.StatusBadRequest, name+" must be a number, 0 or more")
		return 0, false
	}
	return v, true
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// apiMessage is a message as the API shows it: its fields, and its state
// also under "status", the name the API's first users asked for.
type apiMessage struct {
	Message
	Status State `json:"status"`
}

func withStatus(m Message) apiMessage { return apiMessage{Message: m, Status: m.State} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		io.WriteString(w, "\n")
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

type userKey struct{}

func withUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

func userOf(ctx context.Context) string {
	u, _ := ctx.Value(userKey{}).(string)
	return u
}
