package media

// G.722 (ITU-T G.722, 64 kbit/s) after the public-domain reference by
// Steve Underwood and the CMU codec it derives from. The decoder runs in the
// "8 kHz output" mode: only the lower sub-band, which is the 0–4 kHz speech
// band the recorder keeps, so no resampling is needed.

var (
	g722wl   = [8]int{-60, -30, 58, 172, 334, 538, 1198, 3042}
	g722rl42 = [16]int{0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0}
	g722ilb  = [32]int{2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
		2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008}
	g722wh  = [3]int{0, -214, 798}
	g722rh2 = [4]int{2, 1, 2, 1}
	g722qm2 = [4]int{-7408, -1616, 7408, 1616}
	g722qm4 = [16]int{0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0}
	g722qm6 = [64]int{-136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
		-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
		24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
		4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136}
	g722qmf = [12]int{3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11}
	g722q6  = [32]int{0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023,
		1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0}
	g722iln = [32]int{0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0}
	g722ilp = [32]int{0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0}
	g722ihn = [3]int{0, 1, 0}
	g722ihp = [3]int{0, 3, 2}
)

type g722Band struct {
	s, sp, sz    int
	r, a, ap, p  [3]int
	d, b, bp, sg [7]int
	nb, det      int
}

func sat16(v int) int {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return v
}

func (b *g722Band) block4(d int) {
	b.d[0] = d
	b.r[0] = sat16(b.s + d)
	b.p[0] = sat16(b.sz + d)
	for i := 0; i < 3; i++ {
		b.sg[i] = b.p[i] >> 15
	}
	wd1 := sat16(b.a[1] << 2)
	wd2 := wd1
	if b.sg[0] == b.sg[1] {
		wd2 = -wd1
	}
	if wd2 > 32767 {
		wd2 = 32767
	}
	wd3 := wd2 >> 7
	if b.sg[0] == b.sg[2] {
		wd3 += 128
	} else {
		wd3 -= 128
	}
	wd3 += (b.a[2] * 32512) >> 15
	wd3 = min(max(wd3, -12288), 12288)
	b.ap[2] = wd3

	b.sg[0], b.sg[1] = b.p[0]>>15, b.p[1]>>15
	wd1 = -192
	if b.sg[0] == b.sg[1] {
		wd1 = 192
	}
	wd2 = (b.a[1] * 32640) >> 15
	b.ap[1] = sat16(wd1 + wd2)
	wd3 = sat16(15360 - b.ap[2])
	b.ap[1] = min(max(b.ap[1], -wd3), wd3)

	wd1 = 128
	if d == 0 {
		wd1 = 0
	}
	b.sg[0] = d >> 15
	for i := 1; i < 7; i++ {
		b.sg[i] = b.d[i] >> 15
		wd2 = -wd1
		if b.sg[i] == b.sg[0] {
			wd2 = wd1
		}
		wd3 = (b.b[i] * 32640) >> 15
		b.bp[i] = sat16(wd2 + wd3)
	}
	for i := 6; i > 0; i-- {
		b.d[i] = b.d[i-1]
		b.b[i] = b.bp[i]
	}
	for i := 2; i > 0; i-- {
		b.r[i] = b.r[i-1]
		b.p[i] = b.p[i-1]
		b.a[i] = b.ap[i]
	}
	wd1 = sat16(b.r[1] + b.r[1])
	wd1 = (b.a[1] * wd1) >> 15
	wd2 = sat16(b.r[2] + b.r[2])
	wd2 = (b.a[2] * wd2) >> 15
	b.sp = sat16(wd1 + wd2)
	b.sz = 0
	for i := 6; i > 0; i-- {
		wd1 = sat16(b.d[i] + b.d[i])
		b.sz += (b.b[i] * wd1) >> 15
	}
	b.sz = sat16(b.sz)
	b.s = sat16(b.sp + b.sz)
}

func scale(nb, shift int) int {
	wd1 := (nb >> 6) & 31
	wd2 := shift - (nb >> 11)
	if wd2 < 0 {
		return (g722ilb[wd1] << -wd2) << 2
	}
	return (g722ilb[wd1] >> wd2) << 2
}

// G722Decoder decodes 64 kbit/s G.722 to 8 kHz PCM (the lower sub-band).
type G722Decoder struct{ band [2]g722Band }

// NewG722Decoder returns a decoder in its initial state.
func NewG722Decoder() *G722Decoder {
	d := &G722Decoder{}
	d.band[0].det, d.band[1].det = 32, 8
	return d
}

// Decode appends one 8 kHz sample per input byte to out.
func (d *G722Decoder) Decode(in []byte, out []int16) []int16 {
	lo, hi := &d.band[0], &d.band[1]
	for _, code := range in {
		ilow, ihigh := int(code&0x3f), int(code>>6)&3
		rlow := lo.s + (lo.det*g722qm6[ilow])>>15
		rlow = min(max(rlow, -16384), 16383)
		wd1 := ilow >> 2
		dlowt := (lo.det * g722qm4[wd1]) >> 15
		lo.nb = min(max((lo.nb*127)>>7+g722wl[g722rl42[wd1]], 0), 18432)
		lo.det = scale(lo.nb, 8)
		lo.block4(dlowt)

		// The upper band's state must advance even though its output is
		// dropped, so that a later switch to 16 kHz output would be exact.
		dhigh := (hi.det * g722qm2[ihigh]) >> 15
		hi.nb = min(max((hi.nb*127)>>7+g722wh[g722rh2[ihigh]], 0), 22528)
		hi.det = scale(hi.nb, 10)
		hi.block4(dhigh)

		out = append(out, int16(sat16(rlow<<1)))
	}
	return out
}

// G722Encoder encodes 16 kHz PCM to 64 kbit/s G.722 (load generator, tests).
type G722Encoder struct {
	band [2]g722Band
	x    [24]int
}

// NewG722Encoder returns an encoder in its initial state.
func NewG722Encoder() *G722Encoder {
	e := &G722Encoder{}
	e.band[0].det, e.band[1].det = 32, 8
	return e
}

// Encode appends one byte per two 16 kHz input samples.
func (e *G722Encoder) Encode(in []int16, out []byte) []byte {
	lo, hi := &e.band[0], &e.band[1]
	for j := 0; j+1 < len(in); j += 2 {
		copy(e.x[:22], e.x[2:])
		e.x[22], e.x[23] = int(in[j]), int(in[j+1])
		sumEven, sumOdd := 0, 0
		for i := 0; i < 12; i++ {
			sumOdd += e.x[2*i] * g722qmf[i]
			sumEven += e.x[2*i+1] * g722qmf[11-i]
		}
		xlow, xhigh := (sumEven+sumOdd)>>14, (sumEven-sumOdd)>>14

		el := sat16(xlow - lo.s)
		wd := el
		if el < 0 {
			wd = -(el + 1)
		}
		i := 1
		for ; i < 30; i++ {
			if wd < (g722q6[i]*lo.det)>>12 {
				break
			}
		}
		ilow := g722ilp[i]
		if el < 0 {
			ilow = g722iln[i]
		}
		ril := ilow >> 2
		dlow := (lo.det * g722qm4[ril]) >> 15
		lo.nb = min(max((lo.nb*127)>>7+g722wl[g722rl42[ril]], 0), 18432)
		lo.det = scale(lo.nb, 8)
		lo.block4(dlow)

		eh := sat16(xhigh - hi.s)
		wd = eh
		if eh < 0 {
			wd = -(eh + 1)
		}
		mih := 1
		if wd >= (564*hi.det)>>12 {
			mih = 2
		}
		ihigh := g722ihp[mih]
		if eh < 0 {
			ihigh = g722ihn[mih]
		}
		dhigh := (hi.det * g722qm2[ihigh]) >> 15
		hi.nb = min(max((hi.nb*127)>>7+g722wh[g722rh2[ihigh]], 0), 22528)
		hi.det = scale(hi.nb, 10)
		hi.block4(dhigh)
		out = append(out, byte(ihigh<<6|ilow))
	}
	return out
}
