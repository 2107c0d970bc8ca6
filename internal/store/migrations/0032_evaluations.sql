-- Quality evaluations (issue #19, the Agent evaluation license). A form
-- keeps every version it had: an edit of a form already used makes a new
-- version, and an evaluation names the version it was made with, so past
-- scores keep their meaning. A version's sections and questions are kept
-- as one JSON document: they are read and written whole, never queried.
CREATE TABLE evaluation_forms (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    current_version INTEGER NOT NULL,
    archived        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE INDEX evaluation_forms_tenant ON evaluation_forms (tenant_id, name);

CREATE TABLE evaluation_form_versions (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    form_id     TEXT NOT NULL REFERENCES evaluation_forms (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    definition  TEXT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (form_id, version)
);

-- One evaluation of one call; its current revision's answers and score
-- are here (the reports read them), every revision in evaluation_revisions.
-- status: submitted | acknowledged | disputed | upheld.
CREATE TABLE evaluations (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id         TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    evaluator_id    TEXT NOT NULL,
    form_id         TEXT NOT NULL,
    form_version    INTEGER NOT NULL,
    revision        INTEGER NOT NULL,
    answers         TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    critical_failed BOOLEAN NOT NULL DEFAULT FALSE,
    comment         TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL,
    agent_comment   TEXT NOT NULL DEFAULT '',
    reply           TEXT NOT NULL DEFAULT '',
    call_started_at TIMESTAMP NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    FOREIGN KEY (form_id, form_version) REFERENCES evaluation_form_versions (form_id, version)
);
CREATE INDEX evaluations_tenant_created ON evaluations (tenant_id, created_at);
CREATE INDEX evaluations_tenant_agent ON evaluations (tenant_id, agent_id);
CREATE INDEX evaluations_tenant_call ON evaluations (tenant_id, call_id);

CREATE TABLE evaluation_revisions (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    evaluation_id   TEXT NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
    revision        INTEGER NOT NULL,
    evaluator_id    TEXT NOT NULL,
    answers         TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    critical_failed BOOLEAN NOT NULL DEFAULT FALSE,
    comment         TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (evaluation_id, revision)
);
