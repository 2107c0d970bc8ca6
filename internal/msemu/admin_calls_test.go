package msemu

import (
	"net/url"
	"strings"
	"testing"
)

func TestAdminPlaceTestCall(t *testing.T) {
	h := newHarness(t, 0)
	b := newBrowser(t)
	b.Post(h.srv.URL+"/admin/signin", url.Values{"loginfmt": {adele}, "passwd": {AdminPassword}, "next": {"/admin/calls"}})
	_, page := b.Get(h.srv.URL + "/admin/calls")
	if !strings.Contains(page, "<h1>Place a test call</h1>") || !strings.Contains(page, `<option value="`+alex+`"`) || !strings.Contains(page, "No calls yet.") {
		t.Fatalf("calls page: %s", page)
	}
	tests := []struct {
		name   string
		form   url.Values
		notice string
	}{
		{"teams to pstn", url.Values{"from": {adele}, "to": {alex}, "to_phone": {phone}, "duration": {"1"}}, "Call placed."},
		{"bad duration", url.Values{"from": {adele}, "to": {alex}, "duration": {"0"}}, "duration_seconds must be more than 0"},
		{"other tenant", url.Values{"from": {"MonaK@" + FabrikamDomain}, "to_phone": {phone}, "duration": {"1"}}, "Pick at least one person of Contoso."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, page := b.Post(h.srv.URL+"/admin/calls", tc.form)
			if !strings.Contains(page, tc.notice) {
				t.Fatalf("want %q in %s", tc.notice, page)
			}
		})
	}
	calls := h.emu.CallViews()
	if len(calls) != 1 || calls[0].Parties[1].Phone != phone {
		t.Fatalf("%+v", calls)
	}
	waitDone(t, h, calls[0].ID)
	_, page = b.Get(h.srv.URL + "/admin/calls")
	if !strings.Contains(page, "<b>ended</b>") || !strings.Contains(page, "heard “speech: Hello, this is Adele") {
		t.Fatalf("recent calls: %s", page)
	}
}
