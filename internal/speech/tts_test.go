package speech

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// telephoneSpeech speaks text with espeak-ng and passes it through the
// telephone path the recorder sees: 8 kHz, G.711 µ-law and back to 16-bit
// linear. It returns mono samples at 8 kHz.
func telephoneSpeech(t testing.TB, text, voice, pitch string) []int16 {
	t.Helper()
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed (.ci/run installs it)", tool)
		}
	}
	dir := t.TempDir()
	wav, ulaw, raw := filepath.Join(dir, "tts.wav"), filepath.Join(dir, "tts.ul"), filepath.Join(dir, "tts.raw")
	args := []string{"-w", wav, "-s", "150", "-p", pitch}
	if voice != "" {
		args = append(args, "-v", voice)
	}
	run(t, "espeak-ng", append(args, text)...)
	run(t, "sox", wav, "-r", "8000", "-c", "1", "-e", "u-law", "-t", "ul", ulaw)
	run(t, "sox", "-t", "ul", "-r", "8000", "-c", "1", ulaw, "-e", "signed-integer", "-b", "16", "-t", "raw", raw)
	b, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, len(b)/2)
	for i := range pcm {
		pcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return pcm
}

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}
