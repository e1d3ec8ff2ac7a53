# Refused: PHI-LOG-001. Audit records must be kept at least 6 years (2192 days).
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
  type = string
}

provider "phi" {
  region = "eu-central-1"
}

resource "phi_audit_log_sink" "main" {
  name           = "acme-audit-short"
  kms_key_arn    = var.audit_key_arn
  retention_days = 90
}
