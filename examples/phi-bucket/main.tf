# A compliant PHI bucket and the audit sink that keeps its audit records:
# applies cleanly, and a second plan is empty. Encryption with the
# customer-managed key, SSE-C blocking, versioning, public access blocks,
# ACLs off, the TLS-only policy and the lifecycle rule are always on.
terraform {
  required_version = ">= 1.6"
  required_providers {
    phi = {
      source  = "phi-guard/phi"
      version = "0.1.0"
    }
  }
}

variable "audit_key_arn" {
  description = "Full ARN of a customer-managed KMS key with rotation on, in eu-central-1."
  type        = string
}

provider "phi" {
  region = "eu-central-1"
}

resource "phi_audit_log_sink" "main" {
  name           = "acme-audit"
  kms_key_arn    = var.audit_key_arn
  retention_days = 2192
}

resource "phi_bucket" "records" {
  name           = "acme-records"
  kms_key_arn    = var.audit_key_arn
  audit_log_sink = phi_audit_log_sink.main.id

  noncurrent_version_retention_days = 365

  tags = {
    data_classification = "phi"
    owner               = "records-team"
  }
}

output "enforced" {
  value = phi_bucket.records.enforced
}
