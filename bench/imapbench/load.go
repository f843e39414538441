package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

func cmdLoad(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	spec := corpusFlags(fs)
	smtpAddr := fs.String("smtp", "", "deliver over SMTP to this address")
	lmtpAddr := fs.String("lmtp", "", "deliver over LMTP to this address")
	rcpt := fs.String("rcpt", "bench@bench.test", "recipient")
	conns := fs.Int("conns", 8, "parallel sessions")
	fs.Parse(args)
	if (*smtpAddr == "") == (*lmtpAddr == "") {
		return fmt.Errorf("load: give one of -smtp and -lmtp")
	}
	msgs, err := generateChecked(*spec)
	if err != nil {
		return err
	}
	addr, proto := *smtpAddr, "SMTP"
	if *lmtpAddr != "" {
		addr, proto = *lmtpAddr, "LMTP"
	}
	start := time.Now()
	if err := deliver(addr, proto == "LMTP", *rcpt, msgs, *conns); err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Printf("loaded %d messages over %s to %s in %.1f s (%.0f/s, %d sessions)\n", len(msgs), proto, addr, d.Seconds(), float64(len(msgs))/d.Seconds(), *conns)
	return nil
}

// deliver sends every message to rcpt over conns sessions.
func deliver(addr string, lmtp bool, rcpt string, msgs []Message, conns int) error {
	next := make(chan int)
	var failed atomic.Value
	var done atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *smtp.Client
			defer func() {
				if c != nil {
					c.Quit()
				}
			}()
			for i := range next {
				if failed.Load() != nil {
					continue
				}
				if c == nil {
					conn, err := net.DialTimeout("tcp", addr, 30*time.Second)
					if err != nil {
						failed.Store(err)
						continue
					}
					if lmtp {
						c = smtp.NewClientLMTP(conn)
					} else {
						c = smtp.NewClient(conn)
					}
					if err := c.Hello("imapbench.localhost"); err != nil {
						failed.Store(err)
						continue
					}
				}
				if err := c.SendMail("sender@example.org", []string{rcpt}, bytes.NewReader(msgs[i].Raw)); err != nil {
					failed.Store(fmt.Errorf("message %d (%s): %w", i+1, msgs[i].ID, err))
					continue
				}
				done.Add(1)
			}
		}()
	}
	for i := range msgs {
		next <- i
	}
	close(next)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return fmt.Errorf("after %d delivered: %w", done.Load(), err)
	}
	return nil
}
