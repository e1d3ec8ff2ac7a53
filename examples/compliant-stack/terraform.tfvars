# The roles that administer the stack's keys in the account this stack is
# planned against; the role Terraform runs as must be one of them.
key_administrator_arns = ["arn:aws:iam::123456789012:role/platform-terraform"]
