package flow

import (
	"embed"
	"fmt"
	"path"
)

//go:embed standard/*.json
var standard embed.FS

// Standard are the flows Nanhu ships published: 发文, 收文, 签报, and
// for citizens' cases 来信, 来信延期 and 来信整改.
func Standard() ([]*Def, error) {
	ents, err := standard.ReadDir("standard")
	if err != nil {
		return nil, err
	}
	var defs []*Def
	for _, e := range ents {
		b, err := standard.ReadFile(path.Join("standard", e.Name()))
		if err != nil {
			return nil, err
		}
		d, err := Parse(b)
		if err != nil {
			return nil, fmt.Errorf("flow %s: %w", e.Name(), err)
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("flow %s: %w", e.Name(), err)
		}
		defs = append(defs, d)
	}
	return defs, nil
}
