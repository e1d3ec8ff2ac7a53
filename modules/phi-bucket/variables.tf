variable "name" {
  description = "Bucket name: 3-63 lowercase letters, digits and hyphens, globally unique. Changing it replaces the bucket (refused while deletion_protection is on)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "kms_key_arn" {
  description = "Full ARN of a customer-managed, enabled, symmetric KMS key with rotation on, in the provider's region and account (PHI-KMS-001 to PHI-KMS-009)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "PHI-KMS-001: kms_key_arn must be a full key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or a bare key id."
  }
}

variable "audit_log_sink" {
  description = "Id of the organisation's audit sink (output `id` of the audit-log-sink module), whose trail records this bucket's object access (PHI-S3-011)."
  type        = string
  nullable    = false
}

variable "encryption_algorithm" {
  description = "\"aws:kms\" (SSE-KMS, default) or \"aws:kms:dsse\" (dual-layer) (PHI-S3-001)."
  type        = string
  default     = "aws:kms"
  nullable    = false

  validation {
    condition     = contains(["aws:kms", "aws:kms:dsse"], var.encryption_algorithm)
    error_message = "PHI-S3-001: encryption_algorithm must be \"aws:kms\" or \"aws:kms:dsse\"."
  }
}

variable "minimum_tls_version" {
  description = "Lowest TLS version the bucket accepts: \"1.2\" or \"1.3\" (PHI-S3-004)."
  type        = string
  default     = "1.2"
  nullable    = false

  validation {
    condition     = contains(["1.2", "1.3"], var.minimum_tls_version)
    error_message = "PHI-S3-004: minimum_tls_version must be \"1.2\" or \"1.3\"."
  }
}

variable "noncurrent_version_retention_days" {
  description = "Days a replaced or deleted object version is kept: 30 to the policy's retention maximum (PHI-S3-008)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.noncurrent_version_retention_days >= 30
    error_message = "PHI-S3-008: noncurrent_version_retention_days must be at least 30."
  }
}

variable "deletion_protection" {
  description = "Refuse destroy and replacement while on. Turn off in a separate apply before destroying (PHI-S3-009)."
  type        = bool
  default     = true
  nullable    = false
}

variable "owner" {
  description = "Team accountable for the data; recorded in the `owner` tag."
  type        = string
  nullable    = false

  validation {
    condition     = length(trimspace(var.owner)) > 0
    error_message = "owner must name the accountable team."
  }
}

variable "tags" {
  description = "Extra tags. `data_classification`, `owner` and `managed_by` are set by the module and win over these."
  type        = map(string)
  default     = {}
  nullable    = false
}
