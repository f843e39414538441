package modemsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Handler serves the control API described in the package comment. It
// carries no authentication of its own: whoever mounts it decides who may
// reach it (`nanhu serve` lets administrators only).
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /messages", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Messages())
	})
	mux.HandleFunc("DELETE /messages", func(w http.ResponseWriter, r *http.Request) {
		s.ClearMessages()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /inbound", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			From string `json:"from"`
			Text string `json:"text"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		res, err := s.Inbound(req.From, req.Text)
		switch {
		case errors.Is(err, ErrBadRequest):
			writeError(w, http.StatusBadRequest, err)
		case errors.Is(err, ErrStorageFull):
			writeError(w, http.StatusInsufficientStorage, err)
		case errors.Is(err, ErrNoNetwork):
			writeError(w, http.StatusServiceUnavailable, err)
		case err != nil:
			writeError(w, http.StatusInternalServerError, err)
		default:
			writeJSON(w, http.StatusOK, res)
		}
	})
	mux.HandleFunc("POST /ring", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			From  string `json:"from"`
			Count int    `json:"count"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		s.Ring(req.From, req.Count)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Status())
	})
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Kind string `json:"kind"`
			For  string `json:"for"`
			Now  bool   `json:"now"`
		}
		if !readJSON(w, r, &req) {
			return
		}
		var d time.Duration
		if req.For != "" {
			var err error
			if d, err = time.ParseDuration(req.For); err != nil {
				writeError(w, http.StatusBadRequest, errors.New(`"for" is not a duration such as "70s"`))
				return
			}
		}
		if err := s.InjectFault(req.Kind, d, req.Now); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

// Status is the modem's state as GET /status shows it.
type Status struct {
	Device       string         `json:"device"`
	Link         string         `json:"link"`
	Number       string         `json:"number"`
	Model        string         `json:"model"`
	Echo         bool           `json:"echo"`
	CMGF         int            `json:"cmgf"`
	TextOnly     bool           `json:"text_only,omitempty"`
	CSDH         int            `json:"csdh"`
	CSMP         [4]int         `json:"csmp"`
	CSCS         string         `json:"cscs"`
	CNMI         [5]int         `json:"cnmi"`
	CPMS         [3]string      `json:"cpms"`
	Registration int            `json:"registration"`
	Signal       int            `json:"signal"`
	Storage      map[string]Use `json:"storage"`
	Carried      int            `json:"carried"`
	Faults       []Fault        `json:"faults"`
}

// Use is how full one memory is.
type Use struct {
	Used  int `json:"used"`
	Total int `json:"total"`
}

// Status reports the modem's settings and memories.
func (s *Sim) Status() Status {
	faults := s.Faults()
	dev := s.Device()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{
		Device: dev, Link: s.opts.Link, Number: s.opts.Number, Model: s.opts.Manufacturer + " " + s.opts.Model,
		Echo: s.set.echo, CMGF: s.set.cmgf, TextOnly: s.opts.TextOnly, CSDH: s.set.csdh, CSMP: s.set.csmp, CSCS: s.set.cscs, CNMI: s.set.cnmi, CPMS: s.set.cpms,
		Registration: s.registrationLocked(), Signal: s.rssiLocked(),
		Storage: map[string]Use{}, Carried: len(s.carried), Faults: faults,
	}
	for name, m := range s.stores {
		st.Storage[name] = Use{Used: m.used(), Total: m.total()}
	}
	return st
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, errors.New("the body must be a JSON object with the documented fields: "+err.Error()))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
