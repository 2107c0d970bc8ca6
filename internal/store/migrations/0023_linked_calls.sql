-- A Teams user's PSTN call can reach the recorder twice: forked over
-- SIPREC by the provider's SBC (Direct Routing / Operator Connect) and by
-- the Teams media edge for the compliance-recording bot. The second to
-- arrive keeps its row without audio and names the first here, so one
-- recording is kept and the other is linked to it.

ALTER TABLE calls ADD COLUMN linked_call_id TEXT NOT NULL DEFAULT '';
