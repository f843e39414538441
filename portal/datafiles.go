package portal

import "nanhu/internal/datadir"

// DataFiles is what the portal keeps in the data folder.
var DataFiles = datadir.Registry{
	{Path: "portal.db", Part: "portal", About: "the public portal: sections, columns, articles with every version and their trails, images and attachments, the published pages, the search index",
		Title: "门户网站：分站、栏目、稿件及其各版本与记录、图片和附件、已发布页面、全文检索索引", Policy: datadir.Database},
}
