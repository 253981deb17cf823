// Package components holds the ComponentResources of the AWS foundation: Network, FlowLogs and StateBackend.
//
// Every component follows one shape, so a reader who knows one knows all of them:
//
//   - an XArgs struct whose fields document their zero value, allowed values and unit;
//   - XArgs.Validate, which reports every problem at once as a *ValidationError naming each argument;
//   - NewX(ctx, name, args, opts...), which validates and performs its lookups before it registers anything,
//     then registers the component, creates every child named off name with pulumi.Parent, and ends with
//     RegisterResourceOutputs;
//   - where a lookup can reveal a problem (a region, an account), XArgs.Preflight(ctx) reports it on its own, so
//     that a composition of several components can check them all before any of them registers anything;
//   - typed exported outputs on the X struct.
//
// Components never construct providers: children inherit the caller's provider, so stack-wide settings such
// as aws:region and aws:defaultTags apply to every resource.
package components
