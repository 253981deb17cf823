package tests

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws-foundation/aws-foundation/internal/mockrun"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the golden files (go test ./tests/ -run TestStackURNsAndOptionsMatchTheirGoldenFiles -update).
var update = flag.Bool("update", false, "rewrite tests/testdata/*.golden from the current program")

// URNs are API: a changed name, parent or type token makes the engine delete and re-create the resource (a VPC,
// a key, a bucket). Each stack's URNs and the options that decide what the engine does on delete or replace are
// kept in a golden file, so that any change to them shows up in review and needs -update on purpose (with an
// alias when the resource is already deployed).
func goldenLines(res *mockrun.Result) []string {
	var lines []string
	for _, r := range res.Resources {
		if mockrun.IsProviderOrStack(r.Type) {
			continue
		}
		var opts []string
		if r.Protect {
			opts = append(opts, "protect")
		}
		if r.RetainOnDelete {
			opts = append(opts, "retainOnDelete")
		}
		if r.DeleteBeforeReplace {
			opts = append(opts, "deleteBeforeReplace")
		}
		if len(r.IgnoreChanges) > 0 {
			opts = append(opts, "ignoreChanges="+strings.Join(r.IgnoreChanges, ","))
		}
		line := r.URN
		if len(opts) > 0 {
			line += "  [" + strings.Join(opts, " ") + "]"
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	return lines
}

func TestStackURNsAndOptionsMatchTheirGoldenFiles(t *testing.T) {
	t.Parallel()
	for _, stack := range stackNames(t) {
		t.Run(stack, func(t *testing.T) {
			got := strings.Join(goldenLines(runStack(t, stack, false)), "\n") + "\n"
			file := filepath.Join("testdata", stack+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "no golden file for stack %s: run go test ./tests/ -run %s -update", stack, t.Name())
			assert.Equal(t, string(want), got, fmt.Sprintf("stack %s: URNs or options changed. A changed URN deletes and "+
				"re-creates a deployed resource unless it carries an alias; if the change is intended, review it and "+
				"rerun with -update", stack))
		})
	}
}

func TestGoldenFilesCoverEveryStackFile(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	require.NoError(t, err)
	var stacks []string
	for _, f := range files {
		stacks = append(stacks, strings.TrimSuffix(filepath.Base(f), ".golden"))
	}
	names := stackNames(t)
	sort.Strings(names)
	assert.Equal(t, names, stacks, "one golden file per stack file, no stale ones")
}
