// Package stacks composes the components each stack needs, from the stack's configuration.
package stacks

import (
	"errors"
	"fmt"

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
}

// composeEnvironment builds the Network and always its FlowLogs: there is no configuration without flow logs.
// Both are named after the stack, so Name tags read "prod-vpc", "prod-private-us-east-1a" and so on.
func composeEnvironment(ctx *pulumi.Context, cfg *Config) error {
	name := ctx.Stack()
	flowArgs := cfg.FlowLogs
	// What only the account lookup can reveal (a region without service-bucket names, a boundary of another
	// account) is reported for both components before either registers anything.
	if err := errors.Join(cfg.Network.Preflight(ctx), flowArgs.Preflight(ctx)); err != nil {
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
	exports := pulumi.Map{
		"vpcId":                  network.VpcId,
		"vpcCidr":                network.VpcCidr,
		"availabilityZones":      network.AvailabilityZones,
		"publicSubnetIds":        network.PublicSubnetIds,
		"privateSubnetIds":       network.PrivateSubnetIds,
		"publicRouteTableId":     network.PublicRouteTableId,
		"privateRouteTableIds":   network.PrivateRouteTableIds,
		"natGatewayIds":          network.NatGatewayIds,
		"natPublicIps":           network.NatPublicIps,
		"s3EndpointId":           network.S3EndpointId,
		"defaultSecurityGroupId": network.DefaultSecurityGroupId,
		"defaultNetworkAclId":    network.DefaultNetworkAclId,
		"publicNetworkAclId":     network.PublicNetworkAclId,
		"flowLogsKeyArn":         flowLogs.KeyArn,
		"flowLogsKeyAlias":       flowLogs.KeyAlias,
		"flowLogsLogGroupName":   flowLogs.LogGroupName,
		"flowLogsLogGroupArn":    flowLogs.LogGroupArn,
		"flowLogsRoleArn":        flowLogs.RoleArn,
		"flowLogId":              flowLogs.FlowLogId,
	}
	exportAll(ctx, exports)
	return nil
}

// composeBootstrap builds the StateBackend only. Its component is named "state", so the key's alias is
// alias/<project>/state whatever the stack is called.
func composeBootstrap(ctx *pulumi.Context, cfg *Config) error {
	backend, err := components.NewStateBackend(ctx, "state", &cfg.StateBackend)
	if err != nil {
		return err
	}
	exports := pulumi.Map{
		"stateBucketName":        backend.StateBucketName,
		"stateBucketArn":         backend.StateBucketArn,
		"logBucketName":          backend.LogBucketName,
		"lockTableName":          backend.LockTableName,
		"kmsKeyArn":              backend.KmsKeyArn,
		"kmsKeyAlias":            backend.KmsKeyAlias,
		"backendUrl":             backend.BackendUrl,
		"secretsProvider":        backend.SecretsProvider,
		"terraformBackendConfig": backend.TerraformBackendConfig,
	}
	exportAll(ctx, exports)
	return nil
}

// exportAll exports every output of a composition as a stack output.
func exportAll(ctx *pulumi.Context, outputs pulumi.Map) {
	for k, v := range outputs {
		ctx.Export(k, v)
	}
}
