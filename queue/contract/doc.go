// Package contract is the one place that defines every NSQ topic Nanhu
// uses and the versioned JSON message carried on it.
//
// Each topic has one Go type (TodoEvent on oa.todo, NotifySMS on
// notify.sms, …) with a field V that carries the schema version, an id
// that names the event (consumers drop a second delivery of the same id),
// and a Validate method. Publishing code builds these types; nobody
// publishes an ad-hoc map. [Decode] reads a message body into its type:
// it refuses a body that is not JSON ([ErrMalformed]), one whose "v" this
// build does not read ([ErrVersion]) and one that breaks the type's rules
// ([ErrInvalid]); the queue sends all three to the topic's dead-letter
// topic ([DeadLetterTopic]) with the reason.
//
// Versions: a change that only adds optional fields keeps the version (a
// reader ignores fields it does not know); a change that renames, removes
// or changes the meaning of a field is a new version, published on the
// same topic only once every consumer reads it.
//
// This package has no dependency on NSQ, so any part may import it.
package contract
