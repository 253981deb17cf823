// Package stackrun runs a stack of this project under mocks the way the Pulumi CLI would run it: with the
// configuration the CLI builds from Pulumi.yaml and Pulumi.<stack>.yaml. The report and the tests use it; mockrun
// itself knows nothing of this program and runs whatever function it is given.
package stackrun

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/aws-foundation/aws-foundation/stacks"
	"gopkg.in/yaml.v3"
)

// Project is the parts of Pulumi.yaml the CLI uses to build a stack's configuration.
type Project struct {
	Name    string                   `yaml:"name"`
	Runtime any                      `yaml:"runtime"`
	Config  map[string]ProjectConfig `yaml:"config"`
}

// ProjectConfig is one typed key of Pulumi.yaml's config block.
type ProjectConfig struct {
	Type        string         `yaml:"type"`
	Description string         `yaml:"description"`
	Default     any            `yaml:"default"`
	Items       map[string]any `yaml:"items"`
	Secret      bool           `yaml:"secret"`
}

// LoadProject reads Pulumi.yaml from dir.
func LoadProject(dir string) (*Project, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "Pulumi.yaml"))
	if err != nil {
		return nil, err
	}
	var p Project
	if err := yaml.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("parse Pulumi.yaml: %w", err)
	}
	return &p, nil
}

// Names lists the stacks that have a Pulumi.<stack>.yaml in dir, sorted.
func Names(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(names)
	return names, nil
}

// Config builds the configuration the CLI would hand the program for a stack: Pulumi.yaml defaults,
// overridden by Pulumi.<stack>.yaml, keys namespaced by the project, lists and maps as JSON. Like the CLI it
// refuses values of the wrong declared type; stricter than the CLI, it also refuses project keys that
// Pulumi.yaml does not declare (a typo would otherwise be silently ignored), except renamed keys, which it hands
// to the program as the CLI does, for the program to refuse naming their new key.
func Config(dir, stack string) (map[string]string, *Project, error) {
	p, err := LoadProject(dir)
	if err != nil {
		return nil, nil, err
	}
	file := fmt.Sprintf("Pulumi.%s.yaml", stack)
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return nil, nil, fmt.Errorf("stack %q: %w", stack, err)
	}
	var sf struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &sf); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	out := map[string]string{}
	var problems []string
	for key, decl := range p.Config {
		if decl.Default == nil {
			continue
		}
		v, err := encode(decl.Default)
		if err != nil {
			problems = append(problems, fmt.Sprintf("Pulumi.yaml %s default: %v", key, err))
		}
		out[p.Name+":"+key] = v
	}
	for key, val := range sf.Config {
		full := key
		if !strings.Contains(key, ":") {
			full = p.Name + ":" + key
		}
		if ns, short, _ := strings.Cut(full, ":"); ns == p.Name {
			decl, ok := p.Config[short]
			if !ok && !renamed(short) {
				problems = append(problems, fmt.Sprintf("%s: %s is not declared in Pulumi.yaml", file, full))
				continue
			}
			if msg := typeProblem(decl, val); ok && msg != "" {
				problems = append(problems, fmt.Sprintf("%s: %s: %s", file, full, msg))
				continue
			}
		}
		v, err := encode(val)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %s: %v", file, full, err))
		}
		out[full] = v
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, nil, fmt.Errorf("stack %q config:\n  - %s", stack, strings.Join(problems, "\n  - "))
	}
	return out, p, nil
}

func typeProblem(decl ProjectConfig, v any) string {
	if !isType(decl.Type, v) {
		return fmt.Sprintf("%v is not of the declared type %s", v, decl.Type)
	}
	if items, _ := decl.Items["type"].(string); decl.Type == "array" && items != "" {
		for _, e := range v.([]any) {
			if !isType(items, e) {
				return fmt.Sprintf("element %v is not of the declared item type %s", e, items)
			}
		}
	}
	return ""
}

func isType(typ string, v any) bool {
	ok := true
	switch typ {
	case "string":
		_, ok = v.(string)
	case "integer":
		_, ok = v.(int)
	case "boolean":
		_, ok = v.(bool)
	case "array":
		_, ok = v.([]any)
	}
	return ok
}

// encode renders a YAML value as the CLI passes it to the program.
func encode(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// AccountPlaceholder is what the stack files ship where set-up writes the stack's 12-digit account id
// (docs/BOOTSTRAP.md); scripts/check-stack-file.sh refuses a stack file that still has it.
const AccountPlaceholder = "ACCOUNT_ID"

// Run runs stacks.Run under mocks for a stack with its real configuration, read from the stack files in dir. A
// mock run plays the set-up step: AccountPlaceholder in a project key (an ARN of the stack's own account) becomes
// the mock's account, as a person fills it in before the first deploy; the program itself refuses the placeholder.
func Run(dir, stack string, dryRun bool) (*mockrun.Result, error) {
	cfg, p, err := Config(dir, stack)
	if err != nil {
		return nil, err
	}
	for k, v := range cfg {
		if strings.HasPrefix(k, p.Name+":") {
			cfg[k] = strings.ReplaceAll(v, AccountPlaceholder, mockrun.DefaultAccount)
		}
	}
	return mockrun.Run(stacks.Run, mockrun.Options{Project: p.Name, Stack: stack, Config: cfg, DryRun: dryRun})
}

// renamed says whether a project key is one of stacks.Renamed's old keys.
func renamed(key string) bool {
	for _, r := range stacks.Renamed {
		if r.Old == key {
			return true
		}
	}
	return false
}
