package media

import (
	"encoding/binary"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"

	"callrec/internal/siprec"
)

func TestG711RoundTrip(t *testing.T) {
	for _, s := range []int16{0, 100, -100, 1000, -1000, 12000, -12000, 32000, -32000} {
		u := ulawTable[EncodeULaw(s)]
		a := alawTable[EncodeALaw(s)]
		tol := int(s)/16 + 40
		if tol < 0 {
			tol = -tol + 40
		}
		if d := int(u) - int(s); d > tol || d < -tol {
			t.Errorf("µ-law %d -> %d", s, u)
		}
		if d := int(a) - int(s); d > tol || d < -tol {
			t.Errorf("A-law %d -> %d", s, a)
		}
	}
}

func TestG722RoundTripKeepsTone(t *testing.T) {
	in := make([]int16, 16000)
	Tone(in, 700, 16000, 8000, 0)
	enc, dec := NewG722Encoder(), NewG722Decoder()
	out := dec.Decode(enc.Encode(in, nil), nil)
	if len(out) != 8000 {
		t.Fatalf("decoded %d samples", len(out))
	}
	tail := out[2000:]
	if p700, p1500 := Power(tail, 700, Rate), Power(tail, 1500, Rate); p700 < 1e6 || p700 < 100*p1500 {
		t.Errorf("700 Hz power %.0f, 1500 Hz %.0f", p700, p1500)
	}
}

// TestStreamReordersAndFillsGaps sends a tone over a real socket with two
// packets swapped and five missing, and checks the track's timeline.
func TestStreamReordersAndFillsGaps(t *testing.T) {
	dir := t.TempDir()
	track, err := OpenTrack(filepath.Join(dir, "s.pcm"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	codec, _ := CodecFor(siprec.Format{PT: 0, Name: "pcmu", ClockRate: 8000})
	start := time.Now()
	s, err := NewStream(conn, codec, 101, track, start, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Run(); close(done) }()

	out, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	order := []int{}
	for i := 0; i < 50; i++ {
		if i >= 20 && i < 25 {
			continue // lost
		}
		order = append(order, i)
	}
	order[3], order[4] = order[4], order[3]
	pcm := make([]int16, 160)
	for _, i := range order {
		Tone(pcm, 1000, Rate, 8000, int64(i*160))
		payload := make([]byte, 160)
		for k, v := range pcm {
			payload[k] = EncodeULaw(v)
		}
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(1000 + i), Timestamp: uint32(5000 + i*160), SSRC: 42}, Payload: payload}
		b, _ := p.Marshal()
		if _, err := out.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	dtmf := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 1050, Timestamp: 5000, SSRC: 42}, Payload: []byte{1, 0, 0, 160}}
	b, _ := dtmf.Marshal()
	out.Write(b)

	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().Packets < 46 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := s.Close(0); err != nil {
		t.Fatal(err)
	}
	<-done
	st := s.Stats()
	if st.Packets != 46 || st.Lost != 5 || st.Ignored != 1 {
		t.Errorf("stats = %+v", st)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "s.pcm"))
	if err != nil {
		t.Fatal(err)
	}
	samples := make([]int16, len(raw)/2)
	for i := range samples {
		samples[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	if len(samples) < 50*160 {
		t.Fatalf("track has %d samples, want at least %d", len(samples), 50*160)
	}
	// The stream was anchored at its first packet's arrival; find it.
	first := 0
	for first < len(samples) && samples[first] == 0 {
		first++
	}
	first-- // the tone starts at phase 0, so its first sample is 0
	gap := samples[first+20*160+10 : first+25*160-10]
	for _, v := range gap {
		if v != 0 {
			t.Fatalf("lost packets should be silence, found %d", v)
		}
	}
	if p := Power(samples[first+160:first+20*160], 1000, Rate); p < 1e6 {
		t.Errorf("1 kHz power before the gap = %.0f", p)
	}
	if p := Power(samples[first+25*160:first+50*160], 1000, Rate); p < 1e6 {
		t.Errorf("1 kHz power after the gap = %.0f", p)
	}
}
