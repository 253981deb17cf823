package report

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/cost"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
)

// Exit codes of the inventory command.
const (
	ExitOK             = 0
	ExitControlsFailed = 1 // the report was printed and at least one control fails
	ExitError          = 2 // bad flags, unknown stack, invalid configuration
)

// Main is the inventory command: `go run ./cmd/inventory -stack prod [-format text|json|markdown]`.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inventory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	stack := fs.String("stack", "", "stack to inspect (a Pulumi.<stack>.yaml in -dir); required unless -docs")
	format := fs.String("format", "text", "output format: "+strings.Join(Formats, ", "))
	dir := fs.String("dir", ".", "project directory (holds Pulumi.yaml)")
	assume := fs.String("assume", "", "override cost assumptions: key=value,... with keys "+strings.Join(cost.AssumptionKeys(), ", "))
	docs := fs.Bool("docs", false, "regenerate "+ComplianceDoc+" , the README's configuration table and docs/COMPONENTS.md's tables, then exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./cmd/inventory -stack STACK [-format text|json|markdown] [-assume k=v,...]\n"+
			"       go run ./cmd/inventory -docs\n\nRuns the stack under mocks (no credentials, no network) and prints its resource tree,\n"+
			"control results and monthly cost. Exit 1 when a control fails, 2 on bad input.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return ExitError
	}
	fail := func(err error) int { fmt.Fprintf(stderr, "inventory: %v\n", err); return ExitError }
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected arguments %v", fs.Args()))
	}
	if *docs {
		if err := WriteDocs(*dir); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "wrote %s, the README's configuration table and docs/COMPONENTS.md's tables\n", ComplianceDoc)
		return ExitOK
	}
	if *stack == "" {
		names, _ := stackrun.Names(*dir)
		return fail(fmt.Errorf("-stack is required; stacks: %s", strings.Join(names, ", ")))
	}
	if !slices.Contains(Formats, *format) {
		return fail(fmt.Errorf("unknown -format %q; use one of %s", *format, strings.Join(Formats, ", ")))
	}
	a := cost.DefaultAssumptions
	if err := a.Set(*assume); err != nil {
		return fail(err)
	}
	inv, err := Build(*dir, *stack, a)
	if err != nil {
		return fail(err)
	}
	if err := Write(stdout, inv, *format); err != nil {
		return fail(err)
	}
	if inv.Failed() > 0 {
		return ExitControlsFailed
	}
	return ExitOK
}
