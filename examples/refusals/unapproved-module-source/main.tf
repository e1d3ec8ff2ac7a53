# Refused by phi-lint: PHI-LNT-004. The module comes from a source the policy
# does not approve (and is not pinned to a version), so nobody reviewed what it
# creates. Only the organisation's compliant modules, pinned, are accepted.
terraform {
  required_version = ">= 1.6"
}

module "records" {
  source = "github.com/example-org/terraform-aws-s3-bucket"

  bucket = "acme-records"
}
