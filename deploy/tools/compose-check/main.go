// compose-check loads a Compose file the way Docker Compose does (compose-go, the reference
// implementation of the Compose Specification) once per profile combination and checks the
// deployment rules of this repository on each resulting project.
//
// Why not compose-go's own `cmd` binary alone: it validates the whole file against the
// specification schema but loads only the raw model — no profiles, no consistency checks
// (undefined networks, depends_on on a disabled service, ...). This tool uses the same
// library (same version) through LoadProject, which does all of that.
//
// Usage:
//
//	compose-check [flags] COMPOSE_FILE
//
// The project directory is the compose file's directory; the interpolation environment is
// the `.env` there (or -env-file) plus the process environment. Profiles checked: none, each
// profile declared in the file on its own, and all of them ("*"). One line per profile
// combination on stdout; exit status 1 when any combination fails.
//
// Repository rules (on top of the specification):
//   - every service sets a restart policy;
//   - a service without a healthcheck must be a one-shot (restart "no") and everything that
//     depends on it waits for service_completed_successfully;
//   - every depends_on entry names a condition, and service_healthy only targets services
//     that have a healthcheck;
//   - -publish: only these services publish ports;
//   - -public-network / -public-only: only these services join that network;
//   - -internal-network: this network is `internal: true` and every service joins it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

type rules struct {
	publish         map[string]bool
	publishSet      bool
	publicNetwork   string
	publicOnly      map[string]bool
	internalNetwork string
}

func csvSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			set[p] = true
		}
	}
	return set
}

func main() {
	envFile := flag.String("env-file", "", "interpolation env file (default: .env next to the compose file, when present)")
	publish := flag.String("publish", "", "comma-separated services allowed to publish ports (unset: no rule)")
	publicNetwork := flag.String("public-network", "", "network reserved for -public-only services")
	publicOnly := flag.String("public-only", "", "comma-separated services allowed on -public-network")
	internalNetwork := flag.String("internal-network", "", "network that must be internal and joined by every service")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: compose-check [flags] COMPOSE_FILE")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	file, err := filepath.Abs(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	r := rules{
		publish:         csvSet(*publish),
		publishSet:      isFlagSet("publish"),
		publicNetwork:   *publicNetwork,
		publicOnly:      csvSet(*publicOnly),
		internalNetwork: *internalNetwork,
	}

	// Discover the declared profiles with everything enabled.
	all, err := load(file, *envFile, []string{"*"})
	if err != nil {
		fmt.Printf("FAIL %s [all profiles]: %v\n", filepath.Base(file), err)
		os.Exit(1)
	}
	declared := map[string]bool{}
	for _, s := range all.AllServices() {
		for _, p := range s.Profiles {
			declared[p] = true
		}
	}
	combos := [][]string{{}}
	var names []string
	for p := range declared {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		combos = append(combos, []string{p})
	}
	if len(names) > 1 {
		combos = append(combos, []string{"*"})
	}

	failed := false
	for _, profiles := range combos {
		label := "profile: default"
		if len(profiles) > 0 {
			label = "profile: " + strings.Join(profiles, ",")
		}
		project, err := load(file, *envFile, profiles)
		if err == nil {
			err = check(project, r)
		}
		if err != nil {
			failed = true
			fmt.Printf("FAIL %s [%s]: %v\n", filepath.Base(file), label, err)
			continue
		}
		fmt.Printf("ok   %s [%s]: %d services (%s)\n", filepath.Base(file), label,
			len(project.Services), strings.Join(project.ServiceNames(), ", "))
	}
	if failed {
		os.Exit(1)
	}
}

func isFlagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func load(file, envFile string, profiles []string) (*types.Project, error) {
	dir := filepath.Dir(file)
	var envFiles []string
	if envFile != "" {
		envFiles = []string{envFile}
	}
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(dir),
		cli.WithEnvFiles(envFiles...),
		cli.WithDotEnv,
		cli.WithOsEnv,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithProfiles(profiles),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

func check(p *types.Project, r rules) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if r.internalNetwork != "" {
		n, ok := p.Networks[r.internalNetwork]
		if !ok {
			add("network %q is not defined", r.internalNetwork)
		} else if !n.Internal {
			add("network %q must set internal: true", r.internalNetwork)
		}
	}

	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		restart := s.Restart
		if restart == "" && s.Deploy != nil && s.Deploy.RestartPolicy != nil {
			restart = s.Deploy.RestartPolicy.Condition
		}
		if restart == "" {
			add("%s: no restart policy", name)
		}
		hasHealth := s.HealthCheck != nil && !s.HealthCheck.Disable && len(s.HealthCheck.Test) > 0
		oneShot := restart == types.RestartPolicyNo || restart == "none"
		if !hasHealth && !oneShot {
			add("%s: long-running service without a healthcheck", name)
		}
		for dep, cfg := range s.DependsOn {
			switch cfg.Condition {
			case types.ServiceConditionHealthy:
				if t, ok := p.Services[dep]; ok && (t.HealthCheck == nil || t.HealthCheck.Disable || len(t.HealthCheck.Test) == 0) {
					add("%s: waits for %s to be healthy but %s has no healthcheck", name, dep, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
			default:
				add("%s: depends_on %s without a health/completion condition (%q)", name, dep, cfg.Condition)
			}
		}
		if oneShot {
			for _, other := range p.ServiceNames() {
				if cfg, ok := p.Services[other].DependsOn[name]; ok && cfg.Condition != types.ServiceConditionCompletedSuccessfully {
					add("%s: depends on one-shot %s with %q instead of service_completed_successfully", other, name, cfg.Condition)
				}
			}
		}
		if r.publishSet && len(s.Ports) > 0 && !r.publish[name] {
			add("%s: publishes ports but only [%s] may", name, keys(r.publish))
		}
		if r.publicNetwork != "" {
			if _, on := s.Networks[r.publicNetwork]; on && !r.publicOnly[name] {
				add("%s: joins network %q reserved for [%s]", name, r.publicNetwork, keys(r.publicOnly))
			}
		}
		if r.internalNetwork != "" {
			if _, on := s.Networks[r.internalNetwork]; !on {
				add("%s: not on network %q", name, r.internalNetwork)
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New(strings.Join(problems, "; "))
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compose-check:", err)
	os.Exit(2)
}
