package modemsim

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Fault kinds; the package comment says what each does.
const (
	FaultNoNetwork   = "no-network"
	FaultSIMPIN      = "sim-pin"
	FaultCMS330      = "cms-330"
	FaultCMS331      = "cms-331"
	FaultCMS500      = "cms-500"
	FaultCMS512      = "cms-512"
	FaultNoPrompt    = "no-prompt"
	FaultSlowSend    = "slow-send"
	FaultGarbage     = "garbage"
	FaultStorageFull = "storage-full"
	FaultVanish      = "vanish"
)

// FaultKinds lists every kind, in the order the documentation gives them.
var FaultKinds = []string{
	FaultNoNetwork, FaultSIMPIN, FaultCMS330, FaultCMS331, FaultCMS500, FaultCMS512,
	FaultNoPrompt, FaultSlowSend, FaultGarbage, FaultStorageFull, FaultVanish,
}

// Fault is one injected fault in force.
type Fault struct {
	Kind string `json:"kind"`
	// For is how long a slow send or a vanished device lasts; zero means
	// the simulator's default.
	For time.Duration `json:"-"`
	// ForText is For as the control API shows it.
	ForText string    `json:"for,omitempty"`
	Since   time.Time `json:"since"`
}

func (f *Fault) duration(def time.Duration) time.Duration {
	if f.For > 0 {
		return f.For
	}
	return def
}

// InjectFault puts a fault in force. For the vanish kind, now makes the
// device go at once instead of at the next command line.
func (s *Sim) InjectFault(kind string, d time.Duration, now bool) error {
	if !slices.Contains(FaultKinds, kind) {
		return fmt.Errorf("%w: unknown fault %q; the kinds are %s", ErrBadRequest, kind, strings.Join(FaultKinds, ", "))
	}
	if d < 0 {
		return fmt.Errorf("%w: negative duration", ErrBadRequest)
	}
	s.log.Info("fault injected", "kind", kind, "for", d, "now", now)
	switch kind {
	case FaultGarbage:
		s.garbage()
		return nil
	case FaultVanish:
		if now {
			if d == 0 {
				d = s.opts.VanishFor
			}
			s.vanish(d)
			return nil
		}
	}
	f := &Fault{Kind: kind, For: d, Since: time.Now()}
	if d > 0 {
		f.ForText = d.String()
	}
	s.mu.Lock()
	before := s.registrationLocked()
	s.faults[kind] = f
	if kind == FaultSIMPIN {
		s.pinNeeded = true
	}
	creg := s.cregChangeLocked(before)
	s.mu.Unlock()
	s.urc(creg...)
	return nil
}

// ClearFaults ends every fault, a SIM PIN request included.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	before := s.registrationLocked()
	s.faults = map[string]*Fault{}
	s.pinNeeded = false
	creg := s.cregChangeLocked(before)
	s.mu.Unlock()
	s.log.Info("faults cleared")
	s.urc(creg...)
}

// Faults lists the faults in force.
func (s *Sim) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, k := range FaultKinds {
		if f := s.faults[k]; f != nil {
			out = append(out, *f)
		}
	}
	return out
}

// takeFaultLocked consumes a one-shot fault.
func (s *Sim) takeFaultLocked(kind string) *Fault {
	f := s.faults[kind]
	delete(s.faults, kind)
	return f
}

// armedVanish makes the device vanish now if a vanish fault waits for a
// command line. The line is not answered.
func (s *Sim) armedVanish() bool {
	s.mu.Lock()
	f := s.takeFaultLocked(FaultVanish)
	s.mu.Unlock()
	if f == nil {
		return false
	}
	s.vanish(f.duration(s.opts.VanishFor))
	return true
}
