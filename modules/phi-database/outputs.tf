output "id" {
  description = "The DB instance identifier."
  value       = phi_database.this.id
}

output "arn" {
  description = "ARN of the DB instance."
  value       = phi_database.this.arn
}

output "address" {
  description = "Host name to connect to (TLS is required)."
  value       = phi_database.this.address
}

output "port" {
  description = "Port to connect to."
  value       = phi_database.this.port
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master credentials (never the value)."
  value       = phi_database.this.master_user_secret_arn
}

output "parameter_group_name" {
  description = "Name of the dedicated parameter group that forces TLS."
  value       = phi_database.this.parameter_group_name
}

output "enforced" {
  description = "Live state of every always-on control, keyed by control id."
  value       = phi_database.this.enforced
}
