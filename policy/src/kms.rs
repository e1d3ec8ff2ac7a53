//! KMS key controls: the static checks on a key reference, and the checks
//! over the facts DescribeKey and GetKeyRotationStatus report.

use thiserror::Error;

use crate::catalogue::ids;
use crate::document::Policy;
use crate::violation::{Context, Violation};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub key_id: String,
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum KeyRefError {
    #[error("it is an alias of an AWS-managed key")]
    AwsManagedAlias,
    #[error("it is an alias, not a key")]
    Alias,
    #[error("it is a bare key id, which does not say which region and account the key is in")]
    BareKeyId,
    #[error("it is not a KMS key ARN ({reason})")]
    Malformed { reason: String },
}

/// Parses `arn:<partition>:kms:<region>:<account>:key/<id>`.
pub fn parse_key_arn(value: &str) -> Result<KeyArn, KeyRefError> {
    let is_aws_alias = |s: &str| s.starts_with("alias/aws/");
    if is_aws_alias(value) {
        return Err(KeyRefError::AwsManagedAlias);
    }
    if value.starts_with("alias/") {
        return Err(KeyRefError::Alias);
    }
    if !value.starts_with("arn:") {
        let looks_like_id = value.len() >= 32
            && value.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            || value.starts_with("mrk-");
        return Err(if looks_like_id {
            KeyRefError::BareKeyId
        } else {
            KeyRefError::Malformed {
                reason: "it does not start with `arn:`".to_owned(),
            }
        });
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() != 6 {
        return Err(KeyRefError::Malformed {
            reason: "an ARN has six colon-separated fields".to_owned(),
        });
    }
    let (partition, service, region, account, resource) =
        (parts[1], parts[2], parts[3], parts[4], parts[5]);
    if service != "kms" {
        return Err(KeyRefError::Malformed {
            reason: format!("its service is `{service}`, not `kms`"),
        });
    }
    if is_aws_alias(resource) {
        return Err(KeyRefError::AwsManagedAlias);
    }
    if resource.starts_with("alias/") {
        return Err(KeyRefError::Alias);
    }
    let Some(key_id) = resource.strip_prefix("key/").filter(|id| !id.is_empty()) else {
        return Err(KeyRefError::Malformed {
            reason: "its resource part is not `key/<id>`".to_owned(),
        });
    };
    if region.is_empty() {
        return Err(KeyRefError::Malformed {
            reason: "it names no region".to_owned(),
        });
    }
    if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err(KeyRefError::Malformed {
            reason: "its account is not 12 digits".to_owned(),
        });
    }
    Ok(KeyArn {
        partition: partition.to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
        key_id: key_id.to_owned(),
    })
}

/// PHI-KMS-006 when the resource's region is known and the key is elsewhere.
fn other_region(arn: &KeyArn, ctx: &Context, path: &[&str]) -> Option<Violation> {
    (!ctx.region.is_empty() && arn.region != ctx.region).then(|| {
        Violation::new(
            ids::KMS_SAME_REGION,
            path,
            format!(
                "The key is in {}, but this resource is in {}.",
                arn.region, ctx.region
            ),
        )
    })
}

/// PHI-KMS-007 when the resource's account is known, the key is in another
/// one, and the policy does not allow-list the key's account (a central key
/// account).
fn other_account(arn: &KeyArn, ctx: &Context, policy: &Policy, path: &[&str]) -> Option<Violation> {
    let account = ctx.account_id.as_deref()?;
    let foreign = arn.account != account && !policy.allowed_accounts().contains(&arn.account);
    foreign.then(|| {
        Violation::new(
            ids::KMS_SAME_ACCOUNT,
            path,
            format!(
                "The key belongs to account {}, but this resource is created in account \
                 {account}, and the policy does not allow keys from {}.",
                arn.account, arn.account
            ),
        )
    })
}

/// Static checks on the configured key reference.
pub fn check_key_reference(
    value: &str,
    ctx: &Context,
    policy: &Policy,
    path: &[String],
) -> Vec<Violation> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match parse_key_arn(value) {
        Err(KeyRefError::AwsManagedAlias) => vec![
            Violation::new(
                ids::KMS_KEY_ARN,
                &p,
                format!("{value:?} is an alias, not a full key ARN."),
            ),
            Violation::new(
                ids::KMS_CUSTOMER_MANAGED,
                &p,
                format!(
                    "{value:?} is an AWS-managed key: its key policy cannot be restricted and \
                     the organisation cannot disable it."
                ),
            ),
        ],
        Err(e) => vec![Violation::new(
            ids::KMS_KEY_ARN,
            &p,
            format!("{value:?} is not accepted: {e}."),
        )],
        Ok(arn) => other_region(&arn, ctx, &p)
            .into_iter()
            .chain(other_account(&arn, ctx, policy, &p))
            .collect(),
    }
}

/// What DescribeKey and GetKeyRotationStatus report, as plain strings so this
/// crate stays free of the AWS SDK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFacts {
    pub arn: String,
    pub key_manager: String,
    pub key_state: String,
    pub key_spec: String,
    pub key_usage: String,
    pub origin: String,
    pub multi_region: bool,
    /// The primary's and every replica's region, for multi-Region keys.
    pub multi_region_regions: Vec<String>,
    pub rotation_enabled: Option<bool>,
    /// `None` when the API did not report it (it is then not checked).
    pub rotation_period_days: Option<i32>,
}

/// Checks over API facts: every violation at once.
pub fn check_key_facts(
    facts: &KeyFacts,
    ctx: &Context,
    policy: &Policy,
    path: &[String],
) -> Vec<Violation> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    if facts.key_manager != "CUSTOMER" {
        out.push(Violation::new(
            ids::KMS_CUSTOMER_MANAGED,
            &p,
            format!(
                "KMS reports this key as managed by {} (KeyManager = {:?}).",
                if facts.key_manager == "AWS" {
                    "AWS"
                } else {
                    "someone other than the customer"
                },
                facts.key_manager
            ),
        ));
    }
    if facts.key_state != "Enabled" {
        out.push(Violation::new(
            ids::KMS_ENABLED,
            &p,
            format!(
                "The key's state is {} (it must be Enabled).",
                facts.key_state
            ),
        ));
    }
    match (facts.rotation_enabled, facts.rotation_period_days) {
        (Some(false), _) => out.push(Violation::new(
            ids::KMS_ROTATION,
            &p,
            "Automatic rotation is off for this key.",
        )),
        (Some(true), Some(days)) if i64::from(days) > policy.kms_rotation_max_days() => {
            out.push(Violation::new(
                ids::KMS_ROTATION,
                &p,
                format!(
                    "The key rotates every {days} days; the policy allows at most {}.",
                    policy.kms_rotation_max_days()
                ),
            ))
        }
        _ => {}
    }
    if facts.key_spec != "SYMMETRIC_DEFAULT" || facts.key_usage != "ENCRYPT_DECRYPT" {
        out.push(Violation::new(
            ids::KMS_SYMMETRIC,
            &p,
            format!(
                "The key has spec {} and usage {}; SYMMETRIC_DEFAULT and ENCRYPT_DECRYPT are required.",
                facts.key_spec, facts.key_usage
            ),
        ));
    }
    if facts.origin != "AWS_KMS" {
        let why = match facts.origin.as_str() {
            "EXTERNAL" => "imported key material can expire and never rotates automatically",
            "EXTERNAL_KEY_STORE" => "the key material lives in a key store outside AWS",
            "AWS_CLOUDHSM" => {
                "CloudHSM keys do not rotate automatically; the baseline refuses them unless the \
                 policy records an exception"
            }
            _ => "only AWS_KMS key material is accepted",
        };
        out.push(Violation::new(
            ids::KMS_ORIGIN,
            &p,
            format!(
                "The key's origin is {}: {why}. AWS_KMS is required.",
                facts.origin
            ),
        ));
    }
    if facts.multi_region {
        let outside: Vec<&str> = facts
            .multi_region_regions
            .iter()
            .map(String::as_str)
            .filter(|r| !policy.is_region_approved(r))
            .collect();
        if !outside.is_empty() {
            out.push(Violation::new(
                ids::KMS_MULTI_REGION,
                &p,
                format!(
                    "This multi-Region key also lives in {}, which the policy does not approve.",
                    outside.join(", ")
                ),
            ));
        }
    }
    // The ARN DescribeKey returns settles region and account even when the
    // configuration named the key some other way.
    if let Ok(arn) = parse_key_arn(&facts.arn) {
        out.extend(other_region(&arn, ctx, &p));
        out.extend(other_account(&arn, ctx, policy, &p));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str =
        "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn ctx() -> Context {
        Context {
            region: "eu-central-1".into(),
            account_id: Some("111122223333".into()),
        }
    }

    fn ids_of(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.control.id).collect()
    }

    fn compliant() -> KeyFacts {
        KeyFacts {
            arn: ARN.into(),
            key_manager: "CUSTOMER".into(),
            key_state: "Enabled".into(),
            key_spec: "SYMMETRIC_DEFAULT".into(),
            key_usage: "ENCRYPT_DECRYPT".into(),
            origin: "AWS_KMS".into(),
            multi_region: false,
            multi_region_regions: vec![],
            rotation_enabled: Some(true),
            rotation_period_days: Some(365),
        }
    }

    #[test]
    fn parses_full_key_arns() {
        let arn = parse_key_arn(ARN).unwrap();
        assert_eq!(arn.region, "eu-central-1");
        assert_eq!(arn.account, "111122223333");
        assert_eq!(arn.partition, "aws");
    }

    #[test]
    fn refuses_aliases_ids_and_other_arns() {
        assert_eq!(
            parse_key_arn("alias/aws/s3"),
            Err(KeyRefError::AwsManagedAlias)
        );
        assert_eq!(
            parse_key_arn("arn:aws:kms:eu-central-1:111122223333:alias/aws/s3"),
            Err(KeyRefError::AwsManagedAlias)
        );
        assert_eq!(parse_key_arn("alias/phi"), Err(KeyRefError::Alias));
        assert_eq!(
            parse_key_arn("1234abcd-12ab-34cd-56ef-1234567890ab"),
            Err(KeyRefError::BareKeyId)
        );
        assert!(matches!(
            parse_key_arn("arn:aws:s3:::bucket"),
            Err(KeyRefError::Malformed { .. })
        ));
        assert!(matches!(
            parse_key_arn("arn:aws:kms:eu-central-1:12:key/x"),
            Err(KeyRefError::Malformed { .. })
        ));
    }

    #[test]
    fn static_reference_checks() {
        let policy = Policy::baseline();
        let path = vec!["kms_key_arn".to_owned()];
        assert!(check_key_reference(ARN, &ctx(), &policy, &path).is_empty());
        assert_eq!(
            ids_of(&check_key_reference("alias/aws/s3", &ctx(), &policy, &path)),
            [ids::KMS_KEY_ARN, ids::KMS_CUSTOMER_MANAGED]
        );
        let far = ARN.replace("eu-central-1", "us-west-2");
        assert_eq!(
            ids_of(&check_key_reference(&far, &ctx(), &policy, &path)),
            [ids::KMS_SAME_REGION]
        );
        let other = ARN.replace("111122223333", "444455556666");
        assert_eq!(
            ids_of(&check_key_reference(&other, &ctx(), &policy, &path)),
            [ids::KMS_SAME_ACCOUNT]
        );
        for not_an_arn in [
            "alias/phi-audit",
            "1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:kms:eu-central-1:111122223333:alias/phi-audit",
            "arn:aws:s3:::bucket",
        ] {
            let v = check_key_reference(not_an_arn, &ctx(), &policy, &path);
            assert_eq!(ids_of(&v), [ids::KMS_KEY_ARN], "{not_an_arn}");
            assert!(v[0].message.contains(not_an_arn), "{}", v[0].message);
        }
        // Unknown region and account (validate time) check only the format.
        assert!(check_key_reference(&far, &Context::default(), &policy, &path).is_empty());
    }

    #[test]
    fn allowed_accounts_admit_a_central_key_account() {
        let policy = Policy::parse(
            "kms {\n  allowed_accounts = [\"444455556666\"]\n}\n",
            "p.hcl",
        )
        .unwrap();
        let other = ARN.replace("111122223333", "444455556666");
        let path = vec!["kms_key_arn".to_owned()];
        assert!(check_key_reference(&other, &ctx(), &policy, &path).is_empty());
    }

    #[test]
    fn facts_of_a_compliant_key_pass() {
        let path = vec!["k".to_owned()];
        assert!(check_key_facts(&compliant(), &ctx(), &Policy::baseline(), &path).is_empty());
    }

    #[test]
    fn each_fact_fails_its_own_control() {
        let policy = Policy::baseline();
        let path = vec!["k".to_owned()];
        type Mutation = Box<dyn Fn(&mut KeyFacts)>;
        let cases: Vec<(Mutation, &str)> = vec![
            (
                Box::new(|f| f.key_manager = "AWS".into()),
                ids::KMS_CUSTOMER_MANAGED,
            ),
            (
                Box::new(|f| f.key_state = "Disabled".into()),
                ids::KMS_ENABLED,
            ),
            (
                Box::new(|f| f.key_state = "PendingDeletion".into()),
                ids::KMS_ENABLED,
            ),
            (
                Box::new(|f| f.rotation_enabled = Some(false)),
                ids::KMS_ROTATION,
            ),
            (
                Box::new(|f| f.rotation_period_days = Some(730)),
                ids::KMS_ROTATION,
            ),
            (
                Box::new(|f| f.key_spec = "RSA_2048".into()),
                ids::KMS_SYMMETRIC,
            ),
            (
                Box::new(|f| f.key_usage = "SIGN_VERIFY".into()),
                ids::KMS_SYMMETRIC,
            ),
            (Box::new(|f| f.origin = "EXTERNAL".into()), ids::KMS_ORIGIN),
            (
                Box::new(|f| f.origin = "EXTERNAL_KEY_STORE".into()),
                ids::KMS_ORIGIN,
            ),
            (
                Box::new(|f| f.origin = "AWS_CLOUDHSM".into()),
                ids::KMS_ORIGIN,
            ),
            (
                Box::new(|f| {
                    f.multi_region = true;
                    f.multi_region_regions = vec!["eu-central-1".into(), "ap-southeast-1".into()];
                }),
                ids::KMS_MULTI_REGION,
            ),
            (
                Box::new(|f| f.arn = ARN.replace("eu-central-1", "eu-west-1")),
                ids::KMS_SAME_REGION,
            ),
            (
                Box::new(|f| f.arn = ARN.replace("111122223333", "444455556666")),
                ids::KMS_SAME_ACCOUNT,
            ),
        ];
        for (mutate, expected) in cases {
            let mut facts = compliant();
            mutate(&mut facts);
            assert_eq!(
                ids_of(&check_key_facts(&facts, &ctx(), &policy, &path)),
                [expected]
            );
        }
    }

    #[test]
    fn multi_region_key_inside_approved_regions_passes() {
        let mut facts = compliant();
        facts.multi_region = true;
        facts.multi_region_regions = vec!["eu-central-1".into(), "eu-west-1".into()];
        let path = vec!["k".to_owned()];
        assert!(check_key_facts(&facts, &ctx(), &Policy::baseline(), &path).is_empty());
    }

    #[test]
    fn a_tighter_rotation_maximum_is_applied() {
        let policy = Policy::parse("kms {\n  rotation_max_days = 180\n}\n", "p").unwrap();
        let path = vec!["k".to_owned()];
        let v = check_key_facts(&compliant(), &ctx(), &policy, &path);
        assert_eq!(ids_of(&v), [ids::KMS_ROTATION]);
        assert!(v[0].message.contains("every 365 days"), "{}", v[0].message);
        assert!(v[0].message.contains("at most 180"), "{}", v[0].message);
    }

    #[test]
    fn facts_from_an_allowed_central_account_pass() {
        let policy = Policy::parse(
            "kms {\n  allowed_accounts = [\"444455556666\"]\n}\n",
            "p.hcl",
        )
        .unwrap();
        let mut facts = compliant();
        facts.arn = ARN.replace("111122223333", "444455556666");
        let path = vec!["k".to_owned()];
        assert!(check_key_facts(&facts, &ctx(), &policy, &path).is_empty());
    }

    #[test]
    fn every_key_fact_violation_is_reported_at_once() {
        let facts = KeyFacts {
            arn: "arn:aws:kms:us-west-2:444455556666:key/x".into(),
            key_manager: "AWS".into(),
            key_state: "PendingDeletion".into(),
            key_spec: "RSA_2048".into(),
            key_usage: "SIGN_VERIFY".into(),
            origin: "EXTERNAL".into(),
            multi_region: true,
            multi_region_regions: vec!["us-west-2".into(), "ap-south-1".into()],
            rotation_enabled: Some(false),
            rotation_period_days: None,
        };
        let path = vec!["k".to_owned()];
        assert_eq!(
            ids_of(&check_key_facts(&facts, &ctx(), &Policy::baseline(), &path)),
            [
                ids::KMS_CUSTOMER_MANAGED,
                ids::KMS_ENABLED,
                ids::KMS_ROTATION,
                ids::KMS_SYMMETRIC,
                ids::KMS_ORIGIN,
                ids::KMS_MULTI_REGION,
                ids::KMS_SAME_REGION,
                ids::KMS_SAME_ACCOUNT,
            ]
        );
    }

    #[test]
    fn unknown_rotation_period_is_not_a_violation() {
        let mut facts = compliant();
        facts.rotation_period_days = None;
        let path = vec!["k".to_owned()];
        assert!(check_key_facts(&facts, &ctx(), &Policy::baseline(), &path).is_empty());
    }
}
