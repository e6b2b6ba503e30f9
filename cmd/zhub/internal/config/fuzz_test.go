package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// fuzzSeeds are documents that reach each decoding path; the fuzzer mutates them.
var fuzzSeeds = []string{
	"",
	"[zigbee]\nchannel = \n",
	"[zigbee]\nchanel = 15\n[serial]\nchannel = 1\n[zigbe]\nchannel = 2\n",
	"[zigbee]\nChannel = 15\n",
	"[zigbee]\nchannel = \"eleven\"\npan_id = \"0x12345\"\n[llm]\ntimeout = 60\n",
	"[zigbee]\nnetwork_key = \"00112233445566778899aabbccddeeff\"\n",
	"[zigbee]\npan_id = 0x1a62\nextended_pan_id = \"dd:dd:dd:dd:dd:dd:dd:dd\"\nnetwork_key = \"env:NK\"\n",
	"serial = 5\nlisten = 5\n",
	"zigbee = { channel = 25, pan_id = 4660 }\n",
	"[http]\nallowed_origins = [\n  \"http://a:1\",\n]\n[mcp]\nguarded_tools = [\"permit_join\"]\n",
	"[mqtt]\nurl = \"mqtt://u:p@h:1\"\nbase_topic = \"a/#\"\n[log]\nlevel = \"loud\"\n",
	"[llm]\ntimeout = \"-2562047h47m16.854775808s\"\nmax_tool_iterations = 9223372036854775807\n",
	"[[serial]]\nport = 1\n",
	"data_dir = \"\"\"\nmulti\nline\"\"\"\n",
}

// FuzzLoad: decoding never panics; every problem renders as exactly one line; a document
// that loads survives Validate, LogValue and Redacted, and Redacted parses back to the same
// configuration.
func FuzzLoad(f *testing.F) {
	if example, err := os.ReadFile(examplePath(f)); err == nil {
		f.Add(string(example))
	}
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	noEnv := func(string) string { return "" }
	src := Source{Path: "fuzz.toml", FromFile: true, Via: "--config"}
	f.Fuzz(func(t *testing.T, doc string) {
		cfg, err := decode(src, []byte(doc), noEnv)
		if err != nil {
			checkOneLinePerProblem(t, err)
			return
		}
		if err := cfg.Validate(); err != nil {
			checkOneLinePerProblem(t, err)
		}
		_ = cfg.LogValue().Resolve().String()

		// Do not let a fuzzed file: reference make Redacted read the machine's files.
		if _, ok := cfg.Zigbee.NetworkKey.FilePath(); ok {
			cfg.Zigbee.NetworkKey = "file:/nonexistent/zhub-fuzz"
		}
		out := cfg.Redacted()
		if strings.Contains(out, hidden) || strings.Contains(out, "# password hidden") {
			return // a secret was hidden on purpose, so the output differs
		}
		back, err := decode(src, []byte(out), noEnv)
		if err != nil {
			t.Fatalf("Redacted output does not load: %v\n%s", err, out)
		}
		cfg.meta, back.meta = nil, nil
		if !reflect.DeepEqual(cfg, back) {
			t.Fatalf("round trip changed the configuration:\n%#v\n%#v\n%s", cfg, back, out)
		}
	})
}

func checkOneLinePerProblem(t *testing.T, err error) {
	t.Helper()
	n := 1
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		n = len(j.Unwrap())
	}
	if got := strings.Count(err.Error(), "\n") + 1; got != n {
		t.Fatalf("%d problems rendered on %d lines: %q", n, got, err.Error())
	}
	if _, ok := errors.AsType[*Error](err); !ok {
		t.Fatalf("not an *Error: %T %v", err, err)
	}
}
