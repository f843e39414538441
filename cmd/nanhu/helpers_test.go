package main

import (
	"crypto/tls"
	"encoding/base64"

	"github.com/emersion/go-sasl"
)

var tlsInsecure = tls.Config{InsecureSkipVerify: true}

func saslPlain(user, pass string) sasl.Client { return sasl.NewPlainClient("", user, pass) }

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
