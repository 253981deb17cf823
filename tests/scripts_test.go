package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --- check-stack-file.sh -------------------------------------------------------------------------------------------

func runCheckStackFile(t *testing.T, stack, content string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	if content != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(content), 0o644))
	}
	out, err := exec.Command("bash", filepath.Join(repoRoot, "scripts", "check-stack-file.sh"), stack, dir).CombinedOutput()
	return strings.ReplaceAll(string(out), dir+"/", ""), err
}

func TestCheckStackFileAcceptsAStackFileWithTheStateKeyLines(t *testing.T) {
	t.Parallel()
	for _, content := range []string{
		"secretsprovider: awskms://alias/aws-foundation/state?region=us-east-1\nencryptedkey: AQICAHg=\nconfig:\n  aws:region: us-east-1\n" +
			"  aws:allowedAccountIds:\n    # the prod account\n    - \"123456789012\"\n  aws-foundation:stackKind: environment\n",
		"config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: [\"123456789012\"]\nencryptedkey: AQICAHg=\n" +
			"secretsprovider: \"awskms://alias/aws-foundation/state?region=us-east-1\"\n",
		// As `pulumi config set --path 'aws:allowedAccountIds[0]' 123456789012` writes it: items at the key's indent.
		"secretsprovider: awskms://alias/aws-foundation/state?region=us-east-1\nencryptedkey: AQICAHg=\nconfig:\n" +
			"  aws:allowedAccountIds:\n  - \"123456789012\"\n  aws:region: us-east-1\n",
	} {
		out, err := runCheckStackFile(t, "prod", content)
		require.NoError(t, err, out)
		assert.Contains(t, out, "secretsprovider awskms://alias/aws-foundation/state?region=us-east-1 and encryptedkey are there; "+
			"account 123456789012 pinned")
	}
}

// TestCheckStackFileRefusesAStackFileWhoseAccountIsNotPinned: with the placeholder (as the repository ships the
// stack files), no list, or a malformed id, credentials of another account would not be refused by the provider.
func TestCheckStackFileRefusesAStackFileWhoseAccountIsNotPinned(t *testing.T) {
	t.Parallel()
	secrets := "secretsprovider: awskms://alias/aws-foundation/state?region=us-east-1\nencryptedkey: AQICAHg=\n"
	shipped, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.prod.yaml"))
	require.NoError(t, err)
	for _, c := range []struct{ name, content, want string }{
		{"the shipped placeholder", secrets + string(shipped),
			"has 'ACCOUNT_ID' in aws:allowedAccountIds, which is not a 12-digit account id (fill in the placeholder ACCOUNT_ID)"},
		{"no list", secrets + "config:\n  aws:region: us-east-1\n", "has no 'aws:allowedAccountIds' list"},
		{"an empty list", secrets + "config:\n  aws:allowedAccountIds: []\n", "has no 'aws:allowedAccountIds' list"},
		{"a short id", secrets + "config:\n  aws:allowedAccountIds:\n    - 12345\n", "has '12345' in aws:allowedAccountIds"},
		{"a scalar", secrets + "config:\n  aws:allowedAccountIds: 123456789012\n",
			"has 'aws:allowedAccountIds: 123456789012', which is not a list of account ids"},
		{"one good id and one placeholder", secrets + "config:\n  aws:allowedAccountIds: [\"123456789012\", ACCOUNT_ID]\n",
			"has 'ACCOUNT_ID' in aws:allowedAccountIds"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCheckStackFile(t, "prod", c.content)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, out)
			assert.Equal(t, 1, exit.ExitCode(), out)
			assert.Contains(t, out, "Pulumi.prod.yaml "+c.want)
		})
	}
}

func TestCheckStackFileNamesTheFileAndTheMissingLine(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, stack, content string
		want                 []string
		not                  []string
	}{
		{"no lines", "prod", "config:\n  aws:region: us-east-1\n",
			[]string{"Pulumi.prod.yaml has no 'secretsprovider: awskms://alias/...?region=...' line", "Pulumi.prod.yaml has no 'encryptedkey:' line"}, nil},
		{"no key", "prod", "secretsprovider: awskms://alias/a?region=us-east-1\nconfig: {}\n",
			[]string{"Pulumi.prod.yaml has no 'encryptedkey:' line"}, []string{"secretsprovider: awskms"}},
		{"passphrase", "dev", "encryptionsalt: v1:abc\nencryptedkey: AQ==\n",
			[]string{"Pulumi.dev.yaml has no 'secretsprovider"}, []string{"encryptedkey:' line"}},
		{"another provider", "dev", "secretsprovider: hashivault://key\nencryptedkey: AQ==\n",
			[]string{"Pulumi.dev.yaml has 'secretsprovider: hashivault://key', which does not start with awskms://"}, nil},
		{"indented lines do not count", "dev", "config:\n  secretsprovider: awskms://alias/a?region=us-east-1\n  encryptedkey: AQ==\n",
			[]string{"has no 'secretsprovider", "has no 'encryptedkey:' line"}, nil},
		{"no file", "staging", "", []string{"Pulumi.staging.yaml does not exist"}, nil},
		{"bootstrap", "bootstrap", "encryptionsalt: v1:abc\n", []string{"never run from CI"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCheckStackFile(t, c.stack, c.content)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, out)
			assert.Equal(t, 1, exit.ExitCode(), out)
			for _, w := range c.want {
				assert.Contains(t, out, w)
			}
			for _, n := range c.not {
				assert.NotContains(t, out, n)
			}
			if c.stack != "bootstrap" {
				assert.Contains(t, out, "create the secrets provider's lines once with scripts/bootstrap.sh phase2 "+c.stack)
			}
		})
	}
}

func TestCheckStackFileRejectsBadUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"../etc/passwd"}, {"a", "b", "c"}} {
		out, err := exec.Command("bash", append([]string{filepath.Join(repoRoot, "scripts", "check-stack-file.sh")}, args...)...).CombinedOutput()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, string(out))
		assert.Equal(t, 2, exit.ExitCode(), args)
		assert.Contains(t, string(out), "usage:")
	}
}

// --- portability, lint, docs ---------------------------------------------------------------------------------------

// bash4Only lists constructs that macOS's bash 3.2 does not have, or that break there under set -u.
var bash4Only = []struct {
	re  *regexp.Regexp
	why string
}{
	{regexp.MustCompile(`\b(declare|local|typeset)\s+-[a-zA-Z]*A`), "associative arrays (bash 4)"},
	{regexp.MustCompile(`\b(declare|local|typeset)\s+-[a-zA-Z]*[ng]`), "namerefs / declare -g (bash 4.2+)"},
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,,?|\^\^?)`), "case modification ${var,,} / ${var^^} (bash 4)"},
	{regexp.MustCompile(`\b(mapfile|readarray|coproc)\b`), "mapfile/readarray/coproc (bash 4)"},
	{regexp.MustCompile(`(\[\[|\btest)\s+-v\s`), "[[ -v ]] (bash 4.2)"},
	{regexp.MustCompile(`&>>|\|&`), "&>> and |& (bash 4)"},
	{regexp.MustCompile(`;;&|;&\s*$`), "case fall-through ;& / ;;& (bash 4)"},
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\[-`), "negative array index (bash 4.3)"},
	{regexp.MustCompile(`\bwait\s+-n\b`), "wait -n (bash 4.3)"},
	{regexp.MustCompile(`\bprintf\b.*%\(`), "printf %(...)T (bash 4.2)"},
	{regexp.MustCompile(`\$\{?(EPOCHSECONDS|EPOCHREALTIME|BASHPID)\b`), "EPOCHSECONDS/BASHPID (bash 4/5)"},
	{regexp.MustCompile(`\bshopt\s+-s\s+(globstar|lastpipe|autocd|checkjobs|direxpand|globasciiranges)\b`), "shopt option of bash 4"},
	{regexp.MustCompile(`\{[A-Za-z_][A-Za-z0-9_]*\}[<>]`), "{var}> file descriptor allocation (bash 4.1)"},
	{regexp.MustCompile(`\bread\b.*\s-i\s`), "read -i (bash 4)"},
	// "${a[@]}" of an empty array aborts under set -u before bash 4.4; only the guarded form is allowed.
	{regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*\[[@*]\]\}`), `array expansion "${a[@]}" (aborts under set -u on bash < 4.4 when empty; use "${a[@]+"${a[@]}"}")`},
}

var guardedArray = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\+"\$\{([A-Za-z_][A-Za-z0-9_]*)\[@\]\}"\}`)

// bash4Findings returns "line N: why: text" for every bash-4-only construct outside comments.
func bash4Findings(script string) []string {
	var found []string
	for i, line := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		line = guardedArray.ReplaceAllString(line, "")
		for _, c := range bash4Only {
			if c.re.MatchString(line) {
				found = append(found, fmt.Sprintf("line %d: %s: %s", i+1, c.why, strings.TrimSpace(line)))
			}
		}
	}
	return found
}

func TestBootstrapScriptBash4ScannerCatchesEachConstruct(t *testing.T) {
	t.Parallel()
	bad := []string{
		`declare -A seen`, `local -n ref=x`, `echo "${name,,}"`, `echo "${name^^}"`, `mapfile -t lines < f`,
		`readarray lines`, `if [[ -v FOO ]]; then :; fi`, `cmd &>> log`, `cmd |& tee`, `  a) x ;&`, `  a) x ;;&`,
		`echo "${arr[-1]}"`, `wait -n`, `printf '%(%F)T' -1`, `echo $EPOCHSECONDS`, `shopt -s globstar`,
		`exec {fd}>file`, `read -r -i default x`, `run "${YES[@]}"`, `coproc cat`, `declare -g x=1`,
	}
	for i, line := range bad {
		found := bash4Findings(strings.Repeat("\n", i) + line)
		if assert.Len(t, found, 1, line) {
			assert.True(t, strings.HasPrefix(found[0], fmt.Sprintf("line %d: ", i+1)), found[0])
		}
	}
	good := []string{
		`run pulumi up ${YES:+--yes}`, `run "${YES[@]+"${YES[@]}"}"`, `# declare -A is fine in a comment`,
		`echo "${1#file://}" "${x:-}" "${#s}"`, `[[ $a == b ]] && echo ok`, `case $x in a) ;; esac`,
		`printf '%s\n' "$x"`, `while IFS=: read -r a b; do :; done`,
	}
	for _, line := range good {
		assert.Empty(t, bash4Findings(line), line)
	}
}

func TestBootstrapScriptsAvoidBash4OnlyConstructs(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"bootstrap.sh", "check-stack-file.sh"} {
		raw, err := os.ReadFile(filepath.Join(repoRoot, "scripts", name))
		require.NoError(t, err)
		assert.Empty(t, bash4Findings(string(raw)), "scripts/%s must run on macOS's bash 3.2", name)
	}
}
