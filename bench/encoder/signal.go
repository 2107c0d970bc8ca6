package main

import (
	"math"
	"math/rand/v2"
	"syscall"
)

const rate = 8000

// voiced makes speech-like audio: a glottal pulse train whose pitch glides
// between 100 and 240 Hz, shaped by two moving formants, with pauses.
func voiced(seconds int, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]int16, seconds*rate)
	var phase, f1, f2 float64
	y1, y2, z1, z2 := 0.0, 0.0, 0.0, 0.0
	for i := range out {
		t := float64(i) / rate
		pitch := 170 + 70*math.Sin(2*math.Pi*0.7*t)
		f1 = 500 + 300*math.Sin(2*math.Pi*1.3*t)
		f2 = 1500 + 700*math.Sin(2*math.Pi*0.9*t+1)
		phase += pitch / rate
		x := 0.0
		if phase >= 1 {
			phase--
			x = 1
		}
		x += 0.02 * rng.NormFloat64()
		r := 0.97
		a1, a2 := 2*r*math.Cos(2*math.Pi*f1/rate), -r*r
		y := x + a1*y1 + a2*y2
		y2, y1 = y1, y
		b1 := 2 * r * math.Cos(2*math.Pi*f2/rate)
		z := y + b1*z1 - r*r*z2
		z2, z1 = z1, z
		gate := 1.0
		if math.Mod(t, 3) > 2.2 {
			gate = 0.01
		}
		out[i] = int16(max(min(z*gate*150, 32767), -32768))
	}
	return out
}

// lineNoise is n samples of a quiet telephone line's noise, about
// -70 dBFS (before G.711): what a party who is not talking sends.
func lineNoise(n int, seed uint64) []int16 {
	rng := rand.New(rand.NewPCG(seed, 2))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(rng.NormFloat64() * 10)
	}
	return out
}

// cpu is the CPU time this process has used, in seconds.
func cpu() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// lsd is the mean log-spectral distance in dB over 20 ms frames, 300–3400 Hz.
func lsd(a, b []int16) float64 {
	const n = 160
	var sum float64
	frames := 0
	for off := 0; off+n <= min(len(a), len(b)); off += n {
		var d float64
		bins := 0
		ea, eb := 0.0, 0.0
		for k := 6; k <= 68; k++ {
			pa, pb := power(a[off:off+n], k), power(b[off:off+n], k)
			ea += pa
			eb += pb
			d += math.Pow(10*math.Log10((pa+1)/(pb+1)), 2)
			bins++
		}
		if ea < 1e6*float64(bins) {
			continue // silence
		}
		sum += math.Sqrt(d / float64(bins))
		frames++
	}
	return sum / float64(max(frames, 1))
}

func power(x []int16, k int) float64 {
	var re, im float64
	for i, v := range x {
		w := 2 * math.Pi * float64(k*i) / float64(len(x))
		re += float64(v) * math.Cos(w)
		im -= float64(v) * math.Sin(w)
	}
	return (re*re + im*im) / float64(len(x))
}
