# Refused: PHI-RDS-002. A PHI database must never be publicly accessible.
terraform {
  required_version = ">= 1.6"
  required_providers {
    phi = {
      source  = "phi-guard/phi"
      version = "0.1.0"
    }
  }
}

provider "phi" {
  region = "eu-central-1"
}

variable "audit_key_arn" {
  type        = string
  description = "Customer-managed KMS key for PHI (the demo creates one)."
}

resource "phi_database" "ehr" {
  identifier           = "acme-ehr-public"
  engine               = "postgres"
  engine_version       = "16.4"
  instance_class       = "db.t3.medium"
  allocated_storage_gb = 50
  kms_key_arn          = var.audit_key_arn
  publicly_accessible  = true
}
