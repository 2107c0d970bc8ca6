package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"callrec/internal/blob"
)

// row is what the cluster wrote about one call.
type row struct {
	node     string
	state    string
	duration time.Duration
	blobKey  string
	stored   bool // the blob store holds blobKey
}

// rows reads the tenant's calls by SIP Call-ID and checks each stored one
// in the blob store (once found, it is not asked again).
func rows(ctx context.Context, dbURL, tenant string, store blob.Store, known map[string]row) (map[string]row, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	q, err := conn.Query(ctx, `SELECT sip_call_id, recorder_node, state, duration_ms, blob_key FROM calls WHERE tenant_id = $1`, tenant)
	if err != nil {
		return nil, err
	}
	out := map[string]row{}
	for q.Next() {
		var id string
		var r row
		var ms int64
		if err := q.Scan(&id, &r.node, &r.state, &ms, &r.blobKey); err != nil {
			return nil, err
		}
		r.duration = time.Duration(ms) * time.Millisecond
		out[id] = r
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	for id, r := range out {
		if r.blobKey == "" {
			continue
		}
		if k, ok := known[id]; ok && k.stored && k.blobKey == r.blobKey {
			r.stored = true
		} else if o, err := store.Open(ctx, r.blobKey); err == nil {
			r.stored = o.Size() > 0
			o.Close()
		}
		out[id] = r
	}
	return out, nil
}

// settle waits until every answered call has ended (not active) and is
// stored, or the deadline passes; it returns the last rows read.
func settle(ctx context.Context, dbURL, tenant string, store blob.Store, calls []placed, deadline time.Time) (map[string]row, error) {
	var last map[string]row
	said := time.Now()
	for {
		r, err := rows(ctx, dbURL, tenant, store, last)
		if err == nil {
			last = r
			n := pending(calls, r)
			if n == 0 {
				return r, nil
			}
			if time.Since(said) > 15*time.Second {
				fmt.Fprintf(os.Stderr, "cluster: %d recordings not stored yet\n", n)
				said = time.Now()
			}
		} else if time.Since(said) > 15*time.Second {
			fmt.Fprintf(os.Stderr, "cluster: reading the calls: %v\n", err)
			said = time.Now()
		}
		if time.Now().After(deadline) {
			if last == nil {
				return nil, err
			}
			return last, nil
		}
		time.Sleep(time.Second)
	}
}

// pending counts answered calls not yet ended and stored.
func pending(calls []placed, rows map[string]row) int {
	n := 0
	for _, c := range calls {
		if c.answered.IsZero() {
			continue
		}
		if r, ok := rows[c.callID]; !ok || r.state == "active" || !r.stored {
			n++
		}
	}
	return n
}

// webNodes counts, per recorder node, the calls the portal's API on a web
// node lists for the tenant (one page of up to 500, newest first).
func webNodes(ctx context.Context, webURL, token, tenant string) (map[string]int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, webURL+"/api/v1/calls?limit=500", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Tenant-ID", tenant)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/api/v1/calls: %s", webURL, res.Status)
	}
	var page struct {
		Items []struct {
			RecorderNode string `json:"recorder_node"`
		} `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, it := range page.Items {
		out[it.RecorderNode]++
	}
	return out, nil
}

// jobsHeld lists the SIP Call-IDs of the calls whose encode job the node
// is running (its lease owner names it) — what a worker killed now drops.
func jobsHeld(ctx context.Context, dbURL, node string) ([]string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	q, err := conn.Query(ctx, `SELECT c.sip_call_id FROM encode_jobs j JOIN calls c ON c.tenant_id = j.tenant_id AND c.id = j.call_id
		WHERE j.state = 'running' AND j.lease_owner LIKE $1 || '/%'`, node)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(q, pgx.RowTo[string])
}

// waitJobs waits until the node runs at least one encode job.
func waitJobs(ctx context.Context, dbURL, node string, limit time.Duration) ([]string, error) {
	deadline := time.Now().Add(limit)
	for {
		ids, err := jobsHeld(ctx, dbURL, node)
		if err == nil && len(ids) > 0 {
			return ids, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s ran no encode job within %v (err %v)", node, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// finishedBy says, per call, what became of its encode job: the node
// holding its last lease and the job's state ("worker2 done"), or nothing
// when the job row is gone.
func finishedBy(ctx context.Context, dbURL string, sipCallIDs []string) (map[string]string, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	q, err := conn.Query(ctx, `SELECT c.sip_call_id, j.lease_owner, j.state FROM encode_jobs j JOIN calls c ON c.tenant_id = j.tenant_id AND c.id = j.call_id
		WHERE c.sip_call_id = ANY($1)`, sipCallIDs)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for q.Next() {
		var id, owner, state string
		if err := q.Scan(&id, &owner, &state); err != nil {
			return nil, err
		}
		node, _, _ := strings.Cut(owner, "/")
		out[id] = or(node, "nobody") + " " + state
	}
	return out, q.Err()
}
