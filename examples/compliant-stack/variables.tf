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

variable "db_subnet_group" {
  description = "DB subnet group of private subnets in two Availability Zones of eu-central-1, owned by the network team (no route to an internet gateway)."
  type        = string
}

variable "db_security_group" {
  description = "Security group for the EHR database: ingress from the application's security group or private ranges only, never 0.0.0.0/0."
  type        = string
}
