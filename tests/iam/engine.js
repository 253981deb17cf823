#!/usr/bin/env node
// The access-test tier's bridge to two offline IAM engines: @cloud-copilot/iam-policy (AWS's policy grammar, one
// validator per policy kind) and @cloud-copilot/iam-simulate (AWS's evaluation logic: identity, resource, trust,
// key and endpoint policies, permissions boundaries, request context keys).
//
// The Go tests (tests/access_*_test.go) write one JSON request on stdin and read one JSON answer on stdout:
//
//   in:  {"validate": [{"id", "kind": identity|trust|resource|key|endpoint|scp, "policy"}],
//         "simulate": [{"id", "request": {principal, action, resource: {resource, accountId}, contextVariables},
//                       "identityPolicies": [{name, policy}], "resourcePolicy", "permissionBoundaryPolicies",
//                       "vpcEndpointPolicies", "serviceControlPolicies": [{name, policy}]}]}
//        Service control policies apply at one level of the organization, next to AWS's FullAWSAccess.
//   out: {"validate": {id: [error, ...]},
//         "simulate": {id: {"result": Allowed|ExplicitlyDenied|ImplicitlyDenied, "engine", "ignoredContextKeys",
//                           "errors"}}}
//
// runSimulation validates the request and drops context keys that its action data does not list for the action
// (GitHub's token.actions.githubusercontent.com:* keys, kms:EncryptionContext:<anything>). A scenario whose
// outcome depends on such a key would then be judged without its condition, so when keys were dropped the request
// is evaluated again with runUnsafeSimulation, which keeps every key, and the answer says which engine decided.
'use strict'

const policy = require('@cloud-copilot/iam-policy')
const simulate = require('@cloud-copilot/iam-simulate')

const validators = {
  identity: policy.validateIdentityPolicy,
  trust: policy.validateTrustPolicy,
  resource: policy.validateResourcePolicy,
  key: policy.validateResourcePolicy,
  endpoint: policy.validateEndpointPolicy,
  scp: policy.validateServiceControlPolicy
}

// fullAWSAccess is the SCP AWS attaches to every level of an organization: without an Allow at a level, an SCP
// of Deny statements alone would deny everything.
const fullAWSAccess = {
  name: 'FullAWSAccess',
  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
}

function validate(item) {
  const fn = validators[item.kind]
  if (!fn) return [{ path: '', message: `unknown policy kind ${JSON.stringify(item.kind)}` }]
  return fn(item.policy).map((e) => `${e.path}: ${e.message}`)
}

function simulation(item) {
  return {
    request: item.request,
    identityPolicies: item.identityPolicies || [],
    serviceControlPolicies: item.serviceControlPolicies
      ? [{ orgIdentifier: 'o-aws-foundation', policies: [fullAWSAccess, ...item.serviceControlPolicies] }]
      : [],
    resourceControlPolicies: [],
    resourcePolicy: item.resourcePolicy || undefined,
    permissionBoundaryPolicies: item.permissionBoundaryPolicies || undefined,
    vpcEndpointPolicies: item.vpcEndpointPolicies || undefined
  }
}

async function run(item) {
  const sim = simulation(item)
  const res = await simulate.runSimulation(sim, {})
  if (res.resultType === 'error') {
    return { result: 'Error', engine: 'runSimulation', errors: res.errors }
  }
  const ignored = res.resultType === 'single' ? res.result.ignoredContextKeys || [] : []
  if (ignored.length === 0) {
    return { result: res.overallResult, engine: 'runSimulation', ignoredContextKeys: [] }
  }
  if (sim.vpcEndpointPolicies) {
    return {
      result: 'Error',
      engine: 'runSimulation',
      errors: { message: `context keys ${ignored.join(', ')} were dropped and the unsafe engine has no endpoint policies` }
    }
  }
  // runUnsafeSimulation loads the resource policy without a name and then reads it; a validated policy carries one.
  if (sim.resourcePolicy) {
    sim.resourcePolicy = policy.createValidatedPolicy(sim.resourcePolicy, policy.validateResourcePolicy, {
      name: 'resource policy'
    })
  }
  const unsafe = simulate.runUnsafeSimulation(sim, {})
  return { result: unsafe, engine: 'runUnsafeSimulation', ignoredContextKeys: ignored }
}

async function main() {
  let input = ''
  for await (const chunk of process.stdin) input += chunk
  const req = JSON.parse(input)
  const out = { validate: {}, simulate: {} }
  for (const item of req.validate || []) out.validate[item.id] = validate(item)
  for (const item of req.simulate || []) {
    try {
      out.simulate[item.id] = await run(item)
    } catch (e) {
      out.simulate[item.id] = { result: 'Error', engine: 'exception', errors: { message: String(e && e.stack || e) } }
    }
  }
  process.stdout.write(JSON.stringify(out))
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n')
  process.exit(1)
})
