package integration

import (
	"context"
	"errors"
	"fmt"
	"time"

	"callrec/internal/account"
	"callrec/internal/clock"
	"callrec/internal/store"
	"callrec/internal/teams"
)

// Job kinds, as View.JobKind shows them.
const (
	JobConnect    = "connect"
	JobDisconnect = "disconnect"
)

// Job kinds and states.
const (
	jobConnect    = JobConnect
	jobDisconnect = JobDisconnect

	jobQueued  = "queued"
	jobRunning = "running"
	jobFailed  = "failed"
	jobDone    = "done"

	stepPending = "pending"
	stepRunning = "running"
	stepOK      = "ok"
	stepFailed  = "failed"
	stepSkipped = "skipped"

	leaseFor = 2 * time.Minute
)

// step is one unit of a job. run is get-then-create (or get-then-delete),
// so running it again after a crash or a Retry is safe.
type step struct {
	key, title string
	run        func(r *runner, ctx context.Context) (string, error)
}

// runner carries one job run: the claimed integration and its clients.
type runner struct {
	s     *Service
	i     *store.Integration
	cfg   Config
	res   Resources
	opts  DisconnectOptions
	graph *teams.Graph
	admin *teams.Admin
	loc   *time.Location // the tenant's time zone, for the times a step shows
}

// permanentError marks a failure that retrying will not fix.
type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

func permanent(format string, args ...any) error {
	return &permanentError{fmt.Sprintf(format, args...)}
}

// queueJob resets the steps of a job and marks it runnable.
func (s *Service) queueJob(ctx context.Context, q store.Q, i *store.Integration, kind string, steps []step) error {
	now := s.stamp()
	list := make([]store.IntegrationStep, len(steps))
	for n, st := range steps {
		list[n] = store.IntegrationStep{Position: n + 1, Step: st.key, Title: st.title, Status: stepPending, UpdatedAt: now}
	}
	if err := q.ReplaceIntegrationSteps(ctx, i.TenantID, i.ID, kind, list); err != nil {
		return err
	}
	i.JobKind, i.JobState, i.LeaseOwner, i.LeaseUntil, i.NotBefore = kind, jobQueued, "", nil, nil
	return nil
}

// Work runs queued jobs until ctx ends, polling every interval. Jobs whose
// worker died are taken over once their lease expires; so is a job that
// panicked (recovered, logged and counted), after its lease.
func (s *Service) Work(ctx context.Context, interval time.Duration) {
	for {
		for {
			var ran bool
			var err error
			if s.guard.Handle("worker integration job", func() { ran, err = s.RunOnce(ctx) }) {
				break
			}
			if err != nil && ctx.Err() == nil {
				s.log.Error("integration: job runner", "err", err)
			}
			if !ran || ctx.Err() != nil {
				break
			}
		}
		if clock.Sleep(ctx, interval) != nil {
			return
		}
	}
}

// RunOnce claims and runs one job; ran is false when none was runnable.
func (s *Service) RunOnce(ctx context.Context) (ran bool, err error) {
	now := s.stamp()
	i, ok, err := s.db.Q().ClaimIntegrationJob(ctx, s.owner, now, now.Add(leaseFor))
	if err != nil || !ok {
		return false, err
	}
	return true, s.runJob(ctx, &i)
}

func (s *Service) runJob(ctx context.Context, i *store.Integration) error {
	r := &runner{s: s, i: i, loc: s.tenantLocation(ctx, i.TenantID)}
	if err := decodeJSON(i.Config, &r.cfg); err != nil {
		return err
	}
	if err := decodeJSON(i.Resources, &r.res); err != nil {
		return err
	}
	if err := decodeJSON(i.JobOptions, &r.opts); err != nil {
		return err
	}
	steps := r.connectSteps()
	if i.JobKind == jobDisconnect {
		steps = r.disconnectSteps()
	}
	state, err := s.db.Q().IntegrationSteps(ctx, i.TenantID, i.ID, i.JobKind)
	if err != nil {
		return err
	}
	s.publish(ctx, i.TenantID)
	for n, st := range steps {
		if n < len(state) && (state[n].Status == stepOK || state[n].Status == stepSkipped) {
			continue
		}
		if err := r.runStep(ctx, st); err != nil {
			return r.finish(ctx, jobFailed, err)
		}
	}
	return r.finish(ctx, jobDone, nil)
}

// runStep tries a step until it succeeds, fails for good, or runs out of
// attempts; transient errors back off, honouring Retry-After.
func (r *runner) runStep(ctx context.Context, st step) error {
	s := r.s
	rec := store.IntegrationStep{Step: st.key, Title: st.title, Status: stepRunning}
	for attempt := 1; ; attempt++ {
		rec.Attempts = attempt
		if err := r.record(ctx, rec); err != nil {
			return err
		}
		msg, err := st.run(r, ctx)
		if err == nil {
			rec.Status, rec.Message = stepOK, msg
			if msg == skippedMessage {
				rec.Status, rec.Message = stepSkipped, "Not selected"
			}
			return r.record(ctx, rec)
		}
		var perm *permanentError
		retry := !errors.As(err, &perm) && transient(err) && attempt < s.attempts
		if !retry {
			rec.Status, rec.Message = stepFailed, failureMessage(st.key, err)
			if rerr := r.record(ctx, rec); rerr != nil {
				return rerr
			}
			return err
		}
		wait := backoff(attempt, teams.RetryAfter(err))
		rec.Message = fmt.Sprintf("%s (Microsoft answered %s); trying again at %s (attempt %d of %d)", r.waitingFor(st.key, err),
			shortError(err), s.stamp().Add(wait).In(r.loc).Format("15:04:05 MST"), attempt+1, s.attempts)
		if err := r.record(ctx, rec); err != nil {
			return err
		}
		if err := s.sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// skippedMessage is what a step returns when the admin did not choose it.
const skippedMessage = "\x00skipped"

// backoff doubles from 2 s up to 30 s, or waits what Microsoft asked.
func backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	d := 2 * time.Second << min(attempt-1, 4)
	return min(d, 30*time.Second)
}

// transient reports an error worth retrying: Microsoft's own transient
// answers, and read-backs that lag behind a change callrec made. An
// unverified path's 404 is neither.
func transient(err error) bool {
	var lag *lagError
	return errors.As(err, &lag) || teams.IsTransient(err)
}

// shortError names an answer the way people read it ("404 Not Found").
func shortError(err error) string {
	var lag *lagError
	if errors.As(err, &lag) {
		err = lag.err
	}
	var ae *teams.APIError
	if errors.As(err, &ae) {
		return ae.StatusText()
	}
	return err.Error()
}

// failureMessage gives the error with the guide's advice for the step.
func failureMessage(key string, err error) string {
	msg := err.Error()
	var ae *teams.APIError
	var lag *lagError
	if errors.As(err, &lag) {
		msg = "not replicated yet: " + shortError(err)
		if errors.As(lag.err, &ae) {
			msg += ": " + ae.Message
		}
	} else if errors.As(err, &ae) {
		msg = ae.Message
	}
	switch {
	case teams.IsUnverified(err):
		return msg
	case key == "policy" && transient(err):
		return msg + " — This is usually a race condition in Microsoft while the new application instance replicates. Wait at least 30 seconds and press Retry."
	case transient(err):
		return msg + " — Microsoft is busy or still replicating the change. Wait a minute and press Retry."
	}
	return msg
}

// record saves a step's state, renews the lease and tells watchers.
func (r *runner) record(ctx context.Context, rec store.IntegrationStep) error {
	s, i := r.s, r.i
	rec.UpdatedAt = s.stamp()
	if err := s.db.Q().UpdateIntegrationStep(ctx, i.TenantID, i.ID, i.JobKind, rec); err != nil {
		return err
	}
	if err := s.db.Q().RenewIntegrationLease(ctx, i.TenantID, i.ID, s.owner, s.stamp().Add(leaseFor)); err != nil {
		return fmt.Errorf("integration: lost the job lease: %w", err)
	}
	s.publish(ctx, i.TenantID)
	return nil
}

// saveResources persists what a step made at once, so a crash right after
// creating an object does not create it twice.
func (r *runner) saveResources(ctx context.Context) error {
	r.i.Resources = encodeJSON(r.res)
	return r.s.db.Q().UpdateIntegrationResources(ctx, r.i.TenantID, r.i.ID, r.i.Resources, r.i.OrgDomain, r.s.stamp())
}

// finish ends the job and sets the integration's status.
func (r *runner) finish(ctx context.Context, state string, cause error) error {
	s := r.s
	if ctx.Err() != nil {
		return ctx.Err() // shutting down: the lease expires and another run resumes
	}
	err := s.db.InTx(ctx, func(q store.Q) error {
		i, err := q.GetIntegration(ctx, r.i.TenantID, KindTeams)
		if err != nil {
			return err
		}
		i.JobState, i.LeaseOwner, i.LeaseUntil = state, "", nil
		// The sign-in's notice ("Removing the Teams resources now.") is
		// stale once the job it announced has ended.
		r.res.Notice, r.res.NoticeOK = "", false
		i.Resources = encodeJSON(r.res)
		i.Status = finalStatus(i.JobKind, state)
		if i.Status == StatusDisconnected {
			i.TokensEnc, i.AdminConsent = "", false
		}
		if err := s.save(ctx, q, &i); err != nil {
			return err
		}
		detail := map[string]string{"job": i.JobKind, "state": state}
		if cause != nil {
			detail["error"] = cause.Error()
		}
		*r.i = i
		return s.audit(ctx, q, account.System, i, "job."+state, detail)
	})
	s.publish(ctx, r.i.TenantID)
	return err
}

func finalStatus(kind, state string) string {
	switch {
	case kind == jobConnect && state == jobDone:
		return StatusConnected
	case kind == jobConnect:
		return StatusFailed
	case state == jobDone:
		return StatusDisconnected
	}
	return StatusDisconnectErr
}
