# The smallest compliant call of the module.
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

module "audit" {
  source = "../.."

  name        = "acme-audit"
  kms_key_arn = var.audit_key_arn
  owner       = "security-team"
}

output "sink_id" {
  value = module.audit.id
}
