package config

import (
	"strings"
	"testing"
)

func TestScanKeyLines(t *testing.T) {
	doc := strings.Join([]string{
		`# comment with key = value`,             // 1
		`data_dir = "/x" # trailing`,             // 2
		`[serial]`,                               // 3
		`  port = "/dev/ttyUSB0"`,                // 4
		`"adapter" = 'znp'`,                      // 5
		`[ zigbee ]`,                             // 6
		`network_key = """`,                      // 7
		`channel = 99 inside a string`,           // 8
		`"""`,                                    // 9
		`channel = 15`,                           // 10
		`[http]`,                                 // 11
		`allowed_origins = [`,                    // 12
		`  "listen = 1",  # ] not the end`,       // 13
		`  ["nested"],`,                          // 14
		`]`,                                      // 15
		`listen = "a:1"`,                         // 16
		`mqtt.base_topic = "z"`,                  // 17
		`[[weird."quoted.part"]]`,                // 18
		`'literal key' . sub = { a = 1, b = 2 }`, // 19
		`x = '''`,                                // 20
		`y = 1'''`,                               // 21
		`z = "esc\"aped = 2"`,                    // 22
	}, "\n")
	kl := scanKeyLines(doc)
	tests := []struct {
		name string
		path []string
		want int
	}{
		{"top-level key", []string{"data_dir"}, 2},
		{"table", []string{"serial"}, 3},
		{"indented key", []string{"serial", "port"}, 4},
		{"quoted key", []string{"serial", "adapter"}, 5},
		{"table header with spaces", []string{"zigbee"}, 6},
		{"multi-line basic string", []string{"zigbee", "network_key"}, 7},
		{"key after a multi-line string", []string{"zigbee", "channel"}, 10},
		{"multi-line array", []string{"http", "allowed_origins"}, 12},
		{"key after a multi-line array", []string{"http", "listen"}, 16},
		{"dotted key inside a table", []string{"http", "mqtt", "base_topic"}, 17},
		{"array of tables with a quoted part", []string{"weird", "quoted.part"}, 18},
		{"literal quoted dotted key", []string{"weird", "quoted.part", "literal key", "sub"}, 19},
		{"inline table key falls back to its parent", []string{"weird", "quoted.part", "literal key", "sub", "a"}, 19},
		{"multi-line literal string", []string{"weird", "quoted.part", "x"}, 20},
		{"key inside a multi-line literal string is not a key", []string{"weird", "quoted.part", "y"}, 18},
		{"escaped quote", []string{"weird", "quoted.part", "z"}, 22},
		{"unknown", []string{"nope"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kl.lineOf(tt.path); got != tt.want {
				t.Errorf("lineOf(%q) = %d, want %d", tt.path, got, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct {
		name string
		path []string
		want string
	}{
		{"typo", []string{"zigbee", "chanel"}, "zigbee.channel"},
		{"wrong section", []string{"mqtt", "provider"}, "llm.provider"},
		{"missing section", []string{"baud"}, "serial.baud"},
		{"ambiguous", []string{"enabled"}, "mqtt.enabled or mcp.enabled"},
		{"section typo", []string{"serail"}, "serial"},
		{"case", []string{"LOG", "Level"}, "log.level"},
		{"nothing close", []string{"mqtt", "completely_different"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggest(tt.path); got != tt.want {
				t.Errorf("suggest(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
