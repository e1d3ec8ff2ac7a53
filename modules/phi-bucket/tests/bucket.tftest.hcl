# Native Terraform tests for the module, run by `terraform test` against the
# real provider and the local AWS endpoint (see acceptance/tests/modules.rs,
# which supplies `kms_key_arn`, a customer-managed key it creates there).

provider "phi" {
  region = "eu-central-1"
}

variables {
  name  = "tftest-records"
  owner = "records-team"
}

# The bucket's object access is recorded by an audit sink, created here with
# the sibling module.
run "setup_audit_sink" {
  module {
    source = "../audit-log-sink"
  }

  variables {
    name                = "tftest-records-audit"
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
    condition     = output.id == "tftest-records" && output.arn == "arn:aws:s3:::tftest-records"
    error_message = "the bucket is named by the module's input"
  }

  assert {
    condition     = phi_bucket.this.encryption_algorithm == "aws:kms" && phi_bucket.this.minimum_tls_version == "1.2"
    error_message = "the module must default to SSE-KMS and a TLS 1.2 floor"
  }

  assert {
    condition     = phi_bucket.this.tags == tomap({ data_classification = "phi", owner = "records-team", managed_by = "phi-guard" })
    error_message = "the module must set the classification, owner and managed_by tags"
  }

  assert {
    condition     = length(output.enforced) > 0 && output.enforced["PHI-S3-005"] == "Enabled"
    error_message = "the provider must report the always-on controls as enforced"
  }
}

run "alias_instead_of_key_arn_fails_at_plan" {
  command = plan

  variables {
    audit_log_sink = run.setup_audit_sink.id
    kms_key_arn    = "alias/aws/s3"
  }

  expect_failures = [var.kms_key_arn]
}

run "sse_s3_fails_at_plan" {
  command = plan

  variables {
    audit_log_sink       = run.setup_audit_sink.id
    encryption_algorithm = "AES256"
  }

  expect_failures = [var.encryption_algorithm]
}

run "short_noncurrent_retention_fails_at_plan" {
  command = plan

  variables {
    audit_log_sink                    = run.setup_audit_sink.id
    noncurrent_version_retention_days = 7
  }

  expect_failures = [var.noncurrent_version_retention_days]
}
