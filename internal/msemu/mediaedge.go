package msemu

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// mediaBlob is what callrec puts in answer's mediaConfig.blob ([ours]): the
// SIPREC target of its recorder and a token tying the session to the answer.
type mediaBlob struct {
	SIPREC      string `json:"siprec"`
	Correlation string `json:"correlation"`
}

// mediaSpec is everything the media edge needs about one bot leg, copied
// while the call book is locked.
type mediaSpec struct {
	blob     string
	domain   string
	session  recordingSession
	audio    [2][]byte // label 1 (observed user), label 2 (other side)
	observed string    // the observed party's role, for the log
	// start is when the call connected (real time): the media covers the
	// call from there, however long the SIPREC setup took.
	start time.Time
}

// mediaSpec describes an established leg's media. Callers hold e.calls.mu.
func (e *Emulator) mediaSpec(l *botLeg) mediaSpec {
	c := l.call
	obs, other := c.party(l.group.party), c.other(l.group.party)
	return mediaSpec{blob: l.Blob, domain: obs.Domain, observed: obs.Role, start: time.Now(),
		audio: [2][]byte{obs.Sample.ULaw, other.Sample.ULaw},
		session: recordingSession{GraphCallID: l.ID, TenantID: l.TenantID, ObservedUserID: obs.UserID,
			Observed: sessionParty{AOR: partyAOR(obs), Name: obs.DisplayName},
			Other:    sessionParty{AOR: partyAOR(other), Name: other.DisplayName}, Start: e.clock.Now()}}
}

// partyAOR names a party in the metadata: sip:<aad object id>@<tenant
// domain> for a Teams user, tel:+1… for a phone.
func partyAOR(p *callParty) string {
	if p.teams() {
		return "sip:" + p.UserID + "@" + p.Domain
	}
	return "tel:" + p.Phone
}

// mediaEdge plays Microsoft's media platform for one established bot leg:
// a SIPREC session to the recorder the blob names, streaming both sides'
// audio until ctx ends. A failed INVITE or a dropped session is the bot's
// media failing: the leg ends 500/1005 and RequiredDuringCall applies.
func (e *Emulator) mediaEdge(ctx context.Context, l *botLeg, s mediaSpec) {
	err := e.siprecSession(ctx, l, s)
	if err == nil || ctx.Err() != nil {
		return
	}
	e.log.Warn("msemu: media edge", "leg", l.ID, "err", err)
	e.callEvent(l.call, l, "siprec_failed", map[string]any{"error": err.Error()})
	e.calls.mu.Lock()
	l.SIPREC = "failed"
	if l.Status == legEstablished {
		e.endLeg(l, legFailed, resultMediaFailure)
	}
	e.calls.mu.Unlock()
	l.call.poke()
}

func (e *Emulator) setSIPREC(l *botLeg, state string, packets [2]int) {
	e.calls.mu.Lock()
	defer e.calls.mu.Unlock()
	l.SIPREC, l.Packets = state, packets
}

func (e *Emulator) siprecSession(ctx context.Context, l *botLeg, s mediaSpec) error {
	var blob mediaBlob
	if err := json.Unmarshal([]byte(s.blob), &blob); err != nil {
		return fmt.Errorf("msemu: answer blob is not {\"siprec\",\"correlation\"} JSON: %w", err)
	}
	target, err := parseSIPTarget(blob.SIPREC)
	if err != nil {
		return err
	}
	s.session.Correlation = blob.Correlation
	e.callEvent(l.call, l, "siprec_invite", map[string]any{"target": target.URI, "transport": target.Transport, "correlation": blob.Correlation})
	e.setSIPREC(l, "inviting", [2]int{})
	ua, err := dialSIP(ctx, target, s.domain)
	if err != nil {
		return err
	}
	defer ua.close()
	socks, err := openRTP(ua.localIP)
	if err != nil {
		return err
	}
	defer socks[0].Close()
	defer socks[1].Close()
	ports := [2]int{socks[0].LocalAddr().(*net.UDPAddr).Port, socks[1].LocalAddr().(*net.UDPAddr).Port}
	ct, body := siprecBody(s.session, ua.localIP, ports)
	res, err := ua.invite(ctx, ct, body)
	var se *sipStatusError
	if errors.As(err, &se) || err == nil {
		e.callEvent(l.call, l, "siprec_answered", map[string]any{"status": res.Status})
	}
	if err != nil {
		return err
	}
	dests, err := answerDestinations(res.Body, target.Host)
	if err != nil {
		_, _ = ua.bye()
		return err
	}
	e.setSIPREC(l, "streaming", [2]int{})
	sent, dropErr := streamRTP(ctx, ua, rtpStreams{socks: socks, dests: dests, audio: s.audio, start: s.start},
		func(n [2]int) { e.setSIPREC(l, "streaming", n) })
	e.callEvent(l.call, l, "media_sent", map[string]any{"packets": []int{sent[0], sent[1]},
		"packets_label_1": sent[0], "packets_label_2": sent[1]})
	if dropErr != nil {
		e.setSIPREC(l, "dropped", sent)
		return dropErr
	}
	status, err := ua.bye()
	d := map[string]any{"status": status}
	if err != nil {
		d["error"] = err.Error()
	}
	e.callEvent(l.call, l, "siprec_bye", d)
	e.setSIPREC(l, "ended", sent)
	return nil
}

// openRTP opens the two sending sockets on the address that reaches the
// recorder.
func openRTP(ip string) ([2]*net.UDPConn, error) {
	var socks [2]*net.UDPConn
	for i := range socks {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(strings.Trim(ip, "[]"))})
		if err != nil {
			if i == 1 {
				socks[0].Close()
			}
			return socks, fmt.Errorf("msemu: RTP socket: %w", err)
		}
		socks[i] = c
	}
	return socks, nil
}

// rtpFrame is 20 ms of PCMU at 8 kHz.
const rtpFrame = 160

// rtpStreams are the two streams of a session and where they go.
type rtpStreams struct {
	socks [2]*net.UDPConn
	dests [2]*net.UDPAddr
	audio [2][]byte
	start time.Time
}

// streamRTP sends both streams in real time, 20 ms per packet, looping each
// side's speech, until ctx ends (nil) or the recorder drops the session.
// Packets due since the call connected go out at once, so the recording
// covers the call from its start even though the INVITE took a moment.
func streamRTP(ctx context.Context, ua *sipUA, st rtpStreams, progress func([2]int)) ([2]int, error) {
	var sent [2]int
	var hdr [2][12]byte
	var pos [2]int
	for i := range hdr {
		_, _ = rand.Read(hdr[i][2:])
		hdr[i][0], hdr[i][1] = 0x80, 0x80 // version 2; marker on the first packet, PT 0 (PCMU)
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	pkt := make([]byte, 12+rtpFrame)
	sendDue := func(due int) {
		for i := range 2 {
			if st.dests[i] == nil || len(st.audio[i]) == 0 {
				continue
			}
			for sent[i] < due {
				copy(pkt, hdr[i][:])
				for j := range rtpFrame {
					pkt[12+j] = st.audio[i][pos[i]%len(st.audio[i])]
					pos[i]++
				}
				if _, err := st.socks[i].WriteToUDP(pkt, st.dests[i]); err != nil {
					break
				}
				sent[i]++
				hdr[i][1] = 0x00
				binary.BigEndian.PutUint16(hdr[i][2:], binary.BigEndian.Uint16(hdr[i][2:])+1)
				binary.BigEndian.PutUint32(hdr[i][4:], binary.BigEndian.Uint32(hdr[i][4:])+rtpFrame)
			}
		}
	}
	for {
		select {
		case <-ctx.Done():
			// The call ended: send what is due up to now, and give the
			// last packets a moment on the wire before the BYE that follows,
			// as an SBC does, so the recording covers the whole call.
			sendDue(int(time.Since(st.start) / (20 * time.Millisecond)))
			time.Sleep(60 * time.Millisecond)
			return sent, nil
		case <-ua.dropped:
			return sent, errSessionDropped
		case m := <-ua.msgs:
			if m.cseqMethod() == "INVITE" && m.Status >= 200 && m.Status < 300 {
				_ = ua.ack()
			}
		case <-tick.C:
			due := int(time.Since(st.start)/(20*time.Millisecond)) + 1
			sendDue(due)
			if due%50 == 0 {
				progress(sent)
			}
		}
	}
}
