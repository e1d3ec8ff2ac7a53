terraform {
  required_version = ">= 1.6"

  required_providers {
    phi = {
      source  = "phi-guard/phi"
      version = ">= 0.1.0, < 1.0.0"
    }
  }
}
