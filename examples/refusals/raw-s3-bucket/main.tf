# Refused by phi-lint: PHI-LNT-003. A raw aws_s3_bucket bypasses phi_bucket,
# so none of the PHI controls (customer-managed key, TLS-only policy, public
# access blocks, audit recording) would apply to it. The provider cannot see
# resources of other providers; the linter catches this before any plan.
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.0.0"
    }
  }
}

provider "aws" {
  region = "eu-central-1"
}

resource "aws_s3_bucket" "records" {
  bucket = "acme-records-raw"
}
