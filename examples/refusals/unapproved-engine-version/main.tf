# Refused: PHI-RDS-009. MySQL 8.0 has left RDS standard support; the baseline
# approves mysql 8.4.
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
  identifier           = "acme-ehr-old-mysql"
  engine               = "mysql"
  engine_version       = "8.0.39"
  instance_class       = "db.t3.medium"
  allocated_storage_gb = 50
  kms_key_arn          = var.audit_key_arn
}
