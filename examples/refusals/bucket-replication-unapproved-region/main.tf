# Refused: PHI-S3-010. Replicating PHI to ap-southeast-1 copies it to a
# region the policy does not approve (the baseline approves the EU member
# state regions and the four US regions).
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

  replication = {
    region             = "ap-southeast-1"
    destination_bucket = "acme-records-sg"
    kms_key_arn        = "arn:aws:kms:ap-southeast-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    role_arn           = "arn:aws:iam::123456789012:role/replication"
  }
}
