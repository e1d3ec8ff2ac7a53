# Refused: PHI-KMS-001 and PHI-KMS-002. The AWS-managed aws/rds key is neither a
# full key ARN nor a key the organisation controls.
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

resource "phi_database" "ehr" {
  identifier           = "acme-ehr-aws-key"
  engine               = "postgres"
  engine_version       = "16.4"
  instance_class       = "db.t3.medium"
  allocated_storage_gb = 50
  kms_key_arn          = "alias/aws/rds"
}
