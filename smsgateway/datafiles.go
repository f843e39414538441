package smsgateway

import "nanhu/internal/datadir"

// DataFiles is what the SMS gateway keeps in the data folder.
var DataFiles = datadir.Registry{
	{Path: "sms.db", Part: "smsgateway", About: "SMS sent and received, their parts, states and delivery reports", Title: "短信：发出与收到的短信、分条、状态与回执", Policy: datadir.Database},
	{Path: "sim/", Part: "smsgateway", About: "the simulated modem's pseudo-terminal link (no modem configured)", Title: "模拟调制解调器的伪终端链接", Policy: datadir.Skip,
		Reason: "a link to a pty made anew at each start"},
}
