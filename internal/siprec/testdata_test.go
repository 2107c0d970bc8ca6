package siprec

// Sample bodies shaped like what SBCs send, shared by the parser tests and
// the fuzz seeds.

const sampleSDP = "v=0\r\n" +
	"o=SBC 1 1 IN IP4 127.0.0.1\r\n" +
	"s=SIPREC\r\n" +
	"c=IN IP4 127.0.0.1\r\n" +
	"t=0 0\r\n" +
	"m=audio 30000 RTP/AVP 0 8 101\r\n" +
	"a=rtpmap:101 telephone-event/8000\r\n" +
	"a=label:1\r\n" +
	"a=sendonly\r\n" +
	"m=audio 30002 RTP/AVP 96 0\r\n" +
	"a=rtpmap:96 opus/48000/2\r\n" +
	"a=label:2\r\n" +
	"a=sendonly\r\n"

const sampleMetadata = `<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode>
  <session session_id="sess1">
    <sipSessionID>abc123;remote=def456</sipSessionID>
  </session>
  <participant participant_id="p1">
    <nameID aor="sip:+14155550100@sbc.example.com">
      <name xml:lang="en">Alice</name>
    </nameID>
  </participant>
  <participant participant_id="p2">
    <nameID aor="tel:+1-415-555-0199"><name>Bob</name></nameID>
  </participant>
  <stream stream_id="s1" session_id="sess1"><label>1</label></stream>
  <stream stream_id="s2" session_id="sess1"><label>2</label></stream>
  <participantstreamassoc participant_id="p1"><send>s1</send><recv>s2</recv></participantstreamassoc>
  <participantstreamassoc participant_id="p2"><send>s2</send><recv>s1</recv></participantstreamassoc>
</recording>`

// sampleMetadataVendor uses a prefix, the draft's participant layout and a
// vendor extension.
const sampleMetadataVendor = `<rs:recording xmlns:rs="urn:ietf:params:xml:ns:recording" xmlns:v="urn:vendor:x">
  <rs:session id="S"><rs:extensiondata><v:callId>graph-call-42</v:callId><v:direction>outgoing</v:direction></rs:extensiondata></rs:session>
  <rs:participant id="A"><rs:aor>sip:2001@pbx.example</rs:aor><rs:name>Agent</rs:name><rs:send>X</rs:send></rs:participant>
  <rs:participant id="B"><rs:aor>sip:+4930123456@carrier</rs:aor><rs:send>Y</rs:send></rs:participant>
  <rs:stream id="X"><rs:label>10</rs:label><v:extra><v:deep/></v:extra></rs:stream>
  <rs:stream id="Y"><rs:label>11</rs:label></rs:stream>
</rs:recording>`

func multipartBody(boundary, sdp, md string) []byte {
	return []byte("--" + boundary + "\r\n" +
		"Content-Type: application/sdp\r\n\r\n" + sdp + "\r\n" +
		"--" + boundary + "\r\n" +
		"Content-Type: application/rs-metadata+xml\r\n" +
		"Content-Disposition: recording-session\r\n\r\n" + md + "\r\n" +
		"--" + boundary + "--\r\n")
}
