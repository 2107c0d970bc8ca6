package main

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"callrec/internal/media"
	"callrec/internal/siprec"
)

// speechText is the reference: Harvard sentences lists 1–6 (IEEE
// Recommended Practice for Speech Quality Measurements, 1969), one a line;
// the first half is spoken on the left channel, the rest on the right.
//
//go:embed speech.txt
var speechText string

const modelDir = "/usr/share/pocketsphinx/model/en-us"

// sentences splits the reference into the two channels' sentences.
func sentences() (left, right []string) {
	var all []string
	for _, l := range strings.Split(strings.TrimSpace(speechText), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			all = append(all, l)
		}
	}
	return all[:len(all)/2], all[len(all)/2:]
}

var nonWord = regexp.MustCompile(`[^a-z']+`)

// words lower-cases text and keeps letters and apostrophes.
func words(text string) []string {
	return strings.Fields(nonWord.ReplaceAllString(strings.ToLower(text), " "))
}

// editDistance counts the substitutions, deletions and insertions that
// turn ref into hyp (Levenshtein over words).
func editDistance(ref, hyp []string) int {
	d := make([]int, len(hyp)+1)
	for j := range d {
		d[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		prev := d[0]
		d[0] = i
		for j := 1; j <= len(hyp); j++ {
			sub := prev
			if ref[i-1] != hyp[j-1] {
				sub++
			}
			prev = d[j]
			d[j] = min(d[j]+1, d[j-1]+1, sub)
		}
	}
	return d[len(hyp)]
}

// speak renders sentences with espeak-ng, resamples them to 8 kHz with sox
// and sends them through G.711 µ-law both ways, as a telephone call arrives
// at the recorder.
func speak(dir string, lines []string) ([]int16, error) {
	txt, wav22, wav8 := filepath.Join(dir, "speech.txt"), filepath.Join(dir, "speech22.wav"), filepath.Join(dir, "speech8.wav")
	if err := os.WriteFile(txt, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return nil, err
	}
	for _, c := range [][]string{
		{"espeak-ng", "-v", "en-us", "-s", "150", "-w", wav22, "-f", txt},
		{"sox", "-D", wav22, "-r", "8000", "-b", "16", "-c", "1", wav8}, // -D: no dither, so every run hears the same audio
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s: %w: %s", c[0], err, out)
		}
	}
	raw, err := os.ReadFile(wav8)
	if err != nil {
		return nil, err
	}
	return throughG711(wavSamples(raw))
}

// throughG711 is pcm sent as G.711 µ-law and decoded, as the recorder
// receives it.
func throughG711(pcm []int16) ([]int16, error) {
	codec, err := media.CodecFor(siprec.Format{Name: "pcmu", ClockRate: 8000})
	if err != nil {
		return nil, err
	}
	dec, err := codec.New()
	if err != nil {
		return nil, err
	}
	law := make([]byte, len(pcm))
	for i, s := range pcm {
		law[i] = media.EncodeULaw(s)
	}
	return dec.Decode(law, make([]int16, 0, len(law))), nil
}

// wavSamples reads the 16-bit samples of a canonical WAV file, finding the
// data chunk (sox writes extra chunks before it).
func wavSamples(b []byte) []int16 {
	i := bytes.Index(b, []byte("data"))
	if i < 0 || i+8 > len(b) {
		return nil
	}
	b = b[i+8:]
	out := make([]int16, len(b)/2)
	for k := range out {
		out[k] = int16(binary.LittleEndian.Uint16(b[2*k:]))
	}
	return out
}

// wav16k writes mono 8 kHz samples as a 16 kHz WAV by inserting a zero
// after each sample (gain 2, no anti-imaging filter): the mirror image above
// 4 kHz gives the 16 kHz-trained model energy where it expects fricatives,
// which halves its word errors on telephone audio compared with a clean
// resampler (measured: docs/benchmarks.md).
func wav16k(path string, pcm []int16) error {
	n := 4 * len(pcm)
	b := make([]byte, 44+n)
	copy(b, "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+n))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], 16000)
	binary.LittleEndian.PutUint32(b[28:], 32000)
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(n))
	for i, s := range pcm {
		binary.LittleEndian.PutUint16(b[44+4*i:], uint16(int16(max(min(2*int32(s), 32767), -32768))))
	}
	return os.WriteFile(path, b, 0o600)
}

// bigramLM writes an ARPA bigram model of the reference sentences (absolute
// discounting, 0.5). The generic en-us model gets most words of espeak-ng's
// voice wrong even unencoded, which leaves no room to see a codec's harm; a
// model of the domain brings the baseline down while the acoustics still
// decide between its 300 words.
func bigramLM(lines []string) string {
	const disc = 0.5
	uni := map[string]int{}
	bi := map[[2]string]int{}
	follow := map[string]int{}
	total := 0
	for _, l := range lines {
		w := append(append([]string{"<s>"}, words(l)...), "</s>")
		for i, x := range w {
			uni[x]++
			total++
			if i > 0 {
				if bi[[2]string{w[i-1], x}] == 0 {
					follow[w[i-1]]++
				}
				bi[[2]string{w[i-1], x}]++
			}
		}
	}
	keys := make([]string, 0, len(uni))
	for k := range uni {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([][2]string, 0, len(bi))
	for k := range bi {
		pairs = append(pairs, k)
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i][0]+" "+pairs[i][1] < pairs[j][0]+" "+pairs[j][1] })
	var b strings.Builder
	fmt.Fprintf(&b, "\\data\\\nngram 1=%d\nngram 2=%d\n\n\\1-grams:\n", len(keys), len(pairs))
	for _, k := range keys {
		p := -99.0
		if k != "<s>" {
			p = math.Log10(float64(uni[k]) / float64(total))
		}
		bo := 0.0
		if follow[k] > 0 {
			bo = math.Log10(disc * float64(follow[k]) / float64(uni[k]))
		}
		fmt.Fprintf(&b, "%.4f %s %.4f\n", p, k, bo)
	}
	b.WriteString("\n\\2-grams:\n")
	for _, p := range pairs {
		fmt.Fprintf(&b, "%.4f %s %s\n", math.Log10((float64(bi[p])-disc)/float64(uni[p[0]])), p[0], p[1])
	}
	b.WriteString("\n\\end\\\n")
	return b.String()
}

// recognizer runs pocketsphinx_continuous and remembers its transcripts by
// the audio's hash: the recognizer is deterministic, so a second run of the
// benchmark costs only the encoding.
type recognizer struct {
	dir, lm, cache string
}

func newRecognizer(dir string, lines []string) (*recognizer, error) {
	if _, err := exec.LookPath("pocketsphinx_continuous"); err != nil {
		return nil, fmt.Errorf("pocketsphinx_continuous: %w (apt-get install pocketsphinx pocketsphinx-en-us)", err)
	}
	lm := bigramLM(lines)
	r := &recognizer{dir: dir, lm: filepath.Join(dir, "speech.arpa")}
	if c, err := os.UserCacheDir(); err == nil {
		r.cache = filepath.Join(c, "callrec-bench-encoder")
		_ = os.MkdirAll(r.cache, 0o700)
	}
	return r, os.WriteFile(r.lm, []byte(lm), 0o600)
}

// transcribe returns what the recognizer heard in mono 8 kHz audio.
func (r *recognizer) transcribe(pcm []int16) (string, error) {
	h := sha256.New()
	_ = binary.Write(h, binary.LittleEndian, pcm)
	lm, _ := os.ReadFile(r.lm)
	h.Write(lm)
	key := hex.EncodeToString(h.Sum(nil))
	if r.cache != "" {
		if b, err := os.ReadFile(filepath.Join(r.cache, key)); err == nil {
			return string(b), nil
		}
	}
	wav := filepath.Join(r.dir, key+".wav")
	if err := wav16k(wav, pcm); err != nil {
		return "", err
	}
	defer os.Remove(wav)
	cmd := exec.Command("pocketsphinx_continuous", "-infile", wav, "-hmm", modelDir+"/en-us",
		"-lm", r.lm, "-dict", modelDir+"/cmudict-en-us.dict", "-logfn", "/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("pocketsphinx: %w: %s", err, stderr.Bytes())
	}
	if r.cache != "" {
		_ = os.WriteFile(filepath.Join(r.cache, key), out, 0o600)
	}
	return string(out), nil
}
