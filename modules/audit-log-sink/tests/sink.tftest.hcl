# Native Terraform tests for the module, run by `terraform test` against the
# real provider and the local AWS endpoint (see acceptance/tests/modules.rs,
# which supplies `kms_key_arn`, a customer-managed key it creates there).

provider "phi" {
  region = "eu-central-1"
}

variables {
  name  = "tftest-audit-sink"
  owner = "security-team"
  # So that the test can clean up after itself; the default is true.
  deletion_protection = false
}

run "compliant_call_applies" {
  command = apply

  assert {
    condition     = output.id == "tftest-audit-sink"
    error_message = "the sink id is its name"
  }

  assert {
    condition     = phi_audit_log_sink.this.retention_days == 2192 && phi_audit_log_sink.this.object_lock_mode == "COMPLIANCE"
    error_message = "the module must default to 6 years in COMPLIANCE mode"
  }

  assert {
    condition     = phi_audit_log_sink.this.tags == tomap({ data_classification = "phi-audit", owner = "security-team", managed_by = "phi-guard" })
    error_message = "the module must set the classification, owner and managed_by tags"
  }

  assert {
    condition     = output.log_group_name == "/phi-guard/audit/tftest-audit-sink"
    error_message = "log group name follows the sink name"
  }

  assert {
    condition     = length(output.enforced) >= 10 && output.enforced["PHI-S3-005"] == "Enabled"
    error_message = "the provider must report every always-on control as enforced"
  }
}

run "short_retention_fails_at_plan" {
  command = plan

  variables {
    retention_days = 90
  }

  expect_failures = [var.retention_days]
}

run "alias_instead_of_key_arn_fails_at_plan" {
  command = plan

  variables {
    kms_key_arn = "alias/aws/s3"
  }

  expect_failures = [var.kms_key_arn]
}

run "tls_below_1_2_fails_at_plan" {
  command = plan

  variables {
    minimum_tls_version = "1.0"
  }

  expect_failures = [var.minimum_tls_version]
}
