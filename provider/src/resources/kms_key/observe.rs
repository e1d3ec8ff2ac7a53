//! Reading a `phi_kms_key` back from KMS: state, rotation, policy, aliases,
//! description and tags, as the settings `enforced` compares.

use std::collections::BTreeMap;

use aws_sdk_kms::Client;

use crate::aws::AwsError;

use super::{POLICY_AS_WRITTEN, POLICY_CHANGED, key, rotation_text};

/// What KMS reports for a key.
#[derive(Debug, Clone)]
pub struct Observed {
    pub arn: String,
    pub key_id: String,
    pub key_state: String,
    pub description: String,
    pub rotation_enabled: bool,
    pub rotation_period_days: Option<i64>,
    pub policy: String,
    /// Alias names (`alias/...`) that point at the key.
    pub aliases: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

impl Observed {
    /// The `enforced` map as KMS shows it. The policy entry compares the
    /// live document with `written` as JSON values, so formatting KMS may
    /// apply does not count as drift; `alias` is the expected alias when it
    /// points here, else the first one that does (or "none").
    ///
    /// KMS reports a rotation period whenever rotation is on; when a
    /// response has none (the emulator never sends one) the period cannot
    /// be compared and `want_period` is shown, as the KMS checks at plan
    /// also leave an unreported period unchecked.
    pub fn enforced(
        &self,
        written: &str,
        alias: &str,
        want_period: i64,
    ) -> BTreeMap<String, String> {
        let same_policy = match (
            serde_json::from_str::<serde_json::Value>(&self.policy),
            serde_json::from_str::<serde_json::Value>(written),
        ) {
            (Ok(live), Ok(want)) => live == want,
            _ => false,
        };
        let alias_text = if self.aliases.iter().any(|a| a == alias) {
            alias.to_owned()
        } else {
            self.aliases
                .first()
                .cloned()
                .unwrap_or_else(|| "none".to_owned())
        };
        BTreeMap::from([
            (
                key::POLICY.to_owned(),
                if same_policy {
                    POLICY_AS_WRITTEN
                } else {
                    POLICY_CHANGED
                }
                .to_owned(),
            ),
            (key::STATE.to_owned(), self.key_state.clone()),
            (
                key::ROTATION.to_owned(),
                rotation_text(
                    self.rotation_enabled,
                    Some(self.rotation_period_days.unwrap_or(want_period)),
                ),
            ),
            (key::ALIAS.to_owned(), alias_text),
        ])
    }
}

/// Reads the key; `Ok(None)` when it does not exist or is already pending
/// deletion after a destroy of ours would have scheduled it (a key pending
/// deletion that state still holds is reported as it is, so apply can
/// cancel the deletion).
pub async fn observe(kms: &Client, key_id: &str) -> Result<Option<Observed>, AwsError> {
    let described = match kms.describe_key().key_id(key_id).send().await {
        Ok(out) => out,
        Err(e) => {
            let err = AwsError::from_sdk("kms:DescribeKey", e);
            return if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            };
        }
    };
    let Some(meta) = described.key_metadata else {
        return Ok(None);
    };
    let key_state = meta
        .key_state
        .as_ref()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let (rotation, policy, aliases, tags) = tokio::join!(
        kms.get_key_rotation_status().key_id(key_id).send(),
        kms.get_key_policy()
            .key_id(key_id)
            .policy_name("default")
            .send(),
        kms.list_aliases().key_id(key_id).send(),
        kms.list_resource_tags().key_id(key_id).send(),
    );
    let rotation = rotation.map_err(|e| AwsError::from_sdk("kms:GetKeyRotationStatus", e))?;
    let policy = policy.map_err(|e| AwsError::from_sdk("kms:GetKeyPolicy", e))?;
    let aliases = aliases.map_err(|e| AwsError::from_sdk("kms:ListAliases", e))?;
    let tags = tags.map_err(|e| AwsError::from_sdk("kms:ListResourceTags", e))?;
    Ok(Some(Observed {
        arn: meta.arn.clone().unwrap_or_default(),
        key_id: meta.key_id.clone(),
        key_state,
        description: meta.description.clone().unwrap_or_default(),
        rotation_enabled: rotation.key_rotation_enabled,
        rotation_period_days: rotation.rotation_period_in_days.map(i64::from),
        policy: policy.policy.unwrap_or_default(),
        aliases: aliases
            .aliases()
            .iter()
            .filter_map(|a| a.alias_name().map(str::to_owned))
            .collect(),
        tags: tags
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned()))
            .collect(),
    }))
}
