# Refused: PHI-TAG-001. The organisation policy beside this file
# (phi-policy.hcl, passed with PHI_POLICY_FILE) requires the tags
# data_classification and owner on every PHI resource; this bucket has only
# owner.
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

  tags = {
    data_classification = "phi-audit"
    owner               = "security-team"
  }
}

resource "phi_bucket" "records" {
  name           = "acme-records"
  kms_key_arn    = var.audit_key_arn
  audit_log_sink = phi_audit_log_sink.main.id

  tags = { owner = "records-team" }
}
