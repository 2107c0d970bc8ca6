package ui

import "testing"

func TestParty(t *testing.T) {
	for _, c := range []struct{ name, aor, want string }{
		{"Alex Wilber", "391e6af8-2c1b-4c5e-9f0a-8d7b6c5a4e3f", "Alex Wilber"},
		{"Alex Wilber", "8:orgid:391e6af8-2c1b-4c5e-9f0a-8d7b6c5a4e3f", "Alex Wilber"},
		{"+15551230000", "tel:+15551230000", "+15551230000"},
		{"Jordan Reyes", "sip:2001@pbx.example", "Jordan Reyes 2001"},
		{"", "sip:+15550100001@carrier.example", "+15550100001"},
		{"", "", ""},
	} {
		if got := party(c.name, c.aor); got != c.want {
			t.Errorf("party(%q, %q) = %q, want %q", c.name, c.aor, got, c.want)
		}
	}
}

func TestSentence(t *testing.T) {
	for in, want := range map[string]string{
		"Successfully received permissions for organization domain contoso.onmicrosoft.com": "Successfully received permissions for organization domain contoso.onmicrosoft.com.",
		"note added.":   "Note added.",
		"Saved!":        "Saved!",
		"  ":            "",
		"éléphant rose": "Éléphant rose.",
	} {
		if got := sentence(in); got != want {
			t.Errorf("sentence(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{512: "512 bytes", 76931: "75 KB", 1536: "1.5 KB", 5 << 20: "5.0 MB", 3 << 30: "3.0 GB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestRoleCell(t *testing.T) {
	got := string(roleCell("supervisor"))
	want := `<span class="nowrap">Teams Supervisor |</span> <span class="nowrap">Supervisor</span>`
	if got != want {
		t.Errorf("roleCell(supervisor) = %q, want %q", got, want)
	}
}
