package msemu

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// TeamsMetadataNS is the namespace of the media edge's extension elements
// in the recording metadata ([ours]): graphCallId, tenantId, correlation
// and observedUserId.
const TeamsMetadataNS = "urn:callrec:teams"

const siprecBoundary = "msemu-siprec-boundary"

// sessionParty is a participant of the recording metadata.
type sessionParty struct {
	AOR  string // sip:<aadObjectId>@<tenant domain>, or tel:+1555…
	Name string
}

// recordingSession is what the media edge tells the recorder about a call.
type recordingSession struct {
	GraphCallID    string
	TenantID       string
	Correlation    string
	ObservedUserID string
	Observed       sessionParty // label 1
	Other          sessionParty // label 2
	Start          time.Time
}

// siprecBody is the INVITE's multipart/mixed body: the SDP offer and the
// RFC 7865 metadata.
func siprecBody(s recordingSession, ip string, ports [2]int) (string, []byte) {
	var b bytes.Buffer
	b.WriteString("--" + siprecBoundary + "\r\nContent-Type: application/sdp\r\n\r\n")
	b.WriteString(sdpOffer(ip, ports))
	b.WriteString("\r\n--" + siprecBoundary + "\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n")
	b.WriteString(metadataXML(s))
	b.WriteString("\r\n--" + siprecBoundary + "--\r\n")
	return "multipart/mixed;boundary=" + siprecBoundary, b.Bytes()
}

// sdpOffer offers two sendonly PCMU streams, label 1 (the observed user)
// and label 2 (the other side).
func sdpOffer(ip string, ports [2]int) string {
	var b strings.Builder
	sess := strconv.FormatInt(time.Now().UnixNano()/1000, 10)
	fmt.Fprintf(&b, "v=0\r\no=msemu %s 1 IN IP4 %s\r\ns=Teams compliance recording\r\nc=IN IP4 %s\r\nt=0 0\r\n", sess, ip, ip)
	for i, p := range ports {
		fmt.Fprintf(&b, "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=label:%d\r\na=sendonly\r\n", p, i+1)
	}
	return b.String()
}

// metadataID is an RFC 7865 identifier: a base64-encoded UUID-sized value.
func metadataID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func metadataXML(s recordingSession) string {
	sid, grp := metadataID(), metadataID()
	pid := [2]string{metadataID(), metadataID()}
	stid := [2]string{metadataID(), metadataID()}
	at := s.Start.UTC().Format(time.RFC3339)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, `<recording xmlns="urn:ietf:params:xml:ns:recording:1" xmlns:teams="%s">`+"\n", TeamsMetadataNS)
	b.WriteString("  <datamode>complete</datamode>\n")
	fmt.Fprintf(&b, "  <group group_id=\"%s\"><associate-time>%s</associate-time></group>\n", grp, at)
	fmt.Fprintf(&b, "  <session session_id=\"%s\">\n    <group-ref>%s</group-ref>\n    <start-time>%s</start-time>\n", sid, grp, at)
	fmt.Fprintf(&b, "    <teams:graphCallId>%s</teams:graphCallId>\n    <teams:tenantId>%s</teams:tenantId>\n", xmlText(s.GraphCallID), xmlText(s.TenantID))
	fmt.Fprintf(&b, "    <teams:correlation>%s</teams:correlation>\n    <teams:observedUserId>%s</teams:observedUserId>\n  </session>\n", xmlText(s.Correlation), xmlText(s.ObservedUserID))
	for i, p := range []sessionParty{s.Observed, s.Other} {
		fmt.Fprintf(&b, "  <participant participant_id=\"%s\">\n    <nameID aor=\"%s\"><name xml:lang=\"en\">%s</name></nameID>\n  </participant>\n",
			pid[i], xmlText(p.AOR), xmlText(p.Name))
	}
	for i := range 2 {
		fmt.Fprintf(&b, "  <stream stream_id=\"%s\" session_id=\"%s\"><label>%d</label></stream>\n", stid[i], sid, i+1)
	}
	for i := range 2 {
		fmt.Fprintf(&b, "  <sessionparticipantassoc participant_id=\"%s\" session_id=\"%s\"><associate-time>%s</associate-time></sessionparticipantassoc>\n", pid[i], sid, at)
	}
	for i := range 2 {
		fmt.Fprintf(&b, "  <participantstreamassoc participant_id=\"%s\"><send>%s</send><recv>%s</recv></participantstreamassoc>\n", pid[i], stid[i], stid[1-i])
	}
	b.WriteString("</recording>")
	return b.String()
}

// answerDestinations reads where the recorder wants each offered stream:
// the port of the first two m= lines and their (or the session's) c= address.
func answerDestinations(sdp []byte, fallbackHost string) ([2]*net.UDPAddr, error) {
	var out [2]*net.UDPAddr
	sessionAddr, media := "", -1
	var ports [2]int
	var addrs [2]string
	sc := bufio.NewScanner(bytes.NewReader(sdp))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "m="):
			media++
			if f := strings.Fields(line[2:]); media < 2 && len(f) >= 2 {
				ports[media], _ = strconv.Atoi(f[1])
			}
		case strings.HasPrefix(line, "c="):
			f := strings.Fields(line[2:])
			if len(f) < 3 {
				continue
			}
			if media < 0 {
				sessionAddr = f[2]
			} else if media < 2 {
				addrs[media] = f[2]
			}
		}
	}
	found := false
	for i := range 2 {
		host := addrs[i]
		if host == "" {
			host = sessionAddr
		}
		if host == "" || host == "0.0.0.0" {
			host = fallbackHost
		}
		if ports[i] <= 0 {
			continue
		}
		a, err := net.ResolveUDPAddr("udp", net.JoinHostPort(host, strconv.Itoa(ports[i])))
		if err != nil {
			return out, fmt.Errorf("msemu: SIPREC answer address: %w", err)
		}
		out[i], found = a, true
	}
	if !found {
		return out, fmt.Errorf("msemu: the recorder's SDP answer accepts no stream")
	}
	return out, nil
}
