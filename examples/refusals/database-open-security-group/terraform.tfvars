# Values phi-lint checks this root with. The refusal needs the network itself,
# which only the provider reads (through the API, at plan); the acceptance
# suite passes one with -var.
audit_key_arn  = "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
subnet_group   = "acme-public"
security_group = "sg-0123456789abcdef0"
