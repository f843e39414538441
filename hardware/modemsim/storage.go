package modemsim

import (
	"time"
)

// Message statuses of TS 27.005 §3.1 (<stat>), in PDU-mode numbers.
const (
	recUnread = 0
	recRead   = 1
	stoUnsent = 2
	stoSent   = 3
	statAll   = 4
)

var statNames = [...]string{"REC UNREAD", "REC READ", "STO UNSENT", "STO SENT", "ALL"}

// What a stored PDU is.
const (
	kindDeliver = iota
	kindReport
	kindSubmit
)

// message is one place in a memory.
type message struct {
	stat    int
	kind    int
	pdu     string // whole PDU, SMSC field first
	tpduLen int
	// A status report's fields, for text mode, which shows them decoded.
	mr        int
	recipient string
	scts, dt  time.Time
	st        int
}

// store is one message memory (SM, the SIM; ME, the modem), with places
// numbered from 1 as most modems do.
type store struct {
	name  string
	slots []*message
}

func newStore(name string, size int) *store {
	return &store{name: name, slots: make([]*message, size)}
}

func (st *store) used() int {
	n := 0
	for _, m := range st.slots {
		if m != nil {
			n++
		}
	}
	return n
}

func (st *store) total() int { return len(st.slots) }
func (st *store) free() int  { return st.total() - st.used() }

// add puts m in the first free place and returns its index, or 0 when
// the memory is full.
func (st *store) add(m *message) int {
	for i, old := range st.slots {
		if old == nil {
			st.slots[i] = m
			return i + 1
		}
	}
	return 0
}

// get returns the message at index, and whether index is a place of this
// memory at all.
func (st *store) get(index int) (*message, bool) {
	if index < 1 || index > len(st.slots) {
		return nil, false
	}
	return st.slots[index-1], true
}

func (st *store) remove(index int) {
	if index >= 1 && index <= len(st.slots) {
		st.slots[index-1] = nil
	}
}

// indexes lists the places in use.
func (st *store) indexes() []int {
	var out []int
	for i, m := range st.slots {
		if m != nil {
			out = append(out, i+1)
		}
	}
	return out
}
