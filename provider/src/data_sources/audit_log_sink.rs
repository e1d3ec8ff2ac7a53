//! `data "phi_audit_log_sink"`: a central audit sink looked up by name, with
//! its ARNs, key, log group and trail, and whether it passes its controls.

use crate::configured::Configured;
use crate::diagnostics::Diagnostics;
use crate::resources::audit_log_sink::{TYPE_NAME, lookup};
use crate::schema::{AttrType, Attribute, Mode, Schema};
use crate::value::Value;

use super::{DataRead, DataSource, attributes, check_name};

pub struct AuditLogSinkData {
    schema: Schema,
}

impl Default for AuditLogSinkData {
    fn default() -> Self {
        Self::new()
    }
}

impl AuditLogSinkData {
    pub fn new() -> Self {
        AuditLogSinkData { schema: schema() }
    }
}

fn schema() -> Schema {
    use AttrType::*;
    use Mode::*;
    Schema {
        version: 0,
        description: "Looks up an existing `phi_audit_log_sink` by name, typically one another \
            team's stack manages, and checks it against its controls when read: by default a \
            sink that has drifted out of compliance (or does not exist) fails the plan, naming \
            the control, what is wrong and the fix.",
        attributes: attributes(
            "Name of the sink (the `name` it was created with: its archive bucket's name).",
            vec![
                Attribute::new(
                    "kms_key_arn",
                    String,
                    Computed,
                    "ARN of the KMS key the archive bucket is encrypted with.",
                ),
                Attribute::new(
                    "retention_days",
                    Number,
                    Computed,
                    "Days records are locked: the archive's Object Lock default retention (the \
                     log group's retention if the archive has none).",
                ),
                Attribute::new(
                    "object_lock_mode",
                    String,
                    Computed,
                    "Object Lock mode of the archive bucket; null when Object Lock is off.",
                ),
                Attribute::new(
                    "minimum_tls_version",
                    String,
                    Computed,
                    "Lowest TLS version the archive's bucket policy accepts; null without a \
                     TLS policy.",
                ),
                Attribute::new("tags", MapOfString, Computed, "Tags of the archive bucket."),
                Attribute::new("bucket_arn", String, Computed, "ARN of the archive bucket."),
                Attribute::new(
                    "log_group_name",
                    String,
                    Computed,
                    "Name of the sink's log group; null when it does not exist.",
                ),
                Attribute::new(
                    "log_group_arn",
                    String,
                    Computed,
                    "ARN of the sink's log group; null when it does not exist.",
                ),
                Attribute::new(
                    "trail_name",
                    String,
                    Computed,
                    "Name of the sink's CloudTrail trail.",
                ),
                Attribute::new(
                    "trail_arn",
                    String,
                    Computed,
                    "ARN of the sink's CloudTrail trail (null when the account cannot be read).",
                ),
            ],
        ),
    }
}

#[tonic::async_trait]
impl DataSource for AuditLogSinkData {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        check_name(config, "name", "an audit log sink", &mut d);
        d
    }

    async fn read(&self, config: &Value, ctx: &Configured) -> DataRead {
        super::read_by_name(
            config,
            TYPE_NAME,
            "audit log sink",
            |name| async move { lookup::lookup(&name, ctx).await },
            ctx,
        )
        .await
    }
}
