package pages

import (
	"time"

	"nanhu/internal/workcal"
)

var cst = workcal.Shanghai()

func shanghai() *time.Location { return cst }
