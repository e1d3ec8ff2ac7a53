# The organisation policy for this example: every PHI resource carries these
# tags. Passed to the provider with PHI_POLICY_FILE, never from Terraform code.
required_tags = ["data_classification", "owner"]
