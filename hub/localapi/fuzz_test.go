package localapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zhubhq/zhub/hub/localapi"
	"github.com/zhubhq/zhub/zigbee/sim"
)

// FuzzRequest posts arbitrary bodies to the endpoints that decode one (all
// but those that block for long or change the network: pair, interview,
// restore). Every answer must be JSON: a 2xx value, or an ErrorBody with a
// code and a one-line message.
func FuzzRequest(f *testing.F) {
	e := startEnv(f, envOptions{devices: []sim.DeviceSpec{{Kind: sim.KindLight, IEEE: spareLight}}})
	e.pairLight(f)
	name := spareLight.String()
	paths := []string{"device/rename", "device/remove", "device/get", "device/set", "permit_join", "tokens", "tokens/revoke", "chat"}
	seeds := []struct {
		path int
		body string
	}{
		{0, `{"device":"` + name + `","to":"lamp"}`},
		{0, `{"device":"lamp","to":"bridge"}`},
		{1, `{"device":"nobody"}`},
		{2, `{"device":"` + name + `","properties":["state"]}`},
		{2, `{"device":"lamp","properties":["state","nope"]}`},
		{3, `{"device":"lamp","values":{"state":"TOGGLE"}}`},
		{3, `{"device":"lamp","values":{"state":1e400}}`},
		{3, `{"device":"lamp","values":[]}`},
		{4, `{"duration_s":0}`},
		{4, `{"duration_s":-5,"via":"x"}`},
		{5, `{"name":"x"}`},
		{6, `{}`},
		{7, `{"text":""}`},
		{0, ``},
		{3, `{"device":`},
		{2, "\xff\xfe"},
	}
	for _, s := range seeds {
		f.Add(uint8(s.path), []byte(s.body))
	}
	h := e.srv.Handler()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest("POST", localapi.Prefix+path, strings.NewReader(string(body)))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code/100 == 2 {
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%s %q: 2xx with invalid JSON %q", path, body, rec.Body.String())
			}
			return
		}
		var eb localapi.ErrorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &eb); err != nil || eb.Code == "" || eb.Error == "" || strings.Contains(eb.Error, "\n") {
			t.Fatalf("%s %q: %d %q is not an error body", path, body, rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("%s %q: internal error %q", path, body, eb.Error)
		}
	})
}
