# The organisation's PHI bucket: the provider enforces every control; this
# module adds naming and tagging conventions, ties the bucket to its audit
# sink, and exposes what other modules need.

locals {
  tags = merge(var.tags, {
    data_classification = "phi"
    owner               = var.owner
    managed_by          = "phi-guard"
  })
}

resource "phi_bucket" "this" {
  name                              = var.name
  kms_key_arn                       = var.kms_key_arn
  audit_log_sink                    = var.audit_log_sink
  encryption_algorithm              = var.encryption_algorithm
  minimum_tls_version               = var.minimum_tls_version
  noncurrent_version_retention_days = var.noncurrent_version_retention_days
  deletion_protection               = var.deletion_protection
  tags                              = local.tags
}
