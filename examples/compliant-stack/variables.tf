variable "audit_key_arn" {
  description = "Full ARN of the customer-managed KMS key for the audit sink (rotation on, eu-central-1)."
  type        = string
}

variable "records_key_arn" {
  description = "Full ARN of the customer-managed KMS key for the records bucket (rotation on, eu-central-1)."
  type        = string
}

variable "db_key_arn" {
  description = "Full ARN of the customer-managed KMS key for the EHR database (rotation on, eu-central-1)."
  type        = string
}
