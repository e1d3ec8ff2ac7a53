# Values phi-lint checks this root with; tests pass the emulator's network with -var.
subnet_group   = "acme-private"
security_group = "sg-0123456789abcdef0"
