variable "key_administrator_arns" {
  description = "IAM roles that manage the stack's KMS keys (never use them). Include the role Terraform runs as: KMS refuses a key policy that would lock it out."
  type        = list(string)
}
