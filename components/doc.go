// Package components holds the ComponentResources of the AWS foundation: Network, FlowLogs and StateBackend.
//
// Every component follows one shape, so a reader who knows one knows all of them:
//
//   - an XArgs struct whose fields document their zero value, allowed values and unit, Tags among them;
//   - XArgs.Validate, which reports every problem at once as a *ValidationError naming each argument, before
//     anything is registered;
//   - NewX(ctx, name, args, opts...), which validates, registers the component, then makes its lookups (account,
//     region, partition, availability zones) with pulumi.Parent(component), so that they go through the
//     provider the caller gave the component; then creates every child, named off name and parented to the
//     component, as straight-line calls that take what they need and return what they make
//     (publicRt, publics, err := publicSubnets(s, vpc, igw, cidr, azs)), each in the file its name suggests;
//     sets the outputs from what those calls returned; and ends with RegisterResourceOutputs;
//   - where a lookup can reveal a problem (a region, an account), Preflight(ctx, []Preflighter{&args...},
//     invokeOpts...) reports it for several components from one lookup, so that a composition can check them all
//     before any of them registers anything;
//   - typed exported outputs on the X struct, whose `pulumi:"..."` tags are the one declaration of the
//     component's outputs: X.Outputs() returns them by name for RegisterResourceOutputs and for stack exports.
//
// Components never construct providers: children and lookups inherit the caller's provider (pulumi.Provider or
// pulumi.Providers on NewX), so a caller can lay a Network in another region or account; without one, stack-wide
// settings such as aws:region and aws:defaultTags apply. examples/multiregion is such a caller.
package components
