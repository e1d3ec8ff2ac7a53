# A compliant PHI database next to the audit log sink: applies cleanly, and a
# second plan is empty. Destroy is refused while deletion_protection is on.
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

variable "subnet_group" {
  description = "DB subnet group of private subnets in two Availability Zones of eu-central-1 (no route to an internet gateway)."
  type        = string
}

variable "security_group" {
  description = "Security group for the database that admits no ingress from the internet."
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

resource "phi_database" "ehr" {
  identifier             = "acme-ehr"
  engine                 = "postgres"
  engine_version         = "16.4"
  instance_class         = "db.t3.medium"
  allocated_storage_gb   = 50
  kms_key_arn            = var.audit_key_arn
  audit_log_sink         = phi_audit_log_sink.main.id
  backup_retention_days  = 14
  db_subnet_group_name   = var.subnet_group
  vpc_security_group_ids = [var.security_group]

  tags = {
    data_classification = "phi"
    owner               = "ehr-team"
  }
}

output "enforced" {
  value = phi_database.ehr.enforced
}

output "master_user_secret_arn" {
  value = phi_database.ehr.master_user_secret_arn
}
