package siprec

import "testing"

func FuzzSplitBody(f *testing.F) {
	f.Add("multipart/mixed;boundary=XyZ", multipartBody("XyZ", sampleSDP, sampleMetadata))
	f.Add("application/sdp", []byte(sampleSDP))
	f.Add("multipart/mixed;boundary=B", []byte("--B\nContent-Type: application/sdp\n\nv=0\n--B--"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		b, err := SplitBody(ct, body)
		if err == nil && b.SDP == nil {
			t.Fatal("no error but no SDP")
		}
	})
}

func FuzzParseSDP(f *testing.F) {
	f.Add([]byte(sampleSDP))
	f.Add([]byte("v=0\no=x\nm=audio 1 RTP/AVP 96\na=rtpmap:96 L16/16000\n"))
	f.Add([]byte("v=0\no=x\nm=audio 1 RTP/SAVP 0\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^20|1:4 WSH=64\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSDP(b)
		if err != nil {
			return
		}
		for _, m := range s.Media {
			if m.Port < 0 || m.Port > 65535 {
				t.Fatalf("port %d", m.Port)
			}
			m.Choose()
			if c, ok := m.ChooseCrypto(); ok {
				if s, _ := SuiteNamed(c.Suite); len(c.Key) != s.KeyLen+s.SaltLen {
					t.Fatalf("usable crypto with a %d-byte key for %s", len(c.Key), c.Suite)
				}
			}
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(sampleMetadata))
	f.Add([]byte(sampleMetadataVendor))
	f.Add([]byte(`<recording><participant id="a"><send>x</send></participant></recording>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := ParseMetadata(b)
		if err != nil {
			return
		}
		if len(md.Participants) > maxParticipants || len(md.Streams) > maxStreams {
			t.Fatalf("bounds exceeded: %d participants, %d streams", len(md.Participants), len(md.Streams))
		}
		for _, s := range md.Streams {
			md.ParticipantFor(s.Label)
		}
	})
}
