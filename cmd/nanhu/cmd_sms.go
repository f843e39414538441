package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

func init() {
	register("sms", "send an SMS and follow it through a running server: send, status", func(args []string) error {
		return runSMSCommand(args, os.Stdin, os.Stdout)
	})
	register("modem", "list the running server's GSM modems", func(args []string) error {
		return runModemCommand(args, os.Stdin, os.Stdout)
	})
}

// apiClient talks to a running `nanhu serve` over its HTTP API, as the
// admin commands that act on the live gateway must.
type apiClient struct {
	base, user, pass string
	hc               *http.Client
}

func apiFlags(fs *flag.FlagSet) (server, user *string, passStdin *bool) {
	server = fs.String("server", "http://127.0.0.1:8080", "`URL` of the running server's HTTP listener")
	user = fs.String("user", "admin", "account with the sms or admin role")
	passStdin = fs.Bool("password-stdin", false, "read the password from standard input (else $NANHU_PASSWORD)")
	return
}

func newAPIClient(server, user string, passStdin bool, stdin io.Reader) (*apiClient, error) {
	pass := os.Getenv("NANHU_PASSWORD")
	if passStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			return nil, errors.New("no password on standard input")
		}
		pass = strings.TrimRight(line, "\r\n")
	}
	if pass == "" {
		return nil, errors.New("give the password with --password-stdin or $NANHU_PASSWORD")
	}
	return &apiClient{base: strings.TrimRight(server, "/"), user: user, pass: pass, hc: &http.Client{Timeout: 30 * time.Second}}, nil
}

// do sends a request and writes the JSON answer, indented, to out.
func (c *apiClient) do(method, path string, body any, out io.Writer) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.user, c.pass)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("the server at %s does not answer: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode >= 300 {
		var e struct{ Error string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s", e.Error)
		}
		return fmt.Errorf("the server answered %s", resp.Status)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		_, err = out.Write(b)
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// runSMSCommand is `nanhu sms send --to +86… --text …` and `nanhu sms status ID`.
func runSMSCommand(args []string, stdin io.Reader, out io.Writer) error {
	if len(args) == 0 || (args[0] != "send" && args[0] != "status") {
		return errors.New("usage: nanhu sms send --to +8613... --text TEXT [--key KEY] | nanhu sms status ID  [--server URL] [--user LOGIN] [--password-stdin]")
	}
	verb := args[0]
	fs := flag.NewFlagSet("sms "+verb, flag.ContinueOnError)
	server, user, passStdin := apiFlags(fs)
	to := fs.String("to", "", "recipient's mobile, E.164 (+8613800000000)")
	text := fs.String("text", "", "the message")
	key := fs.String("key", "", "idempotency key: sending again with it sends nothing new")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	c, err := newAPIClient(*server, *user, *passStdin, stdin)
	if err != nil {
		return err
	}
	switch verb {
	case "send":
		if *to == "" || *text == "" || len(pos) != 0 {
			return errors.New("usage: nanhu sms send --to +8613... --text TEXT [--key KEY]")
		}
		return c.do("POST", "/api/v1/sms", map[string]string{"to": *to, "text": *text, "idempotency_key": *key}, out)
	default:
		if len(pos) != 1 {
			return errors.New("usage: nanhu sms status ID")
		}
		return c.do("GET", "/api/v1/sms/"+pos[0], nil, out)
	}
}

// runModemCommand is `nanhu modem list`.
func runModemCommand(args []string, stdin io.Reader, out io.Writer) error {
	if len(args) == 0 || args[0] != "list" {
		return errors.New("usage: nanhu modem list [--server URL] [--user LOGIN] [--password-stdin]")
	}
	fs := flag.NewFlagSet("modem list", flag.ContinueOnError)
	server, user, passStdin := apiFlags(fs)
	if _, err := parseInterleaved(fs, args[1:]); err != nil {
		return err
	}
	c, err := newAPIClient(*server, *user, *passStdin, stdin)
	if err != nil {
		return err
	}
	return c.do("GET", "/api/v1/modems", nil, out)
}
