# The key phi-lint checks this example with, before any plan. Terraform runs
# pass the real key (`-var kms_key_arn=...`), which takes precedence.
kms_key_arn            = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
db_subnet_group_name   = "acme-private"
vpc_security_group_ids = ["sg-0123456789abcdef0"]
