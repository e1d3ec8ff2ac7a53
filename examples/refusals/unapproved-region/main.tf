# Refused: PHI-REG-001. ap-southeast-1 is not in the approved regions.
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
  region = "ap-southeast-1"
}

resource "phi_audit_log_sink" "main" {
  name           = "acme-audit-sg"
  kms_key_arn    = var.audit_key_arn
  retention_days = 2192
}
