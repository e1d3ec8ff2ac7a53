# The organisation's audit log sink: the provider enforces every control; this
# module adds the naming and tagging conventions and the outputs other modules
# need.

locals {
  tags = merge(var.tags, {
    data_classification = "phi-audit"
    owner               = var.owner
    managed_by          = "phi-guard"
  })
}

resource "phi_audit_log_sink" "this" {
  name                = var.name
  kms_key_arn         = var.kms_key_arn
  retention_days      = var.retention_days
  object_lock_mode    = "COMPLIANCE"
  minimum_tls_version = var.minimum_tls_version
  tags                = local.tags
  deletion_protection = var.deletion_protection
}
