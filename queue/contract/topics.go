package contract

// Topic names. Every topic carries exactly one message type, listed in
// [Topics].
const (
	// TopicTodo carries [TodoEvent]: a to-do was created, reassigned,
	// done or became overdue. Published by oa/, read by notification
	// routing.
	TopicTodo = "oa.todo"
	// TopicNotifySMS carries [NotifySMS]: an SMS to send. Published by
	// notification routing, read by the SMS gateways (one channel shared
	// by every gateway host, so they share the load).
	TopicNotifySMS = "notify.sms"
	// TopicNotifyMail carries [NotifyMail]: a notification mail to put
	// into a local user's INBOX. Read by the mail server.
	TopicNotifyMail = "notify.mail"
	// TopicSMSInbound carries [SMSInbound]: an SMS a modem received.
	// Read by notification routing (replies to to-dos) and the portal
	// (citizens' messages).
	TopicSMSInbound = "sms.inbound"
	// TopicSMSStatus carries [SMSStatus]: a sent SMS changed state
	// (queued, sending, sent, delivered, failed).
	TopicSMSStatus = "sms.status"
	// TopicOAAction carries [OAAction]: an action on a to-do asked for
	// from outside the workbench, such as an SMS reply. Read by oa/.
	TopicOAAction = "oa.action"
	// TopicPortalCase carries [PortalCase]: a citizen's case opened,
	// added to, rated or reopened on the portal. Read by oa/.
	TopicPortalCase = "portal.case"
	// TopicOACase carries [OACase]: a step of a case's handling in OA
	// (accepted, not accepted, assigned, extended, replied, closed).
	// Read by the portal.
	TopicOACase = "oa.case"
	// TopicMailCase carries [MailCase]: a mail to a case address, handed
	// over by the mail server. Read by the portal.
	TopicMailCase = "mail.case"
)

// DeadLetterSuffix makes a topic's dead-letter topic: "oa.todo" →
// "oa.todo.dead". A dead-letter topic carries [DeadLetter] envelopes.
const DeadLetterSuffix = ".dead"

// DeadLetterTopic returns the dead-letter topic of topic.
func DeadLetterTopic(topic string) string { return topic + DeadLetterSuffix }

// TopicInfo describes one topic for documentation, tools and tests.
type TopicInfo struct {
	Name    string // e.g. "oa.todo"
	Dead    string // its dead-letter topic, e.g. "oa.todo.dead"
	Version int    // the schema version this build publishes and reads
	Type    string // the Go type in this package, e.g. "TodoEvent"
	Doc     string // one line
}

// Topics lists every topic, in the order of the data flow.
func Topics() []TopicInfo {
	t := []TopicInfo{
		{Name: TopicTodo, Version: TodoVersion, Type: "TodoEvent", Doc: "a to-do created, reassigned, done or overdue"},
		{Name: TopicNotifySMS, Version: NotifySMSVersion, Type: "NotifySMS", Doc: "an SMS for a gateway to send"},
		{Name: TopicNotifyMail, Version: NotifyMailVersion, Type: "NotifyMail", Doc: "a notification mail for a local user's INBOX"},
		{Name: TopicSMSInbound, Version: SMSInboundVersion, Type: "SMSInbound", Doc: "an SMS received by a modem"},
		{Name: TopicSMSStatus, Version: SMSStatusVersion, Type: "SMSStatus", Doc: "a sent SMS changed state"},
		{Name: TopicOAAction, Version: OAActionVersion, Type: "OAAction", Doc: "an action on a to-do from outside the workbench"},
		{Name: TopicPortalCase, Version: PortalCaseVersion, Type: "PortalCase", Doc: "a citizen's case opened, added to, rated or reopened"},
		{Name: TopicOACase, Version: OACaseVersion, Type: "OACase", Doc: "a step of a case's handling in OA"},
		{Name: TopicMailCase, Version: MailCaseVersion, Type: "MailCase", Doc: "a mail to a case address"},
	}
	for i := range t {
		t[i].Dead = DeadLetterTopic(t[i].Name)
	}
	return t
}
