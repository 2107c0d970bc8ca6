-- The rule a tenant's users with Record = "default" get: always, on_demand
-- or never (policy.Decide). Existing tenants keep recording.

ALTER TABLE tenants ADD COLUMN default_record TEXT NOT NULL DEFAULT 'always';
