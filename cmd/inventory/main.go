// Command inventory reviews a stack without AWS access: it runs the program under mocks with the stack's real
// configuration and prints the resource tree, the control results with their exceptions, and the monthly cost.
//
//	go run ./cmd/inventory -stack prod
//	go run ./cmd/inventory -stack prod -format markdown   # a pull-request comment
//	go run ./cmd/inventory -stack dev -format json -assume nat-gb=500
//	go run ./cmd/inventory -docs                          # regenerate docs/COMPLIANCE.md and the generated tables
package main

import (
	"os"

	"github.com/aws-foundation/aws-foundation/internal/report"
)

func main() {
	os.Exit(report.Main(os.Args[1:], os.Stdout, os.Stderr))
}
