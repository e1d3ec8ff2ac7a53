variable "name" {
  description = "Sink name: the archive bucket's name and the suffix of the log group `/phi-guard/audit/<name>`. 3-63 lowercase letters, digits and hyphens."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit (it is an S3 bucket name)."
  }
}

variable "kms_key_arn" {
  description = "Full ARN of a customer-managed, enabled, symmetric KMS key with rotation on, in the provider's region and account. Aliases and AWS-managed keys are refused (PHI-KMS-001, PHI-KMS-002)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "PHI-KMS-001: kms_key_arn must be a full key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or a bare key id."
  }
}

variable "retention_days" {
  description = "Days audit records are kept and locked. At least the policy floor (baseline 2192 = 6 years) and a value CloudWatch Logs accepts (PHI-LOG-001)."
  type        = number
  default     = 2192
  nullable    = false

  validation {
    condition     = contains([2192, 2557, 2922, 3288, 3653], var.retention_days)
    error_message = "PHI-LOG-001: retention_days must be one of 2192, 2557, 2922, 3288 or 3653 (6 to 10 years, values CloudWatch Logs accepts)."
  }
}

variable "minimum_tls_version" {
  description = "Lowest TLS version the archive bucket accepts: \"1.2\" or \"1.3\" (PHI-S3-004)."
  type        = string
  default     = "1.2"
  nullable    = false

  validation {
    condition     = contains(["1.2", "1.3"], var.minimum_tls_version)
    error_message = "PHI-S3-004: minimum_tls_version must be \"1.2\" or \"1.3\"."
  }
}

variable "owner" {
  description = "Team accountable for the sink; recorded in the `owner` tag."
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

variable "deletion_protection" {
  description = "While true (the default), destroying or replacing the sink is refused (PHI-S3-009). Set false and apply first to delete it on purpose; a sink holding records is never deleted."
  type        = bool
  default     = true
  nullable    = false
}
