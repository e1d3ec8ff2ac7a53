# A compliant PHI stack built from the organisation's modules: an audit log
# sink, a PHI bucket whose object access the sink records, and a PostgreSQL
# database whose engine logs go to encrypted log groups, in a private subnet
# group behind its own security group, each store with its own phi_kms_key
# (no raw aws_kms_key: the provider writes each key's policy for the services
# that use it). It applies cleanly, a second plan is empty, and phi-lint
# reports nothing.
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

resource "phi_kms_key" "audit" {
  name               = "acme-audit"
  description        = "Audit sink: archive, log group and trail"
  services           = ["logs", "cloudtrail", "s3"]
  administrator_arns = var.key_administrator_arns
  tags               = { owner = "security-team" }
}

resource "phi_kms_key" "records" {
  name               = "acme-records"
  description        = "Records bucket"
  services           = ["s3"]
  administrator_arns = var.key_administrator_arns
  tags               = { owner = "records-team" }
}

resource "phi_kms_key" "ehr" {
  name               = "acme-ehr"
  description        = "EHR database, its master secret and its log groups"
  services           = ["rds", "secretsmanager", "logs"]
  administrator_arns = var.key_administrator_arns
  tags               = { owner = "ehr-team" }
}

module "audit" {
  source = "../../modules/audit-log-sink"

  name        = "acme-audit"
  kms_key_arn = phi_kms_key.audit.arn
  owner       = "security-team"
}

module "records" {
  source = "../../modules/phi-bucket"

  name           = "acme-records"
  kms_key_arn    = phi_kms_key.records.arn
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
  kms_key_arn           = phi_kms_key.ehr.arn
  audit_log_sink        = module.audit.id
  backup_retention_days = 14
  owner                 = "ehr-team"

  # The network team's private subnets and the database's own security group;
  # the provider verifies both through the API at every plan.
  db_subnet_group_name   = var.db_subnet_group
  vpc_security_group_ids = [var.db_security_group]
}
