# Refused: PHI-RDS-014. The configuration is compliant, but the security group
# it names has an ingress rule admitting PostgreSQL from 0.0.0.0/0. The
# provider reads the group's rules through the API at every plan and refuses
# on the vpc_security_group_ids line, naming the rule. (The acceptance suite
# passes a security group with such a rule.)
terraform {
  required_version = ">= 1.12"
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
  description = "DB subnet group of private subnets in two Availability Zones of eu-central-1."
  type        = string
}

variable "security_group" {
  description = "A security group with an ingress rule from 0.0.0.0/0."
  type        = string
}

resource "phi_database" "ehr" {
  identifier             = "acme-ehr-open-sg"
  engine                 = "postgres"
  engine_version         = "16.4"
  instance_class         = "db.t3.medium"
  allocated_storage_gb   = 50
  kms_key_arn            = var.audit_key_arn
  db_subnet_group_name   = var.subnet_group
  vpc_security_group_ids = [var.security_group]
}
