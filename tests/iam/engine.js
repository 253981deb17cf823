#!/usr/bin/env node
// The access-test tier's bridge to two offline IAM engines: @cloud-copilot/iam-policy (AWS's policy grammar, one
// validator per policy kind) and @cloud-copilot/iam-simulate (AWS's evaluation logic: identity, resource, trust,
// key and endpoint policies, permissions boundaries, request context keys).
//
// The Go tests (tests/access_*_test.go) keep a few engines up with --serve and write one JSON request a line,
// reading one JSON answer a line (without --serve: one request on stdin, one answer on stdout):
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

const path = require('path')
const policy = require('@cloud-copilot/iam-policy')
const simulate = require('@cloud-copilot/iam-simulate')

// Speed, not semantics: a few pure helpers of the engines take most of the tier's run time on the same
// arguments over and over: iam-utils' matching of a request's resource against iam-data's resource-type
// patterns, and iam-policy's case-insensitive comparisons (localeCompare) of condition operators. Their answers
// are memoized. Callers reach them through the modules' exports, so the memo serves every caller; outputs are
// byte-for-byte those of the unmemoized engines.
function memoize(file, names) {
  const mod = require(file)
  for (const name of names) {
    const original = mod[name]
    const memo = new Map()
    mod[name] = (first, second) => {
      const key = first + '\u0000' + (Array.isArray(second) ? second.join('\u0001') : second)
      if (!memo.has(key)) memo.set(key, original(first, second))
      const answer = memo.get(key)
      return Array.isArray(answer) ? answer.slice() : answer
    }
  }
}
const cjsDir = (pkg) => path.dirname(require.resolve(pkg))
memoize(path.join(cjsDir('@cloud-copilot/iam-utils'), 'resourceTypes.js'),
  ['resourceStringMatchesResourceTypePattern', 'mostSpecificMatchingResourceTypePatterns'])
memoize(path.join(cjsDir('@cloud-copilot/iam-policy'), 'utils.js'), ['caseInsensitiveEquals', 'caseInsensitiveEndsWith'])

// A validated policy (validatedOnce below) is parsed once: loadPolicy's result for the same validated object and
// name is reused. The parsed policy is only read during evaluation.
const parser = require(path.join(cjsDir('@cloud-copilot/iam-policy'), 'parser.js'))
const loadPolicy = parser.loadPolicy
const loaded = new WeakMap()
parser.loadPolicy = (doc, metadata) => {
  if (!policy.isValidatedPolicy(doc)) return loadPolicy(doc, metadata)
  const key = JSON.stringify(metadata ?? null)
  let byName = loaded.get(doc)
  if (!byName) loaded.set(doc, (byName = new Map()))
  if (!byName.has(key)) byName.set(key, loadPolicy(doc, metadata))
  return byName.get(key)
}

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

// validatedOnce validates each distinct identity policy or boundary once per engine, as runSimulation would, and
// hands the simulation the validated policy, which it reuses instead of validating it again.
const validatedPolicies = new Map()
function validatedOnce(named) {
  return (named || []).map(({ name, policy: doc }) => {
    const key = JSON.stringify(doc)
    if (!validatedPolicies.has(key)) {
      validatedPolicies.set(key, policy.createValidatedPolicy(doc, policy.validateIdentityPolicy))
    }
    return { name, policy: validatedPolicies.get(key) }
  })
}

function simulation(item) {
  return {
    request: item.request,
    identityPolicies: validatedOnce(item.identityPolicies),
    serviceControlPolicies: item.serviceControlPolicies
      ? [{ orgIdentifier: 'o-aws-foundation', policies: [fullAWSAccess, ...item.serviceControlPolicies] }]
      : [],
    resourceControlPolicies: [],
    resourcePolicy: item.resourcePolicy || undefined,
    permissionBoundaryPolicies: item.permissionBoundaryPolicies ? validatedOnce(item.permissionBoundaryPolicies) : undefined,
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

// answer evaluates one request.
async function answer(req) {
  const out = { validate: {}, simulate: {} }
  for (const item of req.validate || []) out.validate[item.id] = validate(item)
  for (const item of req.simulate || []) {
    try {
      out.simulate[item.id] = await run(item)
    } catch (e) {
      out.simulate[item.id] = { result: 'Error', engine: 'exception', errors: { message: String(e && e.stack || e) } }
    }
  }
  return out
}

// With --serve, the engine stays up for a whole test binary: one request a line on stdin, one answer a line on
// stdout, until stdin closes. Without it, one request on stdin and one answer on stdout.
async function main() {
  if (process.argv.includes('--serve')) {
    const lines = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity })
    for await (const line of lines) {
      if (line.trim() === '') continue
      process.stdout.write(JSON.stringify(await answer(JSON.parse(line))) + '\n')
    }
    return
  }
  let input = ''
  for await (const chunk of process.stdin) input += chunk
  process.stdout.write(JSON.stringify(await answer(JSON.parse(input))))
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n')
  process.exit(1)
})
