variable "identifier" {
  description = "DB instance identifier: 1-63 lowercase letters, digits and hyphens, starting with a letter. Changing it replaces the database."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.identifier)) && !strcontains(var.identifier, "--") && !endswith(var.identifier, "-")
    error_message = "identifier must be 1-63 lowercase letters, digits and hyphens, start with a letter, and neither end with a hyphen nor contain two in a row."
  }
}

variable "engine" {
  description = "Database engine: \"postgres\" or \"mysql\" (PHI-RDS-009)."
  type        = string
  default     = "postgres"
  nullable    = false

  validation {
    condition     = contains(["postgres", "mysql"], var.engine)
    error_message = "PHI-RDS-009: engine must be \"postgres\" or \"mysql\"."
  }
}

variable "engine_version" {
  description = "Full engine version, e.g. \"16.4\" or \"8.4.3\"; must be approved by the policy (PHI-RDS-009)."
  type        = string
  nullable    = false
}

variable "instance_class" {
  description = "Instance class, e.g. \"db.t3.medium\"."
  type        = string
  default     = "db.t3.medium"
  nullable    = false

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must be an RDS instance class such as \"db.t3.medium\"."
  }
}

variable "allocated_storage_gb" {
  description = "Allocated storage in GiB (20-65536); may grow, never shrink."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.allocated_storage_gb >= 20 && var.allocated_storage_gb <= 65536
    error_message = "allocated_storage_gb must be between 20 and 65536."
  }
}

variable "kms_key_arn" {
  description = "Full ARN of a customer-managed, enabled, symmetric KMS key with rotation on, in the provider's region and account; encrypts storage, the managed master secret and the log groups (PHI-KMS-001 to PHI-KMS-009)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "PHI-KMS-001: kms_key_arn must be a full key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or a bare key id."
  }
}

variable "audit_log_sink" {
  description = "Id of the organisation's audit log sink (output `id` of the audit-log-sink module). Required by convention: every PHI database is tied to its audit sink."
  type        = string
  nullable    = false
}

variable "backup_retention_days" {
  description = "Days automated backups are kept: at least the policy minimum (baseline 7), at most 35 (PHI-RDS-007)."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 35
    error_message = "PHI-RDS-007: backup_retention_days must be between 7 and 35."
  }
}

variable "multi_az" {
  description = "Run a standby in a second availability zone. Null lets the provider apply the policy's requirement (PHI-RDS-010)."
  type        = bool
  default     = null
}

variable "deletion_protection" {
  description = "Refuse deletion while on. Turn off in a separate apply before destroying (PHI-RDS-008)."
  type        = bool
  default     = true
  nullable    = false
}

variable "db_subnet_group_name" {
  description = "DB subnet group of private subnets in at least two Availability Zones of the provider's region, none routing 0.0.0.0/0 or ::/0 to an internet gateway (PHI-RDS-013; verified by the provider at every plan)."
  type        = string
  nullable    = false
}

variable "vpc_security_group_ids" {
  description = "At least one security group for the database, none admitting ingress from 0.0.0.0/0, ::/0 or a prefix the policy forbids (PHI-RDS-014; verified by the provider at every plan)."
  type        = set(string)
  nullable    = false

  validation {
    condition     = length(var.vpc_security_group_ids) > 0
    error_message = "PHI-RDS-014: give at least one security group; without one RDS attaches the VPC's default group."
  }
}

variable "owner" {
  description = "Team accountable for the database; recorded in the `owner` tag."
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
