# Native Terraform tests for the module, run by `terraform test` against the
# real provider and the local AWS endpoint (see acceptance/tests/modules.rs,
# which supplies `kms_key_arn`, a customer-managed key it creates there, and
# `db_subnet_group_name` / `vpc_security_group_ids`, a private network it
# creates there).

provider "phi" {
  region = "eu-central-1"
}

variables {
  identifier     = "tftest-ehr"
  engine_version = "16.4"
  owner          = "ehr-team"
}

# The database is tied to an audit sink, created here with the sibling module.
run "setup_audit_sink" {
  module {
    source = "../audit-log-sink"
  }

  variables {
    name                = "tftest-ehr-audit"
    owner               = "security-team"
    deletion_protection = false
  }
}

run "compliant_call_applies" {
  variables {
    audit_log_sink = run.setup_audit_sink.id
    # So that the test can clean up after itself; the default is true.
    deletion_protection = false
  }

  assert {
    condition     = output.id == "tftest-ehr" && output.parameter_group_name == "tftest-ehr-phi"
    error_message = "the database and its dedicated TLS parameter group follow the identifier"
  }

  assert {
    condition     = phi_database.this.publicly_accessible == false && phi_database.this.backup_retention_days == 14
    error_message = "the module must make the database private and keep 14 days of backups by default"
  }

  assert {
    condition     = startswith(output.master_user_secret_arn, "arn:aws:secretsmanager:")
    error_message = "the master password must live in an RDS-managed secret"
  }

  assert {
    condition     = phi_database.this.tags == tomap({ data_classification = "phi", owner = "ehr-team", managed_by = "phi-guard" })
    error_message = "the module must set the classification, owner and managed_by tags"
  }
}

run "short_backup_retention_fails_at_plan" {
  command = plan

  variables {
    audit_log_sink        = run.setup_audit_sink.id
    backup_retention_days = 1
  }

  expect_failures = [var.backup_retention_days]
}

run "unsupported_engine_fails_at_plan" {
  command = plan

  variables {
    audit_log_sink = run.setup_audit_sink.id
    engine         = "oracle-ee"
  }

  expect_failures = [var.engine]
}

run "alias_instead_of_key_arn_fails_at_plan" {
  command = plan

  variables {
    audit_log_sink = run.setup_audit_sink.id
    kms_key_arn    = "alias/aws/rds"
  }

  expect_failures = [var.kms_key_arn]
}

run "no_security_group_fails_at_plan" {
  command = plan

  variables {
    audit_log_sink         = run.setup_audit_sink.id
    vpc_security_group_ids = []
  }

  expect_failures = [var.vpc_security_group_ids]
}
