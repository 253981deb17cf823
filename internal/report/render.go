package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/cost"
)

// Formats the inventory can be written in.
var Formats = []string{"text", "json", "markdown"}

// Write renders the inventory in format.
func Write(w io.Writer, inv *Inventory, format string) error {
	switch format {
	case "text":
		return writeText(w, inv)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(inv)
	case "markdown":
		return writeMarkdown(w, inv)
	}
	return fmt.Errorf("unknown format %q; use one of %v", format, Formats)
}

func flags(n *Node) string {
	var f []string
	if n.Protect {
		f = append(f, "protect")
	}
	if n.RetainOnDelete {
		f = append(f, "retainOnDelete")
	}
	if len(f) == 0 {
		return ""
	}
	return " [" + strings.Join(f, ", ") + "]"
}

func walk(nodes []*Node, depth int, fn func(n *Node, depth int)) {
	for _, n := range nodes {
		fn(n, depth)
		walk(n.Children, depth+1, fn)
	}
}

func counts(inv *Inventory) map[controls.Status]int {
	c := map[controls.Status]int{}
	for _, r := range inv.Controls {
		c[r.Status]++
	}
	return c
}

func summary(inv *Inventory) string {
	c := counts(inv)
	return fmt.Sprintf("%d pass, %d accepted with exceptions, %d not applicable, %d fail",
		c[controls.Pass], c[controls.Accepted], c[controls.NotApplicable], c[controls.Fail])
}

func writeText(w io.Writer, inv *Inventory) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("Stack %s (region %s), %d resources\n\n", inv.Stack, inv.Region, inv.Resources)
	p("Resources\n")
	walk(inv.Tree, 1, func(n *Node, d int) { p("%s%s %s%s\n", strings.Repeat("  ", d), n.Type, n.Name, flags(n)) })
	p("\nControls: %s\n", summary(inv))
	for _, c := range inv.Controls {
		p("  %-9s %-11s %s\n", strings.ToUpper(string(c.Status)), c.ID, c.Title)
		for _, f := range c.Failures {
			p("            FAIL %s\n", f)
		}
		for _, a := range c.Accepted {
			p("            accepted %s\n", a)
		}
	}
	p("\nExceptions that apply to this stack\n")
	for _, e := range inv.Exceptions {
		p("  %s (%s): %s\n    reason: %s\n    compensating: %s\n", e.ID, strings.Join(e.Upstream, ", "), e.Statement, e.Reason, e.Compensating)
	}
	p("\nMonthly cost (USD, %s list prices as of %s)\n", inv.Cost.Region, inv.Cost.PricesAsOf)
	for _, l := range inv.Cost.Lines {
		p("  %-55s %-60s %10.2f\n", l.Item, l.Quantity, l.Monthly)
	}
	p("  %-55s %-60s %10.2f\n", "Total", "", inv.Cost.Total)
	p("  Assumptions (override with -assume key=value): %s\n", assumptions(inv.Cost.Assumptions))
	p("  Not priced: %s\n", cost.NotPriced)
	return nil
}

func assumptions(a cost.Assumptions) string {
	return fmt.Sprintf("nat-gb=%g flow-log-gb=%g kms-requests=%g state-gb=%g state-puts=%g state-gets=%g access-log-gb=%g lock-requests=%g archive-gb=%g archive-objects=%g",
		a.NatGBPerMonth, a.FlowLogGBPerMonth, a.KmsRequestsPerKeyMonth, a.StateGB, a.StatePutsPerMonth,
		a.StateGetsPerMonth, a.AccessLogGBPerMonth, a.LockRequestsPerMonth, a.ArchiveGBPerMonth, a.ArchiveObjectsPerMonth)
}

func writeMarkdown(w io.Writer, inv *Inventory) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	icon := map[controls.Status]string{controls.Pass: "✅", controls.Accepted: "☑️", controls.NotApplicable: "➖", controls.Fail: "❌"}
	p("### aws-foundation `%s` (%s)\n\n", inv.Stack, inv.Region)
	p("**Controls:** %s. **Monthly cost:** $%.2f. **Resources:** %d.\n\n", summary(inv), inv.Cost.Total, inv.Resources)
	if inv.Failed() > 0 {
		p("#### Failing controls\n\n")
		for _, c := range inv.Controls {
			for _, f := range c.Failures {
				p("- ❌ **%s** %s: %s\n", c.ID, c.Title, f)
			}
		}
		p("\n")
	}
	p("<details><summary>Controls</summary>\n\n| | Control | Statement | Upstream |\n| --- | --- | --- | --- |\n")
	for _, c := range inv.Controls {
		p("| %s | %s | %s | %s |\n", icon[c.Status], c.ID, c.Title, strings.Join(c.Upstream, ", "))
	}
	p("\n")
	for _, e := range inv.Exceptions {
		p("- **%s** (%s): %s Reason: %s Compensating: %s\n", e.ID, strings.Join(e.Upstream, ", "), e.Statement, e.Reason, e.Compensating)
	}
	p("\n</details>\n\n<details><summary>Monthly cost</summary>\n\n| Item | Quantity | USD/month |\n| --- | --- | ---: |\n")
	for _, l := range inv.Cost.Lines {
		p("| %s | %s | %.2f |\n", l.Item, l.Quantity, l.Monthly)
	}
	p("| **Total** | | **%.2f** |\n\nPrices: %s list prices as of %s. Assumptions: `%s`. Not priced: %s.\n\n</details>\n\n",
		inv.Cost.Total, inv.Cost.Region, inv.Cost.PricesAsOf, assumptions(inv.Cost.Assumptions), cost.NotPriced)
	p("<details><summary>Resources</summary>\n\n```\n")
	walk(inv.Tree, 0, func(n *Node, d int) { p("%s%s %s%s\n", strings.Repeat("  ", d), n.Type, n.Name, flags(n)) })
	p("```\n\n</details>\n")
	return nil
}
