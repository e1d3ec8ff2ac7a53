output "audit_sink" {
  description = "Id of the audit sink."
  value       = module.audit.id
}

output "records_bucket_arn" {
  description = "ARN of the records bucket."
  value       = module.records.arn
}

output "ehr_address" {
  description = "Host name of the EHR database (TLS required)."
  value       = module.ehr.address
}

output "ehr_master_user_secret_arn" {
  description = "ARN of the RDS-managed secret with the master credentials (never the value)."
  value       = module.ehr.master_user_secret_arn
}

output "key_arns" {
  description = "ARNs of the stack's customer-managed keys, by use."
  value = {
    audit   = phi_kms_key.audit.arn
    records = phi_kms_key.records.arn
    ehr     = phi_kms_key.ehr.arn
  }
}
