// Package stacks composes the components each stack needs, from the stack's configuration.
package stacks

import (
	"fmt"
	"strings"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Run loads and validates the stack's configuration, then composes the components its kind needs. Nothing is
// registered when the configuration is invalid.
func Run(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	compose, ok := compositions[cfg.Kind]
	if !ok {
		return fmt.Errorf("stack %q: no composition for kind %q", ctx.Stack(), cfg.Kind)
	}
	return keyed(ctx, compose(ctx, cfg))
}

// compositions maps each stack kind to what it builds.
var compositions = map[Kind]func(*pulumi.Context, *Config) error{
	KindEnvironment: composeEnvironment,
	KindBootstrap:   composeBootstrap,
	KindLogArchive:  composeLogArchive,
}

// composeEnvironment builds the Network and always its FlowLogs: there is no configuration without flow logs.
// Both are named after the stack, so Name tags read "prod-vpc", "prod-private-us-east-1a" and so on.
func composeEnvironment(ctx *pulumi.Context, cfg *Config) error {
	name := ctx.Stack()
	flowArgs := cfg.FlowLogs
	// What only the account lookup can reveal (a region without service-bucket names, a boundary of another
	// account) is reported for both components, from one lookup, before either registers anything.
	if err := components.Preflight(ctx, []components.Preflighter{&cfg.Network, &flowArgs}); err != nil {
		return err
	}
	network, err := components.NewNetwork(ctx, name, &cfg.Network)
	if err != nil {
		return err
	}
	flowArgs.VpcId = network.VpcId
	flowLogs, err := components.NewFlowLogs(ctx, name, &flowArgs)
	if err != nil {
		return err
	}
	exports := network.Outputs()
	for k, v := range flowLogs.Outputs() {
		exports[flowLogsExportName(k)] = v
	}
	exportAll(ctx, exports)
	return nil
}

// composeBootstrap builds the StateBackend only. Its component is named "state", so the key's alias is
// alias/<project>/state whatever the stack is called.
func composeBootstrap(ctx *pulumi.Context, cfg *Config) error {
	// Names derived from the account and region are checked before anything is registered.
	if err := components.Preflight(ctx, []components.Preflighter{&cfg.StateBackend}); err != nil {
		return err
	}
	backend, err := components.NewStateBackend(ctx, "state", &cfg.StateBackend)
	if err != nil {
		return err
	}
	exports := backend.Outputs()
	exportAll(ctx, exports)
	return nil
}

// composeLogArchive builds the LogArchive only. Its component is named "log-archive", so the key's alias is
// alias/<project>/log-archive whatever the stack is called.
func composeLogArchive(ctx *pulumi.Context, cfg *Config) error {
	// Names derived from the account and region, and the break-glass role's account, are checked first.
	if err := components.Preflight(ctx, []components.Preflighter{&cfg.LogArchive}); err != nil {
		return err
	}
	archive, err := components.NewLogArchive(ctx, "log-archive", &cfg.LogArchive)
	if err != nil {
		return err
	}
	exportAll(ctx, archive.Outputs())
	return nil
}

// flowLogsExportName is the stack output name of a FlowLogs output: prefixed with "flowLogs" unless it already
// names the flow log (keyArn is exported as flowLogsKeyArn, flowLogId as flowLogId), so the network's and the
// flow logs' outputs share one namespace without a clash.
func flowLogsExportName(output string) string {
	if strings.HasPrefix(output, "flowLog") {
		return output
	}
	return "flowLogs" + strings.ToUpper(output[:1]) + output[1:]
}

// exportAll exports every output of a composition as a stack output.
func exportAll(ctx *pulumi.Context, outputs pulumi.Map) {
	for k, v := range outputs {
		ctx.Export(k, v)
	}
}
