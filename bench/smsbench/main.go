// Command smsbench is the load and measuring program of bench/sms.sh: it
// makes the backlog of Chinese SMS, hands it to Nanhu (its HTTP API) or to
// smstools' smsd (its outgoing spool), watches the simulated modems
// (`nanhu modemsim` control APIs) until every part is carried, reads the
// CPU time the sender used, and checks after a crash that nothing was lost
// and what was sent twice.
//
//	smsbench gen    -n 2000 -seed 1 -out msgs.jsonl
//	smsbench stage  -in msgs.jsonl -dir STAGE           smsd spool files (Alphabet: UCS, UTF-16BE)
//	smsbench submit -in msgs.jsonl -url URL -user U -pass P [-conns 16]
//	smsbench drive  -in msgs.jsonl -sims URL,... (-url URL -user U -pass P | -stage DIR -outgoing DIR)
//	                [-cpu-pid PID | -cpu-pgid PGID] [-stop-records N] [-out result.json]
//	smsbench wait   -in msgs.jsonl -sims URL,...        until every message is carried at least once
//	smsbench check  -in msgs.jsonl -sims URL,... [-out check.json]
//	smsbench ports  N                                   N free TCP ports on 127.0.0.1
//	smsbench authcost -url URL -user U -pass P -cpu-pid PID [-n 200]   server CPU per authenticated GET
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "gen":
		err = cmdGen(args)
	case "stage":
		err = cmdStage(args)
	case "submit":
		err = cmdSubmit(args)
	case "drive":
		err = cmdDrive(args)
	case "wait":
		err = cmdWait(args)
	case "check":
		err = cmdCheck(args)
	case "ports":
		err = cmdPorts(args)
	case "authcost":
		err = cmdAuthCost(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsbench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: smsbench gen|stage|submit|drive|wait|check|ports|authcost [flags] (see the package comment)")
	os.Exit(2)
}
