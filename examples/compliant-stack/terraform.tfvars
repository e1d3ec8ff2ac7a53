# Keys of the account this stack is planned against. The acceptance suite and
# the demo pass keys they create on the local endpoint with -var, which wins
# over this file; phi-lint reads it to verify the key ARNs statically.
audit_key_arn     = "arn:aws:kms:eu-central-1:123456789012:key/0b3c1a52-6f0e-4d3e-9a55-3f1c2e8d7a01"
records_key_arn   = "arn:aws:kms:eu-central-1:123456789012:key/5d7e2b61-1a4f-4c8b-8e22-7b9d0c6e5f02"
db_key_arn        = "arn:aws:kms:eu-central-1:123456789012:key/9a1f4c73-2b5e-4d9a-b133-8c0e1f7a6b03"
db_subnet_group   = "acme-private"
db_security_group = "sg-0123456789abcdef0"
