package recorder

import (
	"net/netip"

	"github.com/prometheus/client_golang/prometheus"

	"callrec/internal/media"
	"callrec/internal/siprec"
	"callrec/internal/store"
)

// The recording edge: which offered streams the recorder takes, whom each
// takes packets from and with which keys (the README's "Security model of
// the recording edge").

var errNotAcceptable = &siprec.Reject{Code: 488, Reason: "Not Acceptable Here"}

// acceptable reports whether the recorder takes an offered m= line: audio,
// a codec it decodes, plain RTP or SDES-keyed SRTP with a crypto attribute
// it can use. Other lines are answered with port 0.
func acceptable(m siprec.Media) bool {
	if m.Type != "audio" || m.Port == 0 {
		return false
	}
	if _, _, ok := m.Choose(); !ok {
		return false
	}
	srtp, ok := m.Protection()
	if ok && srtp {
		_, ok = m.ChooseCrypto()
	}
	return ok
}

// secure prepares an SRTP line's keys: the SRC's, to decrypt, and the
// recorder's own crypto attribute for the answer (ours is kept when it is
// still of the chosen suite, so a re-INVITE does not change it). Plain RTP
// gets nil for both.
func secure(m siprec.Media, ours *siprec.Crypto) (*media.SRTP, *siprec.Crypto, error) {
	if srtp, _ := m.Protection(); !srtp {
		return nil, nil, nil
	}
	offer, ok := m.ChooseCrypto()
	if !ok {
		return nil, nil, errNotAcceptable
	}
	keys, err := media.NewSRTP(offer)
	if err != nil {
		return nil, nil, errNotAcceptable
	}
	if ours == nil || ours.Suite != offer.Suite {
		reply, err := offer.Reply()
		if err != nil {
			return nil, nil, err
		}
		ours = &reply
	}
	ours.Tag = offer.Tag
	return keys, ours, nil
}

// offeredSource is the address and port an m= line names for its media.
func offeredSource(m siprec.Media) netip.AddrPort {
	if m.Port <= 0 || m.Port > 65535 {
		return netip.AddrPortFrom(m.Addr.Unmap(), 0)
	}
	return netip.AddrPortFrom(m.Addr.Unmap(), uint16(m.Port))
}

// checkReoffer refuses (488) a re-offer of an open stream that would drop
// or add SRTP, or that offers no key the recorder can use: a downgrade to
// plain RTP must not be had by asking.
func (sl *slot) checkReoffer(m siprec.Media) error {
	if sl.stream == nil {
		return nil
	}
	srtp, ok := m.Protection()
	if !ok || srtp != sl.srtp {
		return errNotAcceptable
	}
	if srtp {
		if _, ok := m.ChooseCrypto(); !ok {
			return errNotAcceptable
		}
	}
	return nil
}

// reoffer applies a re-offer (checked by checkReoffer) to an open stream:
// new SRTP keys replace the old ones, and an SRC that names a new usable
// source is latched to it. A re-offer naming no usable source (0.0.0.0, a
// held or removed stream) keeps the latched one, so a re-INVITE never
// opens the stream to anyone.
func (sl *slot) reoffer(m siprec.Media, signal netip.Addr) error {
	if sl.stream == nil {
		return nil
	}
	if sl.srtp {
		if offer, _ := m.ChooseCrypto(); !sl.stream.SRTP().Keyed(offer) {
			keys, ours, err := secure(m, sl.answer.Crypto)
			if err != nil {
				return err
			}
			sl.stream.SetSRTP(keys)
			sl.answer.Crypto = ours
		} else {
			sl.answer.Crypto.Tag = offer.Tag
		}
	}
	if src := offeredSource(m); src != sl.offered {
		if peer := media.PeerFor(m, signal); peer != (media.Peer{}) {
			sl.stream.SetPeer(peer)
			sl.offered = src
		}
	}
	return nil
}

// mediaSummary sums what the session's streams received, for the call row.
func (s *session) mediaSummary() store.CallMedia {
	var cm store.CallMedia
	streams, secure := 0, 0
	for _, sl := range s.streams {
		if sl.stream == nil {
			continue
		}
		st := sl.stream.Stats()
		cm.Packets += st.Packets
		cm.Lost += st.Lost
		cm.RejectedPackets += st.Rejected + st.Unauthenticated
		streams++
		if sl.srtp {
			secure++
		}
	}
	cm.SRTP = streams > 0 && secure == streams
	return cm
}

// noteRejects logs, once per call, that packets were dropped: an intruder,
// or an SRC whose media leaves from another address or port than its SDP
// names (then nothing is recorded, which the log should make plain).
func (r *Recorder) noteRejects(callID string, m store.CallMedia) {
	switch {
	case m.RejectedPackets == 0:
	case m.Packets == 0:
		r.log.Warn("recorder: no RTP came from the source the SDP named, and every packet from elsewhere was dropped: "+
			"the SRC must send from the address and port its SDP names", "call", callID, "rejected_packets", m.RejectedPackets)
	default:
		r.log.Warn("recorder: RTP from other sources, or SRTP that did not authenticate, was dropped",
			"call", callID, "rejected_packets", m.RejectedPackets, "packets", m.Packets)
	}
}

// rejectCounters registers callrec_rtp_rejected_packets_total on reg (nil:
// counted but not exported).
func rejectCounters(reg prometheus.Registerer) media.RejectCounters {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "callrec_rtp_rejected_packets_total",
		Help: "RTP packets the recorder dropped: from another source than the stream's peer (reason=source), " +
			"or SRTP that failed authentication or replayed a packet (reason=srtp)."}, []string{"reason"})
	if reg != nil {
		if err := reg.Register(c); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				c = are.ExistingCollector.(*prometheus.CounterVec)
			}
		}
	}
	return media.RejectCounters{Source: c.WithLabelValues("source"), Auth: c.WithLabelValues("srtp")}
}
