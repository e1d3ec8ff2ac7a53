# Refused: PHI-KMS-001 and PHI-KMS-002. An alias of an AWS-managed key is
# neither a full key ARN nor a key the organisation controls.
terraform {
  required_version = ">= 1.6"
  required_providers {
    phi = {
      source  = "phi-guard/phi"
      version = "0.1.0"
    }
  }
}

provider "phi" {
  region = "eu-central-1"
}

resource "phi_audit_log_sink" "main" {
  name           = "acme-audit-aws-key"
  kms_key_arn    = "alias/aws/s3"
  retention_days = 2192
}
