package queue

import "nanhu/internal/datadir"

// DataFiles is what the queue keeps in the data folder.
var DataFiles = datadir.Registry{{
	Path:  "nsqd/",
	Part:  "queue",
	About: "the embedded nsqd's disk queues: events in transit between the parts",
	Title: "消息队列的磁盘缓存：各部分之间正在传递的事件", Policy: datadir.Skip,
	Reason: "an event is in its sender's database until nsqd has it and in its receiver's once handled, so the databases hold the state; after a restore the queue starts empty, without the events that were in transit at the instant of the backup",
}}
