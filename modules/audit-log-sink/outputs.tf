output "id" {
  description = "Sink id, for the `audit_log_sink` argument of `phi_bucket` and `phi_database`."
  value       = phi_audit_log_sink.this.id
}

output "bucket_arn" {
  description = "ARN of the Object Lock archive bucket."
  value       = phi_audit_log_sink.this.bucket_arn
}

output "log_group_name" {
  description = "Name of the CloudWatch Logs log group."
  value       = phi_audit_log_sink.this.log_group_name
}

output "log_group_arn" {
  description = "ARN of the CloudWatch Logs log group."
  value       = phi_audit_log_sink.this.log_group_arn
}

output "enforced" {
  description = "Live state of every always-on control, keyed by control id."
  value       = phi_audit_log_sink.this.enforced
}
