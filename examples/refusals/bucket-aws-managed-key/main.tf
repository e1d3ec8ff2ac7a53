# Refused: PHI-KMS-001 and PHI-KMS-002. A PHI bucket encrypted with the
# AWS-managed aws/s3 key is readable by anyone who may read the bucket; only
# a customer-managed key keeps decryption under the organisation's control.
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
  kms_key_arn    = "alias/aws/s3"
  audit_log_sink = phi_audit_log_sink.main.id
}
