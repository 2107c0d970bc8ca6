package csvexport

import (
	"bytes"
	"encoding/csv"
	"testing"
)

func TestNeutralise(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	in := []string{"=HYPERLINK(\"http://x\")", "+15551230000", "+1 555 123", "-12", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd", "Alex Wilber", "", "a=b"}
	if err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	got, err := csv.NewReader(&buf).Read()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"'=HYPERLINK(\"http://x\")", "+15551230000", "+1 555 123", "-12", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\tcmd", "'\rcmd", "Alex Wilber", "", "a=b"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("cell %d: %q, want %q", i, got[i], want[i])
		}
	}
}

func TestRestoreUndoesNeutralise(t *testing.T) {
	for _, cell := range []string{"+15551230000;1535", "+15551230000", "+x", "=1+1", "-x", "@a", "\tx", "plain", "'quoted", ""} {
		if got := Restore(Neutralise(cell)); got != cell {
			t.Errorf("Restore(Neutralise(%q)) = %q", cell, got)
		}
	}
}
