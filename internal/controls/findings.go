package controls

import (
	"fmt"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
)

// Finding is one way a resource breaks a control.
type Finding struct {
	URN      string
	Type     string
	Name     string
	ID       string
	Message  string
	resource string
}

func (f Finding) String() string { return f.resource + ": " + f.Message }

// finding describes what is wrong with x.
func finding(x mockrun.Resource, format string, args ...any) Finding {
	return Finding{URN: x.URN, Type: x.Type, Name: x.Name, ID: x.ID, Message: fmt.Sprintf(format, args...),
		resource: x.String()}
}
