# An example organisation policy for phi-guard. Point the provider and the
# linter at it with PHI_POLICY_FILE=/path/to/phi-policy.hcl.

# Where PHI may live. Profiles: eu-strict, eu-adequacy, us-hipaa.
regions {
  profiles = ["eu-strict"]
  extra    = ["eu-west-2"]
}

# Audit retention: may only be tightened (floor >= 2192 days).
audit {
  retention_min_days = 2192
  retention_max_days = 3653
}

kms {
  rotation_max_days = 365
  allowed_accounts  = ["111122223333"] # a central key account
}

# phi_database: may only narrow the baseline (postgres 14-17, mysql 8.4; backups >= 7 days).
database {
  engine_versions           = ["postgres 16.*", "postgres 17.*", "mysql 8.4.*"]
  backup_retention_min_days = 14
  require_multi_az          = true
}

required_tags    = ["data_classification", "owner"]
approved_modules = ["git::https://git.example.com/platform/phi-modules.git//modules/*"]
unsuppressible   = ["PHI-KMS-002", "PHI-REG-001"]

# Loosening a control takes an owned, expiring exception.
exception "PHI-LOG-001" {
  scope   = "phi_audit_log_sink.acme-dev-*"
  owner   = "security@acme.example"
  reason  = "Developer sandboxes keep audit logs for 1 year; risk accepted in SEC-123."
  expires = "2027-03-31"
}
