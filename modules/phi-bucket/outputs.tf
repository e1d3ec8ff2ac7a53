output "id" {
  description = "The bucket name."
  value       = phi_bucket.this.id
}

output "arn" {
  description = "ARN of the bucket, for IAM policies of the applications that use it."
  value       = phi_bucket.this.arn
}

output "enforced" {
  description = "Live state of every always-on control, keyed by control id."
  value       = phi_bucket.this.enforced
}
