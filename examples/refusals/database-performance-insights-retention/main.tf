# Refused: PHI-RDS-016 (with the phi-policy.hcl beside it). Performance Insights
# keeps sampled SQL text, which can hold PHI; this organisation's policy keeps it
# at most one month, so two years (731 days) is refused.
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

variable "subnet_group" {
  description = "DB subnet group of private subnets in two Availability Zones of eu-central-1 (no route to an internet gateway)."
  type        = string
}

variable "security_group" {
  description = "Security group for the database that admits no ingress from the internet."
  type        = string
}

resource "phi_database" "ehr" {
  identifier                          = "acme-ehr-long-insights"
  engine                              = "postgres"
  engine_version                      = "16.4"
  instance_class                      = "db.t3.medium"
  allocated_storage_gb                = 50
  db_subnet_group_name                = var.subnet_group
  vpc_security_group_ids              = [var.security_group]
  kms_key_arn                         = var.audit_key_arn
  performance_insights                = true
  performance_insights_retention_days = 731
}
