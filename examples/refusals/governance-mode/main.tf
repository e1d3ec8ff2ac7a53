# Refused: PHI-AUD-001. GOVERNANCE-mode locks can be bypassed.
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
  name             = "acme-audit-governance"
  kms_key_arn      = var.audit_key_arn
  retention_days   = 2192
  object_lock_mode = "GOVERNANCE"
}
