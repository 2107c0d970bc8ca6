package aiemu

import (
	"math"
	"sort"
)

// ByPitch answers low for audio whose median voice pitch is under splitHz
// and high otherwise: two test parties spoken by voices of different pitch
// (espeak-ng -p) get their own sentences back, so a test can tell that each
// channel's words landed on the right party.
func ByPitch(splitHz float64, low, high string) Transcriber {
	return func(pcm []int16, rate int) string {
		if MedianPitch(pcm, rate) < splitHz {
			return low
		}
		return high
	}
}

// MedianPitch estimates the median fundamental frequency (Hz) of the voiced
// 40 ms frames by autocorrelation over 60–400 Hz; 0 when nothing is voiced.
func MedianPitch(pcm []int16, rate int) float64 {
	frame := rate * 40 / 1000
	minLag, maxLag := rate/400, rate/60
	var pitches []float64
	for off := 0; off+frame+maxLag <= len(pcm); off += frame {
		x := pcm[off : off+frame+maxLag]
		var energy float64
		for _, s := range x[:frame] {
			energy += float64(s) * float64(s)
		}
		if math.Sqrt(energy/float64(frame)) < 300 {
			continue
		}
		best, bestLag := 0.0, 0
		for lag := minLag; lag <= maxLag; lag++ {
			var c, e2 float64
			for i := range frame {
				c += float64(x[i]) * float64(x[i+lag])
				e2 += float64(x[i+lag]) * float64(x[i+lag])
			}
			if r := c / math.Sqrt(energy*e2+1); r > best {
				best, bestLag = r, lag
			}
		}
		if best > 0.5 {
			pitches = append(pitches, float64(rate)/float64(bestLag))
		}
	}
	if len(pitches) == 0 {
		return 0
	}
	sort.Float64s(pitches)
	return pitches[len(pitches)/2]
}
