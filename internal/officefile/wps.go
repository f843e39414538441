package officefile

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
	"golang.org/x/text/encoding/charmap"
)

// The text of a .wps (WPS 文字 since 2005) or .doc: both are Word's
// binary format (MS-DOC) in an OLE compound file. The text is found as
// Word itself finds it: the FIB in the WordDocument stream names the
// table stream (0Table or 1Table) and where in it the piece table (Clx)
// is; each piece is a run of characters in the WordDocument stream,
// UTF-16LE or, when marked compressed, 8-bit (CP1252). An encrypted or
// damaged file gives no text; sizes are bounded as for PDF.

const maxOLEStream = 64 << 20

func wpsText(data []byte) string {
	doc, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return ""
	}
	streams := map[string][]byte{}
	for f, err := doc.Next(); err == nil; f, err = doc.Next() {
		switch f.Name {
		case "WordDocument", "0Table", "1Table":
			if len(f.Path) > 0 || f.Size <= 0 || f.Size > maxOLEStream {
				continue // only the root storage's streams are the document
			}
			b, err := io.ReadAll(io.LimitReader(f, f.Size))
			if err != nil {
				return ""
			}
			streams[f.Name] = b
		}
	}
	return wordBinaryText(streams["WordDocument"], streams["0Table"], streams["1Table"])
}

// wordBinaryText reads the piece table of a WordDocument stream.
func wordBinaryText(wd, table0, table1 []byte) string {
	le := binary.LittleEndian
	if len(wd) < 0x22 || le.Uint16(wd) != 0xA5EC {
		return ""
	}
	flags := le.Uint16(wd[0x0A:])
	if flags&0x0100 != 0 { // fEncrypted
		return ""
	}
	table := table0
	if flags&0x0200 != 0 { // fWhichTblStm
		table = table1
	}
	// FibBase (32 bytes), csw and FibRgW97, cslw and FibRgLw97, then
	// cbRgFcLcb and FibRgFcLcb97, whose 34th pair is fcClx, lcbClx.
	off := 32
	if off+2 > len(wd) {
		return ""
	}
	off += 2 + 2*int(le.Uint16(wd[off:]))
	if off+2 > len(wd) {
		return ""
	}
	off += 2 + 4*int(le.Uint16(wd[off:]))
	if off+2 > len(wd) {
		return ""
	}
	count := int(le.Uint16(wd[off:]))
	off += 2
	const clxPair = 33
	if count <= clxPair || off+8*(clxPair+1) > len(wd) {
		return ""
	}
	fcClx := int(le.Uint32(wd[off+8*clxPair:]))
	lcbClx := int(le.Uint32(wd[off+8*clxPair+4:]))
	if fcClx < 0 || lcbClx <= 0 || fcClx+lcbClx > len(table) || fcClx+lcbClx < fcClx {
		return ""
	}
	clx := table[fcClx : fcClx+lcbClx]
	// Prc entries (0x01, a length, property data) come before the Pcdt.
	for len(clx) > 0 && clx[0] == 0x01 {
		if len(clx) < 3 {
			return ""
		}
		n := int(int16(le.Uint16(clx[1:])))
		if n < 0 || 3+n > len(clx) {
			return ""
		}
		clx = clx[3+n:]
	}
	if len(clx) < 5 || clx[0] != 0x02 {
		return ""
	}
	plc := clx[5:]
	if n := int(le.Uint32(clx[1:])); n < len(plc) {
		plc = plc[:n]
	}
	// PlcPcd: n+1 character positions, then n 8-byte piece descriptors.
	pieces := (len(plc) - 4) / 12
	if pieces <= 0 {
		return ""
	}
	var b strings.Builder
	for i := range pieces {
		cp0, cp1 := int(le.Uint32(plc[4*i:])), int(le.Uint32(plc[4*i+4:]))
		pcd := plc[4*(pieces+1)+8*i:]
		fc := le.Uint32(pcd[2:])
		chars := cp1 - cp0
		if chars <= 0 || chars > maxText {
			continue
		}
		if fc&0x40000000 != 0 { // compressed: one byte a character, at fc/2
			start := int(fc&^0x40000000) / 2
			if start+chars > len(wd) {
				continue
			}
			s, _ := charmap.Windows1252.NewDecoder().Bytes(wd[start : start+chars])
			writeWordText(&b, []rune(string(s)))
		} else {
			start := int(fc)
			if start+2*chars > len(wd) {
				continue
			}
			u := make([]uint16, chars)
			for k := range u {
				u[k] = le.Uint16(wd[start+2*k:])
			}
			writeWordText(&b, utf16.Decode(u))
		}
		if b.Len() >= maxText {
			break
		}
	}
	return strings.TrimSpace(b.String())
}

// writeWordText writes Word's characters as text: paragraph and cell
// marks and breaks as line ends, a field's code left out (its result
// kept), other control characters dropped.
func writeWordText(b *strings.Builder, rs []rune) {
	var fields []bool // open fields, innermost last: true while in its code
	inCode := func() bool {
		for _, c := range fields {
			if c {
				return true
			}
		}
		return false
	}
	for _, r := range rs {
		switch r {
		case 0x13: // field begin: its code follows
			if len(fields) < 64 {
				fields = append(fields, true)
			}
			continue
		case 0x14: // field separator: the result follows
			if len(fields) > 0 {
				fields[len(fields)-1] = false
			}
			continue
		case 0x15: // field end
			if len(fields) > 0 {
				fields = fields[:len(fields)-1]
			}
			continue
		}
		if inCode() {
			continue
		}
		switch {
		case r == '\r' || r == 0x07 || r == 0x0B || r == 0x0C:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte('\t')
		case r < 0x20 || r == 0xFFFD:
		default:
			b.WriteRune(r)
		}
	}
}
