package pdu

import (
	"slices"
	"strings"
	"sync"
	"time"
)

// Reassembler joins the parts of concatenated SMS. Parts are grouped by
// originator, reference and total; they may come in any order, and a part
// seen before is ignored. It keeps parts in memory only: a caller that must
// survive a restart stores each part first and feeds the stored ones back
// with AddAt. Safe for concurrent use.
type Reassembler struct {
	// Now is the clock for Add and for ages; nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	sets map[partKey]*partSet
}

type partKey struct {
	from  string
	ref   uint16
	total int
}

type partSet struct {
	parts []*Deliver // by Seq-1
	have  int
	since time.Time
}

// Message is a whole message: the first part's fields with the text (or
// the data) of every part joined, and the parts in order.
type Message struct {
	Deliver
	Parts []Deliver
}

// Incomplete is a message still missing parts.
type Incomplete struct {
	From  string
	Ref   uint16
	Total int
	Have  []int         // part numbers received, ascending
	Since time.Time     // when its first part arrived
	Age   time.Duration // since then
	Parts []Deliver     // the parts received, in order
}

// NewReassembler returns an empty Reassembler.
func NewReassembler() *Reassembler { return &Reassembler{} }

func (r *Reassembler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Add takes one received part. A message that was never split comes back
// at once. For a part, ok is true when it completed its message.
func (r *Reassembler) Add(d Deliver) (msg Message, ok bool) {
	return r.AddAt(d, r.now())
}

// AddAt is Add for a part that arrived at the given time.
func (r *Reassembler) AddAt(d Deliver, at time.Time) (msg Message, ok bool) {
	c := d.Concat
	if c == nil || c.Total <= 1 || c.Seq < 1 || c.Seq > c.Total {
		return Message{Deliver: d, Parts: []Deliver{d}}, true
	}
	k := partKey{from: d.From, ref: c.Ref, total: c.Total}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sets == nil {
		r.sets = make(map[partKey]*partSet)
	}
	set := r.sets[k]
	if set == nil {
		set = &partSet{parts: make([]*Deliver, c.Total), since: at}
		r.sets[k] = set
	}
	if at.Before(set.since) {
		set.since = at
	}
	if set.parts[c.Seq-1] != nil {
		return Message{}, false
	}
	set.parts[c.Seq-1] = &d
	set.have++
	if set.have < c.Total {
		return Message{}, false
	}
	delete(r.sets, k)
	parts := make([]Deliver, len(set.parts))
	for i, p := range set.parts {
		parts[i] = *p
	}
	return join(parts), true
}

// join glues complete parts together. UCS2 parts are joined as UTF-16
// before decoding, so a surrogate pair cut by the sender comes out whole.
func join(parts []Deliver) Message {
	m := Message{Deliver: parts[0], Parts: parts}
	allUCS2, allData := true, true
	for _, p := range parts {
		allUCS2 = allUCS2 && p.Encoding == UCS2 && p.Data != nil
		allData = allData && p.Encoding == Binary8
	}
	switch {
	case allUCS2, allData:
		var b []byte
		for _, p := range parts {
			b = append(b, p.Data...)
		}
		m.Data = b
		if allUCS2 {
			m.Text = decodeUCS2(b)
		}
	default:
		var sb strings.Builder
		for _, p := range parts {
			sb.WriteString(p.Text)
		}
		m.Text = sb.String()
		m.Data = nil
	}
	c := *parts[0].Concat
	c.Seq = 0
	m.Concat = &c
	m.MoreToSend = parts[len(parts)-1].MoreToSend
	return m
}

// Pending lists the messages still missing parts, oldest first.
func (r *Reassembler) Pending() []Incomplete {
	return r.collect(-1)
}

// Expire removes the messages whose first part is older than maxAge and
// returns them, so the caller can keep what arrived and stop waiting.
func (r *Reassembler) Expire(maxAge time.Duration) []Incomplete {
	return r.collect(maxAge)
}

func (r *Reassembler) collect(maxAge time.Duration) []Incomplete {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Incomplete
	for k, set := range r.sets {
		age := now.Sub(set.since)
		if maxAge >= 0 && age <= maxAge {
			continue
		}
		in := Incomplete{From: k.from, Ref: k.ref, Total: k.total, Since: set.since, Age: age}
		for i, p := range set.parts {
			if p != nil {
				in.Have = append(in.Have, i+1)
				in.Parts = append(in.Parts, *p)
			}
		}
		out = append(out, in)
		if maxAge >= 0 {
			delete(r.sets, k)
		}
	}
	slices.SortFunc(out, func(a, b Incomplete) int { return a.Since.Compare(b.Since) })
	return out
}
