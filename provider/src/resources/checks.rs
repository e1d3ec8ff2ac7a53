//! Check plumbing every resource shares: the KMS API checks on a key
//! attribute (once per distinct key per run at plan, fresh at apply) and
//! turning violations into diagnostics with the policy's exceptions applied.

use phi_policy::{Policy, Violation, ids};

use crate::configured::Configured;
use crate::diagnostics::{Diagnostics, attr};
use crate::value::Value;

/// Every API check of a resource's `kms_key_arn`: the key itself (state,
/// usage, rotation, region; `key_api_checks`) and its key policy against
/// what the resource's services need (`key_policy_checks`). One call for the
/// resources' plans and the data sources' lookups, so they cannot drift.
pub async fn kms_key_checks(
    config: &Value,
    action: &str,
    needs: &phi_policy::key_policy::KeyNeeds,
    ctx: &Configured,
    at_apply: bool,
    violations: &mut Vec<Violation>,
    d: &mut Diagnostics,
) {
    if let Value::String(arn) = config.get("kms_key_arn")
        && !refused_reference(violations, "kms_key_arn")
    {
        if at_apply {
            ctx.keys.forget(arn);
        }
        prefetch_key(arn, ctx).await;
    }
    key_api_checks(config, "kms_key_arn", action, ctx, violations, d).await;
    crate::resources::key_policy_checks::key_policy_checks(
        config,
        "kms_key_arn",
        needs,
        ctx,
        violations,
        d,
    )
    .await;
}

/// Whether the key in `attribute` is already refused from its ARN (wrong
/// form, region or account): such a key is not looked up, the answer could
/// only be "not found".
fn refused_reference(violations: &[Violation], attribute: &str) -> bool {
    violations.iter().any(|v| v.path == [attribute])
}

/// Looks up a key's facts and, when this account can read it (a key of
/// this region and account), its policy together, so the checks that follow
/// find both cached: one KMS round trip per key at plan instead of two.
async fn prefetch_key(arn: &str, ctx: &Configured) {
    let Ok(parsed) = phi_policy::kms::parse_key_arn(arn) else {
        return;
    };
    let own = parsed.region == ctx.region
        && ctx.account_id().await.as_deref() == Some(parsed.account.as_str());
    if own {
        let _ = ctx.keys.facts_and_policy(arn).await;
    }
}

/// Runs the KMS API checks for the key in attribute `attribute` of `config`,
/// adding violations, or an error when the key cannot be inspected. A key
/// already refused from its ARN (wrong form, region or account) is not looked
/// up: the answer could only be "not found". An unknown key gets a warning
/// at plan; apply calls this again when it is known, before creating
/// anything (the caller forgets the key first, so apply sees it afresh).
/// `action` completes the error when the key cannot be inspected: "before it
/// {action} with it".
pub async fn key_api_checks(
    config: &Value,
    attribute: &str,
    action: &str,
    ctx: &Configured,
    violations: &mut Vec<Violation>,
    d: &mut Diagnostics,
) {
    let key_path = vec![attribute.to_owned()];
    match config.get(attribute) {
        Value::String(arn) if !refused_reference(violations, attribute) => {
            let pctx = ctx.policy_context().await;
            if let Err(reason) = ctx.account().await {
                not_verifiable(
                    d,
                    &attr(attribute),
                    &format!("the account of KMS key {arn}"),
                    &[ids::KMS_SAME_ACCOUNT],
                    &reason,
                    "The provider compares the key's account with the caller's account \
                     (sts:GetCallerIdentity); without it the check cannot pass.",
                );
            }
            match ctx.keys.facts(arn).await {
                Ok(facts) => violations.extend(phi_policy::kms::check_key_facts(
                    &facts,
                    &pctx,
                    ctx.policy(),
                    &key_path,
                )),
                Err(e) => not_verifiable(
                    d,
                    &attr(attribute),
                    &format!("KMS key {arn}"),
                    KEY_FACT_CONTROLS,
                    &e.to_string(),
                    &format!(
                        "The provider must inspect the key (kms:DescribeKey and \
                         kms:GetKeyRotationStatus) before it {action} with it. Check that the \
                         key exists in {} and that these credentials may describe it.",
                        ctx.region
                    ),
                ),
            }
        }
        Value::Unknown => d.warning_at(
            &attr(attribute),
            "KMS key will be verified at apply",
            "The key ARN is not known yet (it depends on a resource created in this run). \
             The provider checks it at the start of apply, before creating anything, and \
             refuses to continue if it is not compliant.",
        ),
        _ => {}
    }
}

/// The controls decided from DescribeKey and GetKeyRotationStatus.
pub const KEY_FACT_CONTROLS: &[&str] = &[
    ids::KMS_CUSTOMER_MANAGED,
    ids::KMS_ENABLED,
    ids::KMS_ROTATION,
    ids::KMS_SYMMETRIC,
    ids::KMS_ORIGIN,
    ids::KMS_MULTI_REGION,
];

/// A check whose facts could not be fetched is an error of its own, never
/// a pass and never a violation of some other control: the summary says
/// what could not be verified (`what` names the AWS object, so Terraform
/// does not merge the diagnostics of two resources), the detail which
/// controls therefore could not be checked, AWS's plain reason and `why`.
pub fn not_verifiable(
    d: &mut Diagnostics,
    path: &[crate::diagnostics::Step],
    what: &str,
    controls: &[&str],
    reason: &str,
    why: &str,
) {
    d.error_at(
        path,
        format!("Not verifiable: {what}"),
        format!(
            "{reason}\n\n{why} Not checked, so not passed: {}. Nothing is created or changed \
             until they can be checked.",
            controls.join(", ")
        ),
    );
}

/// Reports violations, waiving those a current exception covers and saying
/// which exceptions have expired.
pub fn report(
    violations: Vec<Violation>,
    policy: &Policy,
    resource_type: &str,
    name: Option<&str>,
    today: time::Date,
    d: &mut Diagnostics,
) {
    let outcome =
        phi_policy::exceptions::apply_exceptions(policy, resource_type, name, violations, today);
    for v in &outcome.errors {
        d.violation_of(v, resource_type, name, policy);
    }
    for (v, e) in &outcome.waived {
        d.waived(v, e);
    }
    // An expired exception is reported beside each violation it no longer
    // waives, at the violation's argument, as phi-lint reports it.
    for v in &outcome.errors {
        for e in outcome.expired.iter().filter(|e| e.control == v.control.id) {
            d.expired_exception(v, e);
        }
    }
}

/// What every resource's ValidateResourceConfig reports: its checks of the
/// configuration's shape (`shape`: names AWS would reject, unknown values,
/// malformed blocks) and, only when one of those fails, the policy's
/// refusals decided from the values (`check`, exceptions applied).
///
/// DESIGN: Terraform stops at the first validate error. A policy refusal
/// reported here would hide every plan-time refusal of the same resource (a
/// disabled key, a key in another account) until the next run, so while the
/// shape is sound the policy waits for plan, where it is reported together
/// with the checks that need AWS: one plan shows everything. When the shape
/// is broken Terraform stops here anyway, and the run shows every problem the
/// values alone decide. Validation runs before the provider is configured:
/// region and account are not known, so `check` sees them empty and the
/// checks that compare with them wait for plan.
pub fn at_validate(
    mut d: Diagnostics,
    policy: &Policy,
    resource_type: &str,
    name: Option<&str>,
    check: impl FnOnce(&phi_policy::Context) -> Vec<Violation>,
) -> Diagnostics {
    if !d.has_errors() {
        return d;
    }
    let pctx = phi_policy::Context {
        region: String::new(),
        account_id: None,
    };
    let violations = without_context_checks(check(&pctx));
    let today = time::OffsetDateTime::now_utc().date();
    report(violations, policy, resource_type, name, today, &mut d);
    d
}

fn without_context_checks(violations: Vec<Violation>) -> Vec<Violation> {
    violations
        .into_iter()
        .filter(|v| v.control.id != ids::KMS_SAME_REGION && v.control.id != ids::KMS_SAME_ACCOUNT)
        .collect()
}

/// S3 bucket naming rules, minus dots (they break TLS certificate matching
/// for virtual-hosted requests).
pub fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if !(3..=63).contains(&name.len()) {
        return Some("must be 3 to 63 characters long");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
    {
        return Some("may contain only lowercase letters, digits and hyphens");
    }
    if !bytes[0].is_ascii_alphanumeric() || !bytes[bytes.len() - 1].is_ascii_alphanumeric() {
        return Some("must start and end with a letter or digit");
    }
    if name.starts_with("xn--") || name.starts_with("sthree-") || name.ends_with("-s3alias") {
        return Some("uses a prefix or suffix S3 reserves");
    }
    None
}
