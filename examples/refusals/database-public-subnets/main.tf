# Refused: PHI-RDS-013. The configuration is compliant, but the subnet group it
# names is not private: the route table its subnets use sends 0.0.0.0/0 to an
# internet gateway. The provider reads the subnet group and its route tables
# through the API at every plan and refuses on the db_subnet_group_name line,
# naming the route. (The acceptance suite passes a subnet group whose VPC's
# main route table has such a route.)
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
  description = "A DB subnet group whose subnets route 0.0.0.0/0 to an internet gateway."
  type        = string
}

variable "security_group" {
  description = "Security group for the database that admits no ingress from the internet."
  type        = string
}

resource "phi_database" "ehr" {
  identifier             = "acme-ehr-public-subnets"
  engine                 = "postgres"
  engine_version         = "16.4"
  instance_class         = "db.t3.medium"
  allocated_storage_gb   = 50
  kms_key_arn            = var.audit_key_arn
  db_subnet_group_name   = var.subnet_group
  vpc_security_group_ids = [var.security_group]
}
