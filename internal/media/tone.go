package media

import "math"

// Tone fills out with a sine of freq Hz at the given rate and amplitude,
// continuing from sample index start (so consecutive packets join up).
func Tone(out []int16, freq float64, rate int, amp float64, start int64) {
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(start+int64(i))/float64(rate)))
	}
}

// Power returns the relative power of freq in samples (Goertzel), in the
// same units as the signal's mean square, so tests can tell which tone a
// channel carries.
func Power(samples []int16, freq float64, rate int) float64 {
	if len(samples) == 0 {
		return 0
	}
	k := 2 * math.Cos(2*math.Pi*freq/float64(rate))
	var s1, s2 float64
	for _, x := range samples {
		s0 := float64(x) + k*s1 - s2
		s2, s1 = s1, s0
	}
	p := s1*s1 + s2*s2 - k*s1*s2
	n := float64(len(samples))
	return 2 * p / (n * n)
}
