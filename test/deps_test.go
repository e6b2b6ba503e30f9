package test

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/zhubhq/zhub"

// fence forbids a package (and its sub-packages unless exact) from
// depending, directly or not, on the listed import path prefixes.
type fence struct {
	pkg    string
	exact  bool
	banned map[string]string // prefix -> why, for every transitive dependency
	direct map[string]string // prefix -> why, for direct imports only
}

var fences = []fence{
	{pkg: mod + "/zigbee", exact: true, banned: map[string]string{
		mod + "/hub": "zigbee knows nothing of the hub", mod + "/zigbee/": "the base package must not import its children",
	}},
	{pkg: mod + "/zigbee/zcl", banned: map[string]string{
		mod + "/hub": "codecs are pure", mod + "/zigbee/znp": "codecs are pure", mod + "/zigbee/sim": "codecs are pure",
	}},
	{pkg: mod + "/zigbee/zdo", banned: map[string]string{
		mod + "/hub": "codecs are pure", mod + "/zigbee/znp": "codecs are pure", mod + "/zigbee/sim": "codecs are pure",
	}},
	{pkg: mod + "/zigbee/znp", banned: map[string]string{
		mod + "/hub": "drivers never import the hub", mod + "/zigbee/sim": "the driver must not depend on its emulator",
	}, direct: map[string]string{"go.bug.st/serial": "drivers take an io.ReadWriteCloser; the zigbee package opens ports"}},
	{pkg: mod + "/zigbee/ezsp", banned: map[string]string{
		mod + "/hub": "drivers never import the hub", mod + "/zigbee/sim": "the driver must not depend on its emulator",
		mod + "/zigbee/znp": "the two drivers share code through driverkit, not each other",
	}, direct: map[string]string{"go.bug.st/serial": "drivers take an io.ReadWriteCloser; the zigbee package opens ports"}},
	{pkg: mod + "/zigbee/internal/driverkit", banned: map[string]string{
		mod + "/hub": "drivers never import the hub", mod + "/zigbee/sim": "driver code must not depend on the emulator",
		mod + "/zigbee/znp": "the drivers build on driverkit, not the reverse", mod + "/zigbee/ezsp": "the drivers build on driverkit, not the reverse",
	}, direct: map[string]string{"go.bug.st/serial": "drivers take an io.ReadWriteCloser; the zigbee package opens ports"}},
	{pkg: mod + "/zigbee/sim", banned: map[string]string{mod + "/hub": "the emulator never imports the hub"}},
	{pkg: mod + "/hub", exact: true, banned: map[string]string{
		mod + "/hub/store": "the hub declares the store interface it consumes (hubstore adapts it)", mod + "/ws": "front doors depend on the hub, not the reverse",
		mod + "/mcp": "front doors depend on the hub", mod + "/llm": "the hub knows no LLM", "modernc.org/sqlite": "no SQL in the hub",
		"github.com/BurntSushi/toml": "configuration is parsed in cmd/zhub", "github.com/eclipse/paho.mqtt.golang": "MQTT lives in hub/mqttbridge",
	}},
	{pkg: mod + "/ws", banned: map[string]string{
		mod + "/zigbee/znp": "front doors never reach a driver", mod + "/zigbee/sim": "front doors never reach the emulator",
		mod + "/mcp": "front doors do not import each other", mod + "/hub/mqttbridge": "front doors do not import each other",
		mod + "/hub/store": "front doors go through the hub", mod + "/zigbee/ezsp": "front doors never reach a driver",
	}},
	{pkg: mod + "/llm", banned: map[string]string{mod + "/hub": "llm gets its tools from mcp at run time", mod + "/mcp": "the chat wiring adapts MCP to the loop in cmd/zhub"}},
	{pkg: mod + "/mcp", banned: map[string]string{
		mod + "/zigbee/znp": "front doors never reach a driver", mod + "/zigbee/ezsp": "front doors never reach a driver",
		mod + "/zigbee/sim": "front doors never reach the emulator", mod + "/ws": "front doors do not import each other",
		mod + "/hub/mqttbridge": "front doors do not import each other", mod + "/llm": "mcp serves any client, not only our chat",
	}},
	{pkg: mod + "/hub/mqttbridge", banned: map[string]string{
		mod + "/zigbee/znp": "front doors never reach a driver", mod + "/zigbee/ezsp": "front doors never reach a driver",
		mod + "/zigbee/sim": "front doors never reach the emulator", mod + "/ws": "front doors do not import each other",
		mod + "/mcp": "front doors do not import each other", mod + "/hub/store": "front doors go through the hub",
	}},
	{pkg: mod + "/hub/localapi", banned: map[string]string{
		mod + "/zigbee/znp": "front doors never reach a driver", mod + "/zigbee/ezsp": "front doors never reach a driver",
		mod + "/zigbee/sim": "front doors never reach the emulator", mod + "/hub/store": "the local API goes through the hub",
	}},
	{pkg: mod + "/hub/auth", exact: true, banned: map[string]string{mod + "/hub/store": "auth declares the token store it consumes (authstore adapts it)"}},
	{pkg: mod + "/mcp", exact: true, banned: map[string]string{mod + "/hub/store": "mcp declares the ContextStore it consumes (mcpstore adapts it)"}},
	{pkg: mod + "/hub/hubtest", banned: map[string]string{
		mod + "/ws": "hubtest serves the front doors' tests, so it imports no front door", mod + "/mcp": "hubtest imports no front door",
		mod + "/hub/mqttbridge": "hubtest imports no front door", mod + "/hub/localapi": "hubtest imports no front door",
		mod + "/llm": "hubtest starts the hub, nothing above it", mod + "/cmd/": "hubtest starts the hub, nothing above it",
	}},
	// go list reports production imports only, so this holds every
	// non-test package to it; tests are free to use hubtest.
	{pkg: mod, banned: map[string]string{mod + "/hub/hubtest": "test helpers only: production code never starts the emulated test stack"}},
}

func TestDependencyFences(t *testing.T) {
	for _, f := range fences {
		pattern := f.pkg
		if !f.exact {
			pattern += "/..."
		}
		out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}} |{{range .Imports}} {{.}}{{end}}`, pattern).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pattern, err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 || strings.HasPrefix(line, "go: warning") || strings.Contains(line, "matched no packages") {
				continue
			}
			pkg := fields[0]
			deps, imports, _ := strings.Cut(strings.Join(fields[1:], " "), "|")
			check(t, pkg, strings.Fields(deps), f.banned)
			check(t, pkg, strings.Fields(imports), f.direct)
		}
	}
}

func check(t *testing.T, pkg string, deps []string, banned map[string]string) {
	t.Helper()
	for _, dep := range deps {
		for prefix, why := range banned {
			if matches(dep, prefix) {
				t.Errorf("%s depends on %s: %s", pkg, dep, why)
			}
		}
	}
}

// matches reports whether dep is prefix or below it. A prefix ending in "/"
// matches only packages below it.
func matches(dep, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(dep, prefix)
	}
	return dep == prefix || strings.HasPrefix(dep, prefix+"/")
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		dep, prefix string
		want        bool
	}{
		{mod + "/hub", mod + "/hub", true},
		{mod + "/hub/store", mod + "/hub", true},
		{mod + "/hubx", mod + "/hub", false},
		{mod + "/zigbee", mod + "/zigbee/", false},
		{mod + "/zigbee/zcl", mod + "/zigbee/", true},
	} {
		if got := matches(tc.dep, tc.prefix); got != tc.want {
			t.Errorf("matches(%q, %q) = %v", tc.dep, tc.prefix, got)
		}
	}
}
