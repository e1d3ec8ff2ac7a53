# The key phi-lint checks this root with, before any plan. Terraform runs pass
# the real key (`-var audit_key_arn=...`), which takes precedence over this file.
audit_key_arn  = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
subnet_group   = "acme-private"
security_group = "sg-0123456789abcdef0"
