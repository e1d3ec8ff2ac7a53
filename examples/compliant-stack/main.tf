# A compliant PHI stack built from the organisation's modules: an audit log
# sink, a PHI bucket whose object access the sink records, and a PostgreSQL
# database whose engine logs go to encrypted log groups, in a private subnet
# group behind its own security group. It applies cleanly, a
# second plan is empty, and phi-lint reports nothing.
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

module "audit" {
  source = "../../modules/audit-log-sink"

  name        = "acme-audit"
  kms_key_arn = var.audit_key_arn
  owner       = "security-team"
}

module "records" {
  source = "../../modules/phi-bucket"

  name           = "acme-records"
  kms_key_arn    = var.records_key_arn
  audit_log_sink = module.audit.id
  owner          = "records-team"
}

module "ehr" {
  source = "../../modules/phi-database"

  identifier            = "acme-ehr"
  engine                = "postgres"
  engine_version        = "16.4"
  instance_class        = "db.t3.medium"
  allocated_storage_gb  = 50
  kms_key_arn           = var.db_key_arn
  audit_log_sink        = module.audit.id
  backup_retention_days = 14
  owner                 = "ehr-team"

  # The network team's private subnets and the database's own security group;
  # the provider verifies both through the API at every plan.
  db_subnet_group_name   = var.db_subnet_group
  vpc_security_group_ids = [var.db_security_group]
}
