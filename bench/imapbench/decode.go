package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The benchmark's own reading of a message, independent of both servers:
// Go's mime packages and golang.org/x/text charsets. It checks the
// generator: the messages it says contain Word are exactly those whose
// decoded subject, sender, text parts or attachment names do.

func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "utf-8", "us-ascii", "":
		return r, nil
	case "gb2312", "gbk":
		return simplifiedchinese.GB18030.NewDecoder().Reader(r), nil
	}
	enc, err := htmlindex.Get(label)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func decodeHeader(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// decodedText is every piece of text a reader of raw sees.
func decodedText(raw []byte) ([]string, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	var out []string
	for k, vs := range msg.Header {
		for _, v := range vs {
			out = append(out, k+": "+decodeHeader(v))
		}
	}
	err = walkPart(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Header.Get("Content-Disposition"), msg.Body, &out)
	return out, err
}

func walkPart(ctype, cte, disp string, body io.Reader, out *[]string) error {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || ctype == "" {
		mt, params = "text/plain", map[string]string{}
	}
	name := params["name"]
	if disp != "" {
		if _, dp, err := mime.ParseMediaType(disp); err == nil && dp["filename"] != "" {
			name = dp["filename"]
		}
	}
	if name != "" {
		*out = append(*out, decodeHeader(name))
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkPart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p, out); err != nil {
				return err
			}
		}
	case strings.HasPrefix(mt, "text/") && name == "":
		switch strings.ToLower(cte) {
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, body)
		case "quoted-printable":
			body = quotedprintable.NewReader(body)
		}
		r, err := charsetReader(params["charset"], body)
		if err != nil {
			return err
		}
		text, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		*out = append(*out, string(text))
	}
	return nil
}

// containsWord reports whether the decoded message contains Word.
func containsWord(raw []byte) (bool, error) {
	texts, err := decodedText(raw)
	if err != nil {
		return false, err
	}
	for _, t := range texts {
		if strings.Contains(t, Word) {
			return true, nil
		}
	}
	return false, nil
}
