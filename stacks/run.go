// Package stacks composes the components each stack needs, from the stack's configuration.
package stacks

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
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
	global, err := globalEventsProvider(ctx)
	if err != nil {
		return err
	}
	cfg.LogArchive.GlobalEventsProvider = global
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

// globalEventsProvider is, for a stack whose aws:region is not components.GlobalEventsRegion, an AWS provider
// there, named "global-events": where IAM delivers its events. An explicit provider inherits none of the stack's
// aws: configuration, so it is given the same account pin (aws:allowedAccountIds) and default tags. Nil in
// GlobalEventsRegion itself, or without aws:region (LogArchive then reports the missing provider).
func globalEventsProvider(ctx *pulumi.Context) (pulumi.ProviderResource, error) {
	cfg := config.New(ctx, "aws")
	region := cfg.Get("region")
	if region == "" || components.GlobalEventsRegion(region) == region {
		return nil, nil
	}
	var accounts []string
	if err := cfg.TryObject("allowedAccountIds", &accounts); err != nil && !errors.Is(err, config.ErrMissingVar) {
		return nil, fmt.Errorf("aws:allowedAccountIds: %w", err)
	}
	var defaults struct {
		Tags map[string]string `json:"tags"`
	}
	if err := cfg.TryObject("defaultTags", &defaults); err != nil && !errors.Is(err, config.ErrMissingVar) {
		return nil, fmt.Errorf("aws:defaultTags: %w", err)
	}
	args := &aws.ProviderArgs{Region: pulumi.String(components.GlobalEventsRegion(region)),
		AllowedAccountIds: pulumi.ToStringArray(accounts)}
	if len(defaults.Tags) > 0 {
		args.DefaultTags = &aws.ProviderDefaultTagsArgs{Tags: pulumi.ToStringMap(defaults.Tags)}
	}
	return aws.NewProvider(ctx, "global-events", args)
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
