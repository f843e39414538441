package officefile

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

// oleFile is a compound file (MS-CFB version 3, 512-byte sectors) of the
// given root streams, each at least 4,096 bytes so that none goes to the
// mini stream: what Word and WPS write, reduced to what a reader needs.
func oleFile(names []string, streams [][]byte) []byte {
	le := binary.LittleEndian
	const sector = 512
	const endChain, fatSect, free = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
	var fat []uint32
	fat = append(fat, fatSect, endChain) // the FAT, the directory
	starts := make([]uint32, len(streams))
	var body []byte
	for i, s := range streams {
		for len(s)%sector != 0 || len(s) < 4096 {
			s = append(s, 0)
		}
		streams[i] = s
		starts[i] = uint32(len(fat))
		n := len(s) / sector
		for k := range n {
			if k == n-1 {
				fat = append(fat, endChain)
			} else {
				fat = append(fat, uint32(len(fat)+1))
			}
		}
		body = append(body, s...)
	}
	for len(fat) < sector/4 {
		fat = append(fat, free)
	}
	h := make([]byte, sector)
	copy(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	le.PutUint16(h[0x18:], 0x3E)
	le.PutUint16(h[0x1A:], 3)
	le.PutUint16(h[0x1C:], 0xFFFE)
	le.PutUint16(h[0x1E:], 9)
	le.PutUint16(h[0x20:], 6)
	le.PutUint32(h[0x2C:], 1)        // FAT sectors
	le.PutUint32(h[0x30:], 1)        // the directory's first sector
	le.PutUint32(h[0x38:], 4096)     // mini stream cutoff
	le.PutUint32(h[0x3C:], endChain) // no mini FAT
	le.PutUint32(h[0x44:], endChain) // no DIFAT sectors
	for i := 0x4C; i < sector; i += 4 {
		le.PutUint32(h[i:], free)
	}
	le.PutUint32(h[0x4C:], 0) // the FAT is sector 0
	f := make([]byte, sector)
	for i, v := range fat {
		le.PutUint32(f[4*i:], v)
	}
	dir := make([]byte, sector)
	entry := func(i int, name string, typ byte, left, right, child, start uint32, size int) {
		e := dir[128*i:]
		u := utf16.Encode([]rune(name))
		for k, c := range u {
			le.PutUint16(e[2*k:], c)
		}
		le.PutUint16(e[0x40:], uint16(2*len(u)+2))
		e[0x42], e[0x43] = typ, 1 // black
		le.PutUint32(e[0x44:], left)
		le.PutUint32(e[0x48:], right)
		le.PutUint32(e[0x4C:], child)
		le.PutUint32(e[0x74:], start)
		le.PutUint32(e[0x78:], uint32(size))
	}
	entry(0, "Root Entry", 5, free, free, 1, endChain, 0)
	for i := range streams {
		right := uint32(free)
		if i+2 <= len(streams) {
			right = uint32(i + 2)
		}
		entry(i+1, names[i], 2, free, right, free, starts[i], len(streams[i]))
	}
	out := append(h, f...)
	out = append(out, dir...)
	return append(out, body...)
}

// wordDoc is a WordDocument stream and its 1Table stream: a FIB that
// points at a piece table of two pieces, Chinese in UTF-16 with a field,
// then Latin text stored compressed (CP1252).
func wordDoc() (wd, table []byte) {
	le := binary.LittleEndian
	wd = make([]byte, 4096)
	le.PutUint16(wd, 0xA5EC)
	le.PutUint16(wd[0x0A:], 0x0200) // the 1Table stream
	off := 32
	le.PutUint16(wd[off:], 14)
	off += 2 + 28
	le.PutUint16(wd[off:], 22)
	off += 2 + 88
	le.PutUint16(wd[off:], 93)
	off += 2
	u := utf16.Encode([]rune("关于做好安全生产工作的通知\r各镇人民政府：\x13 PAGE \\* MERGEFORMAT \x14第1页\x15\r"))
	for k, c := range u {
		le.PutUint16(wd[2048+2*k:], c)
	}
	latin := []byte("Report \x93draft\x94\x07\r")
	copy(wd[3500:], latin)
	table = make([]byte, 4096)
	clx := []byte{0x01, 2, 0, 0xAA, 0xBB, 0x02} // a Prc, then the Pcdt
	var plc []byte
	for _, cp := range []uint32{0, uint32(len(u)), uint32(len(u) + len(latin))} {
		plc = le.AppendUint32(plc, cp)
	}
	plc = append(plc, 0, 0)
	plc = le.AppendUint32(plc, 2048)
	plc = append(plc, 0, 0, 0, 0)
	plc = le.AppendUint32(plc, 0x40000000|3500*2)
	plc = append(plc, 0, 0)
	clx = le.AppendUint32(clx, uint32(len(plc)))
	clx = append(clx, plc...)
	copy(table[100:], clx)
	le.PutUint32(wd[off+8*33:], 100)
	le.PutUint32(wd[off+8*33+4:], uint32(len(clx)))
	return wd, table
}

func TestWPSText(t *testing.T) {
	wd, table := wordDoc()
	file := oleFile([]string{"WordDocument", "1Table"}, [][]byte{wd, table})
	if _, err := Check("正文.wps", file, []Kind{WPS}, 1<<20); err != nil {
		t.Fatal(err)
	}
	got := ExtractText(WPS, file)
	want := "关于做好安全生产工作的通知\n各镇人民政府：第1页\nReport “draft”"
	if got != want {
		t.Fatalf("ExtractText = %q, want %q", got, want)
	}
	// Encrypted: no text. Not Word (no FIB): no text. Cut short: no panic.
	wd2 := bytes.Clone(wd)
	wd2[0x0B] |= 0x01 // fEncrypted, bit 8 of the flags at 0x0A
	if got := wpsText(oleFile([]string{"WordDocument", "1Table"}, [][]byte{wd2, bytes.Clone(table)})); got != "" {
		t.Fatalf("an encrypted file gave %q", got)
	}
	if got := wpsText(oleFile([]string{"Workbook"}, [][]byte{make([]byte, 4096)})); got != "" {
		t.Fatalf("a workbook gave %q", got)
	}
	for n := 0; n < len(file); n += 509 {
		wpsText(file[:n])
	}
}

// FuzzWPSText: whatever the bytes, the reader ends with valid UTF-8.
func FuzzWPSText(f *testing.F) {
	wd, table := wordDoc()
	f.Add(oleFile([]string{"WordDocument", "1Table"}, [][]byte{wd, table}))
	f.Add([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if s := wpsText(b); !utf8Valid(s) {
			t.Fatalf("invalid UTF-8: %q", s)
		}
		wordBinaryText(b, b, b)
	})
}
