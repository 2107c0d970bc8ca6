-- What the recorder's RTP edge saw of a call, written when the call ends:
-- a JSON object (store.CallMedia) such as
-- {"packets":1500,"lost":0,"rejected_packets":12,"srtp":true}. NULL while
-- the call is active, for calls that ended before this column, and for
-- calls a recorder crash interrupted (the counters lived in its memory).
-- JSON text rather than columns, so that per-stream detail can join it
-- without another migration; the same SQL on both engines.

ALTER TABLE calls ADD COLUMN media TEXT;
