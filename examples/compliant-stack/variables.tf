variable "key_administrator_arns" {
  description = "IAM roles that manage the stack's KMS keys (never use them). Include the role Terraform runs as: KMS refuses a key policy that would lock it out."
  type        = list(string)
}

variable "db_subnet_group" {
  description = "DB subnet group of private subnets in two Availability Zones of eu-central-1, owned by the network team (no route to an internet gateway)."
  type        = string
}

variable "db_security_group" {
  description = "Security group for the EHR database: ingress from the application's security group or private ranges only, never 0.0.0.0/0."
  type        = string
}
