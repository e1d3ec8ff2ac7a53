# The smallest compliant call of the module, next to its audit sink.
terraform {
  required_version = ">= 1.6"
  required_providers {
    phi = {
      source  = "phi-guard/phi"
      version = "0.1.0"
    }
  }
}

variable "kms_key_arn" {
  description = "Full ARN of a customer-managed KMS key with rotation on, in eu-central-1."
  type        = string
}

variable "db_subnet_group_name" {
  description = "DB subnet group of private subnets in two Availability Zones of eu-central-1."
  type        = string
}

variable "vpc_security_group_ids" {
  description = "Security groups for the database; none admits ingress from the internet."
  type        = set(string)
}

provider "phi" {
  region = "eu-central-1"
}

module "audit" {
  source = "../../../audit-log-sink"

  name        = "acme-audit"
  kms_key_arn = var.kms_key_arn
  owner       = "security-team"
}

module "ehr" {
  source = "../.."

  identifier     = "acme-ehr"
  engine_version = "16.4"
  kms_key_arn    = var.kms_key_arn
  audit_log_sink = module.audit.id
  owner          = "ehr-team"

  db_subnet_group_name   = var.db_subnet_group_name
  vpc_security_group_ids = var.vpc_security_group_ids
}

output "address" {
  value = module.ehr.address
}
