package docflow

import (
	"errors"

	"nanhu/internal/officefile"
)

// bodyTypes are the files a 正文 may be.
var bodyTypes = []officefile.Kind{officefile.Docx, officefile.WPS, officefile.PDF}

// attachTypes are the files an attachment may be.
var attachTypes = []officefile.Kind{officefile.Docx, officefile.WPS, officefile.PDF, officefile.Doc,
	officefile.Xlsx, officefile.Xls, officefile.ET, officefile.OFD, officefile.PNG, officefile.JPG, officefile.JPEG, officefile.Text}

// CheckUpload checks an uploaded file's name, size and first bytes
// against the kinds allowed; a refusal is an *Error of code "invalid"
// that says in one sentence what is wrong.
func CheckUpload(name string, data []byte, allowed []officefile.Kind, max int64) (officefile.Kind, error) {
	k, err := officefile.Check(name, data, allowed, max)
	var e *officefile.Error
	if errors.As(err, &e) {
		return k, errf("invalid", "%s", e.Msg)
	}
	return k, err
}
