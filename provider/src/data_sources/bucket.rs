//! `data "phi_bucket"`: a PHI bucket looked up by name, with its ARN, key
//! and settings, and whether it passes its controls.

use crate::configured::Configured;
use crate::diagnostics::Diagnostics;
use crate::resources::bucket::{TYPE_NAME, lookup};
use crate::schema::{AttrType, Attribute, Mode, Schema};
use crate::value::Value;

use super::{DataRead, DataSource, attributes, check_name};

pub struct BucketData {
    schema: Schema,
}

impl Default for BucketData {
    fn default() -> Self {
        Self::new()
    }
}

impl BucketData {
    pub fn new() -> Self {
        BucketData { schema: schema() }
    }
}

fn schema() -> Schema {
    use AttrType::*;
    use Mode::*;
    let mut own = vec![Attribute::new(
        "audit_log_sink",
        String,
        Optional,
        "Name of the `phi_audit_log_sink` whose trail should record this bucket's object \
         access. When set, that is checked too (control PHI-S3-011); without it the bucket \
         alone cannot say which sink records it, and PHI-S3-011 is not checked.",
    )];
    own.extend([
        Attribute::new("arn", String, Computed, "ARN of the bucket."),
        Attribute::new(
            "kms_key_arn",
            String,
            Computed,
            "ARN of the KMS key of the bucket's default encryption; null without one.",
        ),
        Attribute::new(
            "encryption_algorithm",
            String,
            Computed,
            "Algorithm of the bucket's default encryption (`aws:kms`, `aws:kms:dsse`, ...).",
        ),
        Attribute::new(
            "minimum_tls_version",
            String,
            Computed,
            "Lowest TLS version the bucket policy accepts; null without a TLS policy.",
        ),
        Attribute::new(
            "noncurrent_version_retention_days",
            Number,
            Computed,
            "Days noncurrent object versions are kept; null when they never expire.",
        ),
        Attribute::new("tags", MapOfString, Computed, "Tags of the bucket."),
        Attribute::new(
            "replication",
            MapOfString,
            Computed,
            "The bucket's replication (`region`, `destination_bucket`, `kms_key_arn`, \
             `role_arn`); null when it does not replicate.",
        ),
    ]);
    Schema {
        version: 0,
        description: "Looks up an existing PHI bucket by name, typically one another team's \
            stack manages as a `phi_bucket`, and checks it against the bucket's controls when \
            read: by default a bucket that has drifted out of compliance (or does not exist) \
            fails the plan, naming the control, what is wrong and the fix.",
        attributes: attributes("Name of the bucket.", own),
    }
}

#[tonic::async_trait]
impl DataSource for BucketData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        check_name(config, "name", "a bucket", &mut d);
        check_name(config, "audit_log_sink", "an audit log sink", &mut d);
        d
    }

    async fn read(&self, config: &Value, ctx: &Configured) -> DataRead {
        let sink = config.get("audit_log_sink").as_str().map(str::to_owned);
        super::read_by_name(
            config,
            TYPE_NAME,
            "PHI bucket",
            |name| async move { lookup::lookup(&name, sink.as_deref(), ctx).await },
            ctx,
        )
        .await
    }
}
