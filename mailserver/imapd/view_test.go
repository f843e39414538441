package imapd

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// TestResolve: resolving a set by binary search over each range gives
// what testing every message against the whole set gives, for random
// mailboxes and random sets (with "*", reversed and overlapping ranges,
// numbers past the end).
func TestResolve(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 2000; round++ {
		var v view
		uid := uint32(0)
		for i := r.IntN(40); i > 0; i-- {
			uid += 1 + uint32(r.IntN(4))
			v.uids = append(v.uids, uid)
		}
		num := func() uint32 {
			if r.IntN(6) == 0 {
				return 0 // "*"
			}
			return 1 + uint32(r.IntN(int(uid)+5))
		}
		var seqSet imap.SeqSet
		var uidSet imap.UIDSet
		for i := 1 + r.IntN(4); i > 0; i-- {
			a, b := num(), num()
			seqSet = append(seqSet, imap.SeqRange{Start: a, Stop: b})
			uidSet = append(uidSet, imap.UIDRange{Start: imap.UID(a), Stop: imap.UID(b)})
		}
		n := uint32(len(v.uids))
		var wantSeqs, wantUIDs []uint32
		for i := uint32(1); i <= n; i++ {
			if seqContains(seqSet, i, n) {
				wantSeqs = append(wantSeqs, i)
				wantUIDs = append(wantUIDs, v.uids[i-1])
			}
		}
		seqs, uids := v.resolve(seqSet)
		if !reflect.DeepEqual(seqs, wantSeqs) || !reflect.DeepEqual(uids, wantUIDs) {
			t.Fatalf("uids %v, set %v: got %v %v, want %v %v", v.uids, seqSet, seqs, uids, wantSeqs, wantUIDs)
		}
		wantSeqs, wantUIDs = nil, nil
		for i, u := range v.uids {
			if uidContains(uidSet, u, v.uids[n-1]) {
				wantSeqs = append(wantSeqs, uint32(i+1))
				wantUIDs = append(wantUIDs, u)
			}
		}
		seqs, uids = v.resolve(uidSet)
		if !reflect.DeepEqual(seqs, wantSeqs) || !reflect.DeepEqual(uids, wantUIDs) {
			t.Fatalf("uids %v, set %v: got %v %v, want %v %v", v.uids, uidSet, seqs, uids, wantSeqs, wantUIDs)
		}
	}
}
