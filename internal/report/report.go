// Package report builds what the inventory command prints for a stack: the resource tree, the control results
// with their exceptions, and the monthly cost, all from a mock run with the stack's real configuration.
package report

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/controls"
	"github.com/aws-foundation/aws-foundation/internal/cost"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
)

// Node is one resource in the tree.
type Node struct {
	Type           string  `json:"type"`
	Name           string  `json:"name"`
	Protect        bool    `json:"protect,omitempty"`
	RetainOnDelete bool    `json:"retainOnDelete,omitempty"`
	Children       []*Node `json:"children,omitempty"`
}

// ControlResult is one control's outcome, flattened for output.
type ControlResult struct {
	ID       string          `json:"id"`
	Title    string          `json:"title"`
	Status   controls.Status `json:"status"`
	Upstream []string        `json:"upstream"`
	Failures []string        `json:"failures,omitempty"`
	Accepted []string        `json:"accepted,omitempty"` // "EX-01: <finding>"
}

// ExceptionNote is a standing exception of the stack.
type ExceptionNote struct {
	ID           string   `json:"id"`
	Upstream     []string `json:"upstream"`
	Statement    string   `json:"statement"`
	Reason       string   `json:"reason"`
	Compensating string   `json:"compensating"`
}

// Inventory is everything the command reports for one stack.
type Inventory struct {
	Stack      string          `json:"stack"`
	Region     string          `json:"region"`
	Resources  int             `json:"resourceCount"`
	Tree       []*Node         `json:"tree"`
	Controls   []ControlResult `json:"controls"`
	Exceptions []ExceptionNote `json:"exceptions"`
	Cost       cost.Estimate   `json:"cost"`
}

// Failed counts failing controls.
func (inv *Inventory) Failed() int {
	n := 0
	for _, c := range inv.Controls {
		if c.Status == controls.Fail {
			n++
		}
	}
	return n
}

// Build runs a stack under mocks and builds its inventory.
func Build(dir, stack string, a cost.Assumptions) (*Inventory, error) {
	names, err := stackrun.Names(dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "Pulumi."+stack+".yaml")); err != nil {
		return nil, fmt.Errorf("unknown stack %q: no Pulumi.%s.yaml in %s; stacks: %s", stack, stack, dir, strings.Join(names, ", "))
	}
	res, err := stackrun.Run(dir, stack, false)
	if err != nil {
		return nil, err
	}
	return FromResult(res, a)
}

// FromResult builds the inventory of a recorded run.
func FromResult(res *mockrun.Result, a cost.Assumptions) (*Inventory, error) {
	region, err := cost.Region(res)
	if err != nil {
		return nil, err
	}
	est, err := cost.Monthly(res, region, a)
	if err != nil {
		return nil, fmt.Errorf("stack %q: %w", res.Stack, err)
	}
	inv := &Inventory{Stack: res.Stack, Region: region, Tree: tree(res), Cost: est}
	for _, r := range res.Resources {
		if !mockrun.IsProviderOrStack(r.Type) {
			inv.Resources++
		}
	}
	for _, o := range controls.Evaluate(res) {
		c := ControlResult{ID: o.Control.ID, Title: o.Control.Title, Status: o.Status, Upstream: o.Control.Upstream}
		for _, f := range o.Failures {
			c.Failures = append(c.Failures, f.String())
		}
		for _, af := range o.Accepted {
			c.Accepted = append(c.Accepted, af.Exception+": "+af.Finding.String())
		}
		inv.Controls = append(inv.Controls, c)
	}
	for _, e := range controls.StandingExceptions(res) {
		inv.Exceptions = append(inv.Exceptions, ExceptionNote{ID: e.ID, Upstream: e.Upstream, Statement: e.Statement,
			Reason: e.Reason, Compensating: e.Compensating})
	}
	return inv, nil
}

// tree arranges the recorded resources by parent; roots are those whose parent was not recorded (the stack).
func tree(res *mockrun.Result) []*Node {
	nodes := map[string]*Node{}
	for _, r := range res.Resources {
		if !mockrun.IsProviderOrStack(r.Type) {
			nodes[r.URN] = &Node{Type: r.Type, Name: r.Name, Protect: r.Protect, RetainOnDelete: r.RetainOnDelete}
		}
	}
	var roots []*Node
	for _, r := range res.Resources {
		n, ok := nodes[r.URN]
		if !ok {
			continue
		}
		if parent, ok := nodes[r.Parent]; ok {
			parent.Children = append(parent.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	sortNodes(roots)
	return roots
}

func sortNodes(ns []*Node) {
	sort.Slice(ns, func(i, j int) bool {
		if ns[i].Type != ns[j].Type {
			return ns[i].Type < ns[j].Type
		}
		return ns[i].Name < ns[j].Name
	})
	for _, n := range ns {
		sortNodes(n.Children)
	}
}
