# The organisation's PHI database: the provider enforces every control; this
# module adds naming and tagging conventions, ties the database to its audit
# sink, and exposes what applications and other modules need.

locals {
  tags = merge(var.tags, {
    data_classification = "phi"
    owner               = var.owner
    managed_by          = "phi-guard"
  })
}

resource "phi_database" "this" {
  identifier             = var.identifier
  engine                 = var.engine
  engine_version         = var.engine_version
  instance_class         = var.instance_class
  allocated_storage_gb   = var.allocated_storage_gb
  kms_key_arn            = var.kms_key_arn
  audit_log_sink         = var.audit_log_sink
  backup_retention_days  = var.backup_retention_days
  multi_az               = var.multi_az
  deletion_protection    = var.deletion_protection
  publicly_accessible    = false
  db_subnet_group_name   = var.db_subnet_group_name
  vpc_security_group_ids = var.vpc_security_group_ids
  tags                   = local.tags
}
