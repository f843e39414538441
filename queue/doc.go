// Package queue carries Nanhu's events over NSQ; see the contract
// subpackage for the topics and their messages.
package queue
