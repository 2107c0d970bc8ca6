// Package media receives RTP for the recorder: one UDP socket per stream,
// payloads decoded to 8 kHz 16-bit PCM and placed on the call's timeline by
// their RTP timestamps, so that reordering, jitter, gaps and SSRC changes
// leave both channels aligned.
package media

// ulawTable and alawTable are G.711 decode tables (ITU-T G.711).
var ulawTable, alawTable = func() (u, a [256]int16) {
	for i := 0; i < 256; i++ {
		u[i] = ulaw(byte(i))
		a[i] = alaw(byte(i))
	}
	return u, a
}()

func ulaw(b byte) int16 {
	b = ^b
	t := (int(b&0x0f) << 3) + 0x84
	t <<= (b & 0x70) >> 4
	if b&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}

func alaw(b byte) int16 {
	b ^= 0x55
	t := int(b&0x0f) << 4
	seg := (b & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if b&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

// EncodeULaw encodes one sample to G.711 µ-law (used by the load generator
// and tests).
func EncodeULaw(s int16) byte {
	const bias, clip = 0x84, 32635
	sign := byte(0)
	v := int(s)
	if v < 0 {
		v, sign = -v, 0x80
	}
	if v > clip {
		v = clip
	}
	v += bias
	exp := byte(7)
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := byte(v>>(exp+3)) & 0x0f
	return ^(sign | exp<<4 | mant)
}

// EncodeALaw encodes one sample to G.711 A-law.
func EncodeALaw(s int16) byte {
	v := int(s)
	sign := byte(0x80)
	if v < 0 {
		v, sign = -v-1, 0
	}
	if v > 32767 {
		v = 32767
	}
	var out byte
	if v < 256 {
		out = byte(v >> 4)
	} else {
		exp := byte(1)
		for x := v >> 8; x > 1; x >>= 1 {
			exp++
		}
		out = exp<<4 | byte(v>>(exp+3))&0x0f
	}
	return (out | sign) ^ 0x55
}
