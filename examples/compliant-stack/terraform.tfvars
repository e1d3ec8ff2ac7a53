# The roles that administer the stack's keys in the account this stack is
# planned against; the role Terraform runs as must be one of them.
key_administrator_arns = ["arn:aws:iam::123456789012:role/platform-terraform"]
# The database's private network: the acceptance suite and the demo pass the
# ones they create on the local endpoint with -var, which wins over this file.
db_subnet_group   = "acme-private"
db_security_group = "sg-0123456789abcdef0"
