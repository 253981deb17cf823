package tests

// The access-test tier. Mocks accept any policy text; AWS does not. This tier hands every policy the program
// renders (from mock runs of every stack file) and every document under docs/iam to two offline IAM engines
// pinned in tests/iam/package-lock.json: AWS's policy grammar (@cloud-copilot/iam-policy) and AWS's evaluation
// logic (@cloud-copilot/iam-simulate). This file is the bridge and the catalog of policies; the scenarios are in
// access_scenarios_test.go, the mutations that prove each scenario can fail in access_mutations_test.go.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws-foundation/aws-foundation/components"
	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/internal/stackrun"
	"github.com/stretchr/testify/require"
)

// policyKind is the grammar a policy document must follow.
type policyKind string

const (
	identityKind policyKind = "identity" // role inline policies, permissions boundaries
	trustKind    policyKind = "trust"    // role trust policies: no Resource
	resourceKind policyKind = "resource" // bucket policies
	keyKind      policyKind = "key"      // KMS key policies
	endpointKind policyKind = "endpoint" // VPC endpoint policies
	scpKind      policyKind = "scp"      // service control policies of an organization (docs/iam/scp-*.json)
)

// policyInputs says which input of which resource type holds which kind of policy. A test fails when a stack
// registers a policy-bearing input that is not listed here, so no policy escapes the tier.
var policyInputs = map[string]struct {
	key  string
	kind policyKind
}{
	mockrun.TypeRole:          {"assumeRolePolicy", trustKind},
	mockrun.TypeRolePolicy:    {"policy", identityKind},
	mockrun.TypeManagedPolicy: {"policy", identityKind},
	mockrun.TypeKmsKey:        {"policy", keyKind},
	mockrun.TypeBucketPolicy:  {"policy", resourceKind},
	mockrun.TypeVpcEndpoint:   {"policy", endpointKind},
	mockrun.TypeTopicPolicy:   {"policy", resourceKind},
}

// catalogPolicy is one policy document with where it came from.
type catalogPolicy struct {
	ID   string // "prod/Role:prod-flow-logs", "docs/preview-permissions"
	Kind policyKind
	Doc  map[string]any
}

// policyCatalog holds every policy of every stack file and of docs/iam, by ID.
type policyCatalog map[string]catalogPolicy

// policyID names a rendered policy: stack, the type's last segment and the logical name.
func policyID(stack string, r mockrun.Resource) string {
	return fmt.Sprintf("%s/%s:%s", stack, r.Type[strings.LastIndex(r.Type, ":")+1:], r.Name)
}

// addRun adds every policy a mock run registered.
func (c policyCatalog) addRun(t testing.TB, stack string, res *mockrun.Result) {
	t.Helper()
	for _, r := range res.AWS() {
		in, ok := policyInputs[r.Type]
		if !ok {
			continue
		}
		doc, err := r.JSON(in.key)
		require.NoError(t, err, "%s: %s", stack, r)
		c[policyID(stack, r)] = catalogPolicy{ID: policyID(stack, r), Kind: in.kind, Doc: doc}
	}
}

// Placeholders in docs/iam and the values the tier fills in: the simulated account of the mock runs, and the
// bootstrap stack's own outputs for the state bucket and key.
const (
	accessAccount = mockrun.DefaultAccount
	accessRegion  = mockrun.DefaultRegion
	otherAccount  = "999999999999"
	githubOrg     = "example-org"
	githubRepo    = "aws-foundation"
	// GitHub's immutable ids of the owner and the repository, in the subject of repositories that use immutable
	// subject claims (repo:OWNER@OWNER_ID/REPO@REPO_ID:...).
	githubOrgID  = "1234567"
	githubRepoID = "765432109"
)

// placeholder matches a docs/iam placeholder: an upper-case word such as REGION or STATE_KEY_ARN. Policy
// grammar has no such word (Sids and operators are mixed case, services and actions lower case).
var placeholder = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)*\b`)

// docsPlaceholders maps each docs/iam placeholder to the value the tier uses.
func docsPlaceholders(t testing.TB) map[string]string {
	t.Helper()
	boot := runStack(t, "bootstrap", false)
	archive := runStack(t, "log-archive", false)
	_, project, err := stackrun.Config(repoRoot, "log-archive")
	require.NoError(t, err)
	exported := func(res *mockrun.Result, k string) string {
		v, ok := res.Exports[k].Value.(string)
		require.True(t, ok, "export %q", k)
		return v
	}
	str := func(k string) string { return exported(boot, k) }
	return map[string]string{
		"ACCOUNT_ID":       accessAccount,
		"REGION":           accessRegion,
		"GITHUB_ORG":       githubOrg,
		"GITHUB_REPO":      githubRepo,
		"GITHUB_ORG_ID":    githubOrgID,
		"GITHUB_REPO_ID":   githubRepoID,
		"STATE_BUCKET":     str("stateBucketName"),
		"STATE_KEY_ARN":    str("kmsKeyArn"),
		"STATE_LOG_BUCKET": str("logBucketName"),
		"LOCK_TABLE":       str("lockTableName"),
		// docs/iam/scp-protect-log-archive.json names the log-archive stack's roles and buckets.
		"ARCHIVE_BREAK_GLASS_ROLE_ARN": archive.Config["aws-foundation:logArchiveBreakGlassPrincipalArn"],
		"ARCHIVE_PREFIX":               components.LogArchiveNamePrefix(project.Name, "log-archive"),
		"ARCHIVE_VAULT_BUCKET":         exported(archive, "vaultBucketName"),
		"ARCHIVE_INBOX_BUCKET":         exported(archive, "inboxBucketName"),
	}
}

// docsKind tells a docs/iam file's grammar by its name.
func docsKind(name string) policyKind {
	if strings.HasSuffix(name, "-trust.json") {
		return trustKind
	}
	if strings.HasPrefix(name, "scp-") {
		return scpKind
	}
	return identityKind
}

// addDocs adds every docs/iam/*.json with its placeholders filled in, and fails on a placeholder it cannot fill.
func (c policyCatalog) addDocs(t testing.TB) {
	t.Helper()
	values := docsPlaceholders(t)
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "iam", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		text := placeholder.ReplaceAllStringFunc(string(raw), func(p string) string {
			v, ok := values[p]
			if !ok {
				t.Errorf("%s: placeholder %s has no value in the access tier; add it to docsPlaceholders", f, p)
			}
			return v
		})
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(text), &doc), f)
		id := "docs/" + strings.TrimSuffix(filepath.Base(f), ".json")
		c[id] = catalogPolicy{ID: id, Kind: docsKind(filepath.Base(f)), Doc: doc}
	}
}

var (
	catalogOnce sync.Once
	catalogAll  policyCatalog
)

// allPolicies is the catalog of every stack file's policies and docs/iam, built once per test binary.
func allPolicies(t testing.TB) policyCatalog {
	t.Helper()
	catalogOnce.Do(func() {
		c := policyCatalog{}
		for _, stack := range stackNames(t) {
			c.addRun(t, stack, runStack(t, stack, false))
		}
		c.addDocs(t)
		catalogAll = c
	})
	require.NotNil(t, catalogAll, "building the policy catalog failed")
	return catalogAll.clone()
}

func (c policyCatalog) clone() policyCatalog {
	out := policyCatalog{}
	for k, v := range c {
		v.Doc = deepCopy(v.Doc)
		out[k] = v
	}
	return out
}

// withOwnCopyOf returns a catalog that shares every policy with c but id, which it deep-copies: editing id there
// leaves c untouched, at the cost of one copy instead of the whole catalog's.
func (c policyCatalog) withOwnCopyOf(id string) policyCatalog {
	out := make(policyCatalog, len(c))
	for k, v := range c {
		out[k] = v
	}
	if v, ok := c[id]; ok {
		v.Doc = deepCopy(v.Doc)
		out[id] = v
	}
	return out
}

func deepCopy(doc map[string]any) map[string]any {
	raw, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// get returns a policy, failing with the IDs that exist.
func (c policyCatalog) get(t testing.TB, id string) catalogPolicy {
	t.Helper()
	p, ok := c[id]
	if !ok {
		var ids []string
		for k := range c {
			ids = append(ids, k)
		}
		sort.Strings(ids)
		require.Failf(t, "no such policy", "%q; the catalog has %v", id, ids)
	}
	return p
}

// engine request and answer, as tests/iam/engine.js reads and writes them.
type (
	validateItem struct {
		ID     string         `json:"id"`
		Kind   policyKind     `json:"kind"`
		Policy map[string]any `json:"policy"`
	}
	namedPolicy struct {
		Name   string         `json:"name"`
		Policy map[string]any `json:"policy"`
	}
	simRequest struct {
		Principal string `json:"principal"`
		Action    string `json:"action"`
		Resource  struct {
			Resource  string `json:"resource"`
			AccountID string `json:"accountId"`
		} `json:"resource"`
		Context map[string]any `json:"contextVariables"`
	}
	simulateItem struct {
		ID         string         `json:"id"`
		Request    simRequest     `json:"request"`
		Identity   []namedPolicy  `json:"identityPolicies,omitempty"`
		Resource   map[string]any `json:"resourcePolicy,omitempty"`
		Boundaries []namedPolicy  `json:"permissionBoundaryPolicies,omitempty"`
		Endpoints  []namedPolicy  `json:"vpcEndpointPolicies,omitempty"`
		SCPs       []namedPolicy  `json:"serviceControlPolicies,omitempty"`
	}
	engineRequest struct {
		Validate []validateItem `json:"validate"`
		Simulate []simulateItem `json:"simulate"`
	}
	simAnswer struct {
		Result  string          `json:"result"`
		Engine  string          `json:"engine"`
		Ignored []string        `json:"ignoredContextKeys"`
		Errors  json.RawMessage `json:"errors"`
	}
	engineAnswer struct {
		Validate map[string][]string  `json:"validate"`
		Simulate map[string]simAnswer `json:"simulate"`
	}
)

// engineDir holds the pinned engines (npm ci by `make deps`).
var engineDir = filepath.Join("iam")

// engineAnswers caches the engines' answer to each simulation, keyed by the request without its ID: the same
// scenario is evaluated by its own test and by the mutation tests' unmutated baseline, and the engines are
// deterministic. A simulation another test has already sent is waited for, not sent again. Each test binary starts
// with an empty cache.
var engineAnswers sync.Map // key -> *pendingAnswer

// pendingAnswer is a simulation one test has sent: done closes once answer is known (ok) or failed (not ok).
type pendingAnswer struct {
	done   chan struct{}
	answer simAnswer
	ok     bool
}

// runEngine sends one batch to the IAM engines, leaving out simulations already answered or on their way. It
// fails, never skips, when node or the engines are missing: the tier is part of `make test`.
func runEngine(t testing.TB, req engineRequest) engineAnswer {
	t.Helper()
	out := engineAnswer{Validate: map[string][]string{}, Simulate: map[string]simAnswer{}}
	send := wireRequest{Validate: req.Validate}
	mine, theirs, keys := map[string]*pendingAnswer{}, map[string]*pendingAnswer{}, map[string]string{}
	var retry engineRequest
	for _, it := range req.Simulate {
		id := it.ID
		it.ID = ""
		raw, err := json.Marshal(it) // {"id":"",...}: the key, and the request once the id is put back
		require.NoError(t, err)
		p := &pendingAnswer{done: make(chan struct{})}
		if v, loaded := engineAnswers.LoadOrStore(string(raw), p); loaded {
			theirs[id] = v.(*pendingAnswer)
			it.ID = id
			retry.Simulate = append(retry.Simulate, it)
			continue
		}
		mine[id], keys[id] = p, string(raw)
		quoted, err := json.Marshal(id)
		require.NoError(t, err)
		send.Simulate = append(send.Simulate, json.RawMessage(`{"id":`+string(quoted)+string(raw[len(`{"id":""`):])))
	}
	// Whatever happens to this batch, the tests waiting for its simulations are released: a failed one is
	// forgotten, and they send it themselves.
	defer func() {
		for id, p := range mine {
			if !p.ok {
				engineAnswers.Delete(keys[id])
			}
			close(p.done)
		}
	}()
	if len(send.Validate) > 0 || len(send.Simulate) > 0 {
		answer := spawnEngine(t, send)
		for id, v := range answer.Validate {
			out.Validate[id] = v
		}
		for id, a := range answer.Simulate {
			out.Simulate[id] = a
			if p := mine[id]; p != nil && a.Result != "Error" {
				p.answer, p.ok = a, true
			}
		}
	}
	// Release this batch's simulations before waiting: the same simulation may come twice in one batch.
	for id, p := range mine {
		if !p.ok {
			engineAnswers.Delete(keys[id])
		}
		close(p.done)
	}
	mine = nil
	var again engineRequest
	for _, it := range retry.Simulate {
		p := theirs[it.ID]
		<-p.done
		if p.ok {
			out.Simulate[it.ID] = p.answer
		} else {
			again.Simulate = append(again.Simulate, it)
		}
	}
	if len(again.Simulate) > 0 {
		for id, a := range runEngine(t, again).Simulate {
			out.Simulate[id] = a
		}
	}
	return out
}

// engine is one tests/iam/engine.js --serve process: a request a line in, an answer a line out.
type engine struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
	err bytes.Buffer
}

var (
	enginesOnce sync.Once
	engines     chan *engine // the pool: one engine per CPU, each answering one request at a time
	enginesErr  error
)

// startEngines starts the pool once per test binary. The engines end when the binary does (their stdin closes).
func startEngines() {
	node, err := exec.LookPath("node")
	if err != nil {
		enginesErr = fmt.Errorf("the access tests need Node.js 20 or later on PATH (the machine image provides it): %w", err)
		return
	}
	if _, err := os.Stat(filepath.Join(engineDir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		enginesErr = fmt.Errorf("the IAM engines are not installed: run `make deps` (npm ci in tests/iam): %w", err)
		return
	}
	n := max(1, runtime.NumCPU())
	engines = make(chan *engine, n)
	for range n {
		e := &engine{cmd: exec.Command(node, "engine.js", "--serve")}
		e.cmd.Dir = engineDir
		e.cmd.Stderr = &e.err
		if e.in, err = e.cmd.StdinPipe(); err == nil {
			var out io.ReadCloser
			if out, err = e.cmd.StdoutPipe(); err == nil {
				e.out = bufio.NewReaderSize(out, 1<<20)
				err = e.cmd.Start()
			}
		}
		if err != nil {
			enginesErr = fmt.Errorf("start tests/iam/engine.js: %w", err)
			return
		}
		engines <- e
	}
}

// engineChunk is how many simulations one engine answers at a time: a large batch is split across the pool.
const engineChunk = 200

// wireRequest is an engineRequest whose simulations are already encoded: each is encoded once, for the cache key.
type wireRequest struct {
	Validate []validateItem    `json:"validate"`
	Simulate []json.RawMessage `json:"simulate"`
}

// spawnEngine has the pool answer one batch, its simulations split into chunks that engines answer at once.
func spawnEngine(t testing.TB, req wireRequest) engineAnswer {
	t.Helper()
	enginesOnce.Do(startEngines)
	require.NoError(t, enginesErr)
	chunks := []wireRequest{{Validate: req.Validate}}
	for i, it := range req.Simulate {
		if i > 0 && i%engineChunk == 0 {
			chunks = append(chunks, wireRequest{})
		}
		last := &chunks[len(chunks)-1]
		last.Simulate = append(last.Simulate, it)
	}
	answers := make([]engineAnswer, len(chunks))
	errs := make([]error, len(chunks))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i], errs[i] = askEngine(c)
		}()
	}
	wg.Wait()
	out := engineAnswer{Validate: map[string][]string{}, Simulate: map[string]simAnswer{}}
	for i, a := range answers {
		require.NoError(t, errs[i])
		for id, v := range a.Validate {
			out.Validate[id] = v
		}
		for id, v := range a.Simulate {
			out.Simulate[id] = v
		}
	}
	return out
}

// askEngine has one engine of the pool answer one request.
func askEngine(req wireRequest) (engineAnswer, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return engineAnswer{}, err
	}
	e := <-engines
	defer func() { engines <- e }()
	if _, err := e.in.Write(append(in, '\n')); err != nil {
		return engineAnswer{}, fmt.Errorf("tests/iam/engine.js: %w: %s", err, e.err.String())
	}
	line, err := e.out.ReadBytes('\n')
	if err != nil {
		return engineAnswer{}, fmt.Errorf("tests/iam/engine.js: %w: %s", err, e.err.String())
	}
	var out engineAnswer
	if err := json.Unmarshal(line, &out); err != nil {
		return engineAnswer{}, fmt.Errorf("engine answer: %w: %s", err, line)
	}
	return out, nil
}
