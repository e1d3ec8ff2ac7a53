//! Key-policy analysis: what a KMS key policy (the JSON `GetKeyPolicy`
//! returns) grants, checked against what a phi resource needs from its key,
//! and the compliant policy `phi_kms_key` writes.
//!
//! Pure logic over the policy document, so the same code decides at plan
//! (the provider fetches the policy once per key per run) and in unit tests
//! over policies KMS itself would return. The analysis is deliberately
//! conservative in one direction only: a grant to everyone counts as
//! restricted only when a condition pins the caller's account; a service
//! counts as admitted when an Allow statement for it exists whose conditions
//! we understand admit this account and Region (conditions on other keys are
//! assumed to be met, and only unconditional Deny statements are subtracted,
//! because the provider cannot evaluate them without the request).

use serde_json::{Value as Json, json};

use crate::catalogue::ids;
use crate::document::Policy;
use crate::violation::{Context, Violation};

/// An AWS service that uses the key on a phi resource's behalf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyService {
    S3,
    Rds,
    Logs,
    CloudTrail,
    SecretsManager,
}

impl KeyService {
    pub const ALL: [KeyService; 5] = [
        KeyService::S3,
        KeyService::Rds,
        KeyService::Logs,
        KeyService::CloudTrail,
        KeyService::SecretsManager,
    ];

    /// The name used in `phi_kms_key.services`.
    pub fn name(self) -> &'static str {
        match self {
            KeyService::S3 => "s3",
            KeyService::Rds => "rds",
            KeyService::Logs => "logs",
            KeyService::CloudTrail => "cloudtrail",
            KeyService::SecretsManager => "secretsmanager",
        }
    }

    pub fn parse(name: &str) -> Option<KeyService> {
        KeyService::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What people call it in a message.
    fn label(self) -> &'static str {
        match self {
            KeyService::S3 => "Amazon S3",
            KeyService::Rds => "Amazon RDS",
            KeyService::Logs => "CloudWatch Logs",
            KeyService::CloudTrail => "CloudTrail",
            KeyService::SecretsManager => "Secrets Manager",
        }
    }

    /// CloudWatch Logs and CloudTrail call KMS as their own service
    /// principal, so only the key policy can admit them (IAM cannot). The
    /// others call KMS on behalf of the caller (`kms:ViaService`).
    fn uses_service_principal(self) -> bool {
        matches!(self, KeyService::Logs | KeyService::CloudTrail)
    }

    /// The KMS actions the service needs for the phi resource to work.
    fn required_actions(self) -> &'static [&'static str] {
        match self {
            KeyService::S3 | KeyService::SecretsManager => &["kms:GenerateDataKey", "kms:Decrypt"],
            KeyService::Rds => &["kms:CreateGrant", "kms:DescribeKey"],
            KeyService::Logs => &["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
            KeyService::CloudTrail => &["kms:GenerateDataKey", "kms:DescribeKey"],
        }
    }

    fn endpoint(self, region: &str) -> String {
        format!("{}.{region}.amazonaws.com", self.name())
    }

    fn service_principals(self, region: &str) -> Vec<String> {
        match self {
            KeyService::Logs => vec![
                format!("logs.{region}.amazonaws.com"),
                "logs.amazonaws.com".to_owned(),
            ],
            KeyService::CloudTrail => vec!["cloudtrail.amazonaws.com".to_owned()],
            _ => Vec::new(),
        }
    }

    fn sid(self) -> String {
        let name = match self {
            KeyService::S3 => "S3",
            KeyService::Rds => "Rds",
            KeyService::Logs => "CloudWatchLogs",
            KeyService::CloudTrail => "CloudTrail",
            KeyService::SecretsManager => "SecretsManager",
        };
        format!("AllowUseBy{name}")
    }
}

/// The actions of the break-glass guard on an audit sink's key.
pub const GUARDED_ACTIONS: [&str; 3] = [
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
];

/// Where the statements apply: partition, region, account (a placeholder when
/// STS could not say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyScope {
    pub partition: String,
    pub region: String,
    pub account: Option<String>,
}

impl KeyScope {
    pub fn from_context(ctx: &Context) -> KeyScope {
        KeyScope {
            partition: partition_of(&ctx.region).to_owned(),
            region: ctx.region.clone(),
            account: ctx.account_id.clone(),
        }
    }

    fn account_text(&self) -> &str {
        self.account.as_deref().unwrap_or("<your-account-id>")
    }

    fn root(&self) -> String {
        format!("arn:{}:iam::{}:root", self.partition, self.account_text())
    }
}

fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The statement that lets `service` use the key, restricted to this
/// account and Region: the one a refusal asks to add and the one
/// `phi_kms_key` writes. `principals` are the AWS principals that may use
/// the key through a `kms:ViaService` service (the account, that is IAM,
/// when empty).
pub fn service_statement(service: KeyService, scope: &KeyScope, principals: &[String]) -> Json {
    let account = scope.account_text();
    let p = &scope.partition;
    let r = &scope.region;
    match service {
        KeyService::Logs => json!({
            "Sid": service.sid(),
            "Effect": "Allow",
            "Principal": {"Service": format!("logs.{r}.amazonaws.com")},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": format!("arn:{p}:logs:{r}:{account}:log-group:*")
            }}
        }),
        KeyService::CloudTrail => json!({
            "Sid": service.sid(),
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": format!("arn:{p}:cloudtrail:{r}:{account}:trail/*")}
            }
        }),
        _ => {
            let principal: Json = if principals.is_empty() {
                json!(scope.root())
            } else {
                json!(principals)
            };
            let mut actions = vec![
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:DescribeKey",
            ];
            if service == KeyService::Rds {
                actions.extend(["kms:CreateGrant", "kms:ListGrants"]);
            }
            json!({
                "Sid": service.sid(),
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": actions,
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:ViaService": service.endpoint(r),
                    "kms:CallerAccount": account
                }}
            })
        }
    }
}

/// The Deny statement that keeps everyone but the break-glass principals from
/// disabling, deleting or re-writing an audit sink's key.
pub fn guard_statement(break_glass: &[String]) -> Json {
    json!({
        "Sid": "DenyKeyDestructionExceptBreakGlass",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": GUARDED_ACTIONS,
        "Resource": "*",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": break_glass}}
    })
}

/// The management actions `phi_kms_key` grants its administrators: every
/// action needed to run the key's life cycle, and none that encrypts,
/// decrypts or creates a grant (which would let an administrator give
/// themselves use of the key).
pub const ADMIN_ACTIONS: &[&str] = &[
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:PutKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation",
    "kms:DisableKeyRotation",
    "kms:RotateKeyOnDemand",
    "kms:ListKeyRotations",
    "kms:EnableKey",
    "kms:DisableKey",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:UpdateKeyDescription",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ListResourceTags",
    "kms:CreateAlias",
    "kms:UpdateAlias",
    "kms:DeleteAlias",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:RevokeGrant",
];

/// What `phi_kms_key` writes a key policy from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPolicyInputs {
    pub scope: KeyScope,
    pub services: Vec<KeyService>,
    pub administrators: Vec<String>,
    pub users: Vec<String>,
    /// Break-glass principals when the policy requires the guard on an audit
    /// sink's key (a key CloudTrail may use); empty otherwise.
    pub break_glass: Vec<String>,
}

/// The key policy `phi_kms_key` writes: administrators manage but cannot
/// use; each service uses the key only through its own condition for this
/// account and Region; anyone in the account (through IAM) may read the
/// key's metadata, which is what the provider's plan-time checks need;
/// no statement grants to `*`.
pub fn compliant_policy(inputs: &KeyPolicyInputs) -> Json {
    let mut statements = vec![
        json!({
            "Sid": "AllowKeyAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": inputs.administrators},
            "Action": ADMIN_ACTIONS,
            "Resource": "*"
        }),
        json!({
            "Sid": "AllowAccountToReadKeyMetadata",
            "Effect": "Allow",
            "Principal": {"AWS": inputs.scope.root()},
            "Action": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
            "Resource": "*"
        }),
    ];
    let mut services = inputs.services.clone();
    services.sort();
    services.dedup();
    for service in services {
        statements.push(service_statement(service, &inputs.scope, &inputs.users));
    }
    if !inputs.break_glass.is_empty() {
        statements.push(guard_statement(&inputs.break_glass));
    }
    json!({"Version": "2012-10-17", "Id": "phi-guard-key-policy", "Statement": statements})
}

/// One statement, normalised.
#[derive(Debug, Default)]
struct Statement {
    allow: bool,
    /// `None`: NotPrincipal (everyone but the listed).
    principal: Option<Principal>,
    not_principal_aws: Vec<String>,
    actions: Vec<String>,
    not_actions: Option<Vec<String>>,
    /// (operator, key, values), operator and key lower-cased.
    conditions: Vec<(String, String, Vec<String>)>,
}

#[derive(Debug, Default)]
struct Principal {
    everyone: bool,
    aws: Vec<String>,
    service: Vec<String>,
}

fn strings(v: &Json) -> Vec<String> {
    match v {
        Json::String(s) => vec![s.clone()],
        Json::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        Json::Bool(b) => vec![b.to_string()],
        _ => Vec::new(),
    }
}

fn principal(v: &Json) -> Principal {
    match v {
        Json::String(s) if s == "*" => Principal {
            everyone: true,
            ..Principal::default()
        },
        Json::Object(m) => {
            let aws = m.get("AWS").map(strings).unwrap_or_default();
            Principal {
                everyone: aws.iter().any(|a| a == "*"),
                service: m.get("Service").map(strings).unwrap_or_default(),
                aws,
            }
        }
        _ => Principal::default(),
    }
}

fn parse(document: &str) -> Result<Vec<Statement>, String> {
    let doc: Json =
        serde_json::from_str(document).map_err(|e| format!("it is not valid JSON ({e})"))?;
    let raw = match doc.get("Statement") {
        Some(Json::Array(items)) => items.clone(),
        Some(one @ Json::Object(_)) => vec![one.clone()],
        _ => return Err("it has no Statement".to_owned()),
    };
    Ok(raw.iter().map(statement).collect())
}

fn statement(s: &Json) -> Statement {
    let mut conditions = Vec::new();
    if let Some(Json::Object(ops)) = s.get("Condition") {
        for (op, keys) in ops {
            if let Json::Object(keys) = keys {
                for (key, values) in keys {
                    conditions.push((
                        op.to_ascii_lowercase(),
                        key.to_ascii_lowercase(),
                        strings(values),
                    ));
                }
            }
        }
    }
    Statement {
        allow: s.get("Effect").and_then(Json::as_str) == Some("Allow"),
        principal: s.get("Principal").map(principal),
        not_principal_aws: s
            .get("NotPrincipal")
            .map(|p| match p {
                Json::Object(m) => m.get("AWS").map(strings).unwrap_or_default(),
                other => strings(other),
            })
            .unwrap_or_default(),
        actions: s.get("Action").map(strings).unwrap_or_default(),
        not_actions: s.get("NotAction").map(strings),
        conditions,
    }
}

/// `*` and `?` glob, ASCII case-insensitive when `fold` (IAM action names).
fn glob(pattern: &str, text: &str, fold: bool) -> bool {
    let norm = |s: &str| {
        if fold {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }
    };
    let (p, t) = (norm(pattern), norm(text));
    let (p, t) = (p.as_bytes(), t.as_bytes());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

impl Statement {
    fn covers(&self, action: &str) -> bool {
        match &self.not_actions {
            Some(excluded) => !excluded.iter().any(|a| glob(a, action, true)),
            None => self.actions.iter().any(|a| glob(a, action, true)),
        }
    }

    /// Allow with `*` (or NotPrincipal, which is everyone but a few).
    fn grants_everyone(&self) -> bool {
        self.principal.as_ref().is_some_and(|p| p.everyone)
            || (self.principal.is_none() && !self.not_principal_aws.is_empty())
    }

    /// A condition that limits the callers to named accounts: the account
    /// condition keys compared for equality with concrete 12-digit ids, each
    /// this account or one the policy allows. `...IfExists` does not count
    /// (a request without the key passes it).
    fn restricts_account(&self, ctx: &Context, policy: &Policy) -> bool {
        self.conditions.iter().any(|(op, key, values)| {
            let equality = matches!(op.as_str(), "stringequals" | "stringlike");
            let account_key = matches!(
                key.as_str(),
                "kms:calleraccount" | "aws:principalaccount" | "aws:sourceaccount"
            );
            equality
                && account_key
                && !values.is_empty()
                && values.iter().all(|v| {
                    v.len() == 12
                        && v.chars().all(|c| c.is_ascii_digit())
                        && ctx
                            .account_id
                            .as_ref()
                            .is_none_or(|own| v == own || policy.allowed_accounts().contains(v))
                })
        })
    }

    /// Whether the principal element names someone `service` acts for.
    fn names_service(&self, service: KeyService, scope: &KeyScope) -> bool {
        let Some(p) = &self.principal else {
            return false;
        };
        if p.everyone {
            return true;
        }
        if service.uses_service_principal() {
            let wanted = service.service_principals(&scope.region);
            p.service.iter().any(|s| wanted.contains(s))
        } else {
            // Any principal of this account: the root (IAM decides), a role
            // or user in it, or the bare account id.
            p.aws.iter().any(|a| match &scope.account {
                Some(acct) => a == acct || a.split(':').nth(4) == Some(acct.as_str()),
                None => true,
            })
        }
    }

    /// Whether the conditions we can evaluate admit `service` in this
    /// account and Region.
    fn conditions_admit(&self, service: KeyService, scope: &KeyScope) -> bool {
        self.conditions.iter().all(|(op, key, values)| {
            let if_exists = op.ends_with("ifexists");
            let base = op.trim_end_matches("ifexists");
            let base = base.rsplit(':').next().unwrap_or(base);
            let positive = matches!(
                base,
                "stringequals" | "stringlike" | "stringequalsignorecase" | "arnequals" | "arnlike"
            );
            if !positive {
                return true;
            }
            let any = |want: &str| {
                values
                    .iter()
                    .any(|v| glob(v, want, base.ends_with("ignorecase")))
            };
            match key.as_str() {
                "kms:viaservice" => {
                    if service.uses_service_principal() {
                        if_exists
                    } else {
                        any(&service.endpoint(&scope.region))
                    }
                }
                "kms:calleraccount" | "aws:sourceaccount" | "aws:principalaccount" => {
                    scope.account.as_deref().is_none_or(any)
                }
                k if k == "aws:sourcearn"
                    || k.starts_with("kms:encryptioncontext:aws:")
                    || k == "aws:principalarn" =>
                {
                    values.iter().any(|v| arn_admits(v, scope))
                }
                _ => true,
            }
        })
    }
}

/// An ARN pattern admits this account and Region when its region and
/// account fields match them (names are not compared).
fn arn_admits(pattern: &str, scope: &KeyScope) -> bool {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    if parts.len() < 5 {
        return glob(pattern, "arn:x:x:x:x:x", false);
    }
    let region_ok = parts[3].is_empty() || glob(parts[3], &scope.region, false);
    let account_ok = scope
        .account
        .as_deref()
        .is_none_or(|a| glob(parts[4], a, false));
    region_ok && account_ok
}

/// PHI-KMS-010 over parsed statements.
fn public_grants(statements: &[Statement], ctx: &Context, policy: &Policy) -> Vec<String> {
    statements
        .iter()
        .enumerate()
        .filter(|(_, s)| s.allow && s.grants_everyone() && !s.restricts_account(ctx, policy))
        .map(|(i, s)| {
            let what = if s.not_actions.is_some() {
                "every action but a few".to_owned()
            } else {
                s.actions.join(", ")
            };
            format!("statement {} ({what})", i + 1)
        })
        .collect()
}

fn admitted(statements: &[Statement], service: KeyService, scope: &KeyScope) -> bool {
    service.required_actions().iter().all(|action| {
        let allowed = statements.iter().any(|s| {
            s.allow
                && s.covers(action)
                && s.names_service(service, scope)
                && s.conditions_admit(service, scope)
        });
        let denied = statements.iter().any(|s| {
            !s.allow
                && s.covers(action)
                && s.conditions.is_empty()
                && s.names_service(service, scope)
        });
        allowed && !denied
    })
}

/// Whether a Deny statement keeps everyone but break-glass principals from
/// `action`.
fn guarded(statements: &[Statement], action: &str, break_glass: &[String]) -> bool {
    let within = |arns: &[String]| arns.iter().all(|a| break_glass.contains(a));
    statements.iter().any(|s| {
        if s.allow || !s.covers(action) {
            return false;
        }
        let exempt_ok = s.conditions.iter().all(|(op, key, values)| {
            let exemption = matches!(
                op.as_str(),
                "arnnotequals" | "arnnotlike" | "stringnotequals" | "stringnotlike"
            ) && key == "aws:principalarn";
            exemption && within(values)
        });
        match &s.principal {
            Some(p) => p.everyone && exempt_ok,
            None => !s.not_principal_aws.is_empty() && within(&s.not_principal_aws) && exempt_ok,
        }
    })
}

/// What a phi resource needs of its key's policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyNeeds {
    pub services: Vec<KeyService>,
    /// An audit sink's key: the organisation's break-glass guard applies.
    pub audit_sink: bool,
}

/// Checks a key policy (the JSON GetKeyPolicy returned): PHI-KMS-010 (no
/// grant to everyone without an account condition), PHI-KMS-011 (every
/// service the resource needs is admitted; the message carries the
/// statement to add) and, for an audit sink's key when the policy names
/// break-glass principals, PHI-KMS-012.
pub fn check_key_policy(
    document: &str,
    needs: &KeyNeeds,
    ctx: &Context,
    policy: &Policy,
    path: &[String],
) -> Vec<Violation> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let statements = match parse(document) {
        Ok(s) => s,
        Err(why) => {
            return vec![Violation::new(
                ids::KMS_POLICY_NOT_PUBLIC,
                &p,
                format!(
                    "The key policy could not be analysed: {why}. A policy that cannot be read cannot be shown to be restricted."
                ),
            )];
        }
    };
    let mut out = Vec::new();
    let public = public_grants(&statements, ctx, policy);
    if !public.is_empty() {
        out.push(Violation::new(
            ids::KMS_POLICY_NOT_PUBLIC,
            &p,
            format!(
                "The key policy grants {} to every principal (\"*\") without a condition that \
                 limits the caller's account (kms:CallerAccount, aws:PrincipalAccount or \
                 aws:SourceAccount equal to this account). Remove the statement or add such a \
                 condition.",
                public.join("; ")
            ),
        ));
    }
    let scope = KeyScope::from_context(ctx);
    for &service in &needs.services {
        if !admitted(&statements, service, &scope) {
            let statement = service_statement(service, &scope, &[]);
            out.push(Violation::new(
                ids::KMS_POLICY_ADMITS_SERVICES,
                &p,
                format!(
                    "The key policy does not let {} use the key ({} for this account and \
                     Region), which this resource needs. Add this statement to the key \
                     policy:\n{}",
                    service.label(),
                    service.required_actions().join(", "),
                    serde_json::to_string_pretty(&statement).unwrap_or_default()
                ),
            ));
        }
    }
    let break_glass = policy.audit_key_break_glass_principals();
    if needs.audit_sink && !break_glass.is_empty() {
        let open: Vec<&str> = GUARDED_ACTIONS
            .iter()
            .copied()
            .filter(|a| !guarded(&statements, a, break_glass))
            .collect();
        if !open.is_empty() {
            out.push(Violation::new(
                ids::KMS_POLICY_BREAK_GLASS,
                &p,
                format!(
                    "The policy requires the audit key to deny {} to everyone but its \
                     break-glass principals; the key policy does not. Add this statement:\n{}",
                    open.join(", "),
                    serde_json::to_string_pretty(&guard_statement(break_glass)).unwrap_or_default()
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "111122223333";

    fn ctx() -> Context {
        Context {
            region: "eu-central-1".into(),
            account_id: Some(ACCOUNT.into()),
        }
    }

    fn path() -> Vec<String> {
        vec!["kms_key_arn".to_owned()]
    }

    fn ids_of(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.control.id).collect()
    }

    fn needs(services: &[KeyService]) -> KeyNeeds {
        KeyNeeds {
            services: services.to_vec(),
            audit_sink: false,
        }
    }

    fn doc(statements: Json) -> String {
        json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }

    /// The policy KMS writes when CreateKey is given none.
    fn default_policy() -> String {
        doc(json!([{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]))
    }

    fn written(services: &[KeyService], break_glass: &[&str]) -> String {
        compliant_policy(&KeyPolicyInputs {
            scope: KeyScope::from_context(&ctx()),
            services: services.to_vec(),
            administrators: vec![format!("arn:aws:iam::{ACCOUNT}:role/key-admin")],
            users: vec![],
            break_glass: break_glass.iter().map(|s| (*s).to_owned()).collect(),
        })
        .to_string()
    }

    #[test]
    fn default_policy_admits_the_via_service_services_but_not_logs_or_cloudtrail() {
        let p = Policy::baseline();
        let v = check_key_policy(
            &default_policy(),
            &needs(&[KeyService::S3, KeyService::Rds, KeyService::SecretsManager]),
            &ctx(),
            &p,
            &path(),
        );
        assert!(v.is_empty(), "{v:?}");
        let v = check_key_policy(
            &default_policy(),
            &needs(&[KeyService::Logs, KeyService::CloudTrail]),
            &ctx(),
            &p,
            &path(),
        );
        assert_eq!(
            ids_of(&v),
            [
                ids::KMS_POLICY_ADMITS_SERVICES,
                ids::KMS_POLICY_ADMITS_SERVICES
            ]
        );
        assert!(v[0].message.contains("CloudWatch Logs"), "{}", v[0].message);
        assert!(
            v[0].message.contains("\"logs.eu-central-1.amazonaws.com\""),
            "the statement to add: {}",
            v[0].message
        );
        assert!(
            v[0].message
                .contains("arn:aws:logs:eu-central-1:111122223333:log-group:*"),
            "{}",
            v[0].message
        );
        assert!(
            v[1].message.contains("cloudtrail.amazonaws.com"),
            "{}",
            v[1].message
        );
    }

    #[test]
    fn the_statement_to_add_is_accepted_once_added() {
        let p = Policy::baseline();
        let scope = KeyScope::from_context(&ctx());
        for service in KeyService::ALL {
            let policy = doc(json!([service_statement(service, &scope, &[])]));
            assert!(
                check_key_policy(&policy, &needs(&[service]), &ctx(), &p, &path()).is_empty(),
                "{service:?}"
            );
        }
    }

    #[test]
    fn star_principal_without_account_condition_is_refused() {
        let p = Policy::baseline();
        for principal in [json!("*"), json!({"AWS": "*"}), json!({"AWS": ["*"]})] {
            let policy = doc(json!([{
                "Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt", "Resource": "*"
            }]));
            let v = check_key_policy(&policy, &needs(&[]), &ctx(), &p, &path());
            assert_eq!(ids_of(&v), [ids::KMS_POLICY_NOT_PUBLIC], "{policy}");
            assert!(v[0].message.contains("kms:Decrypt"), "{}", v[0].message);
        }
    }

    #[test]
    fn star_principal_with_this_accounts_condition_passes() {
        let p = Policy::baseline();
        let policy = doc(json!([{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "s3.eu-central-1.amazonaws.com"}}
        }]));
        assert!(
            check_key_policy(&policy, &needs(&[KeyService::S3]), &ctx(), &p, &path()).is_empty()
        );
    }

    #[test]
    fn conditions_that_do_not_pin_this_account_do_not_restrict() {
        let p = Policy::baseline();
        for condition in [
            json!({"StringEquals": {"kms:CallerAccount": "444455556666"}}),
            json!({"StringLike": {"kms:CallerAccount": "*"}}),
            json!({"StringEqualsIfExists": {"aws:PrincipalAccount": ACCOUNT}}),
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
            json!({"Bool": {"aws:SecureTransport": "true"}}),
        ] {
            let policy = doc(json!([{
                "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
                "Condition": condition
            }]));
            let v = check_key_policy(&policy, &needs(&[]), &ctx(), &p, &path());
            assert_eq!(ids_of(&v), [ids::KMS_POLICY_NOT_PUBLIC], "{policy}");
        }
        // A central key account the policy allows does restrict.
        let central = Policy::parse(
            "kms {\n  allowed_accounts = [\"444455556666\"]\n}\n",
            "p.hcl",
        )
        .unwrap();
        let policy = doc(json!([{
            "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*",
            "Condition": {"StringEquals": {"kms:CallerAccount": "444455556666"}}
        }]));
        assert!(check_key_policy(&policy, &needs(&[]), &ctx(), &central, &path()).is_empty());
    }

    #[test]
    fn not_principal_allow_counts_as_everyone() {
        let policy = doc(json!([{
            "Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/x"},
            "Action": "kms:Encrypt", "Resource": "*"
        }]));
        let v = check_key_policy(&policy, &needs(&[]), &ctx(), &Policy::baseline(), &path());
        assert_eq!(ids_of(&v), [ids::KMS_POLICY_NOT_PUBLIC]);
    }

    #[test]
    fn a_statement_for_another_region_or_account_does_not_admit() {
        let p = Policy::baseline();
        let wrong_region = doc(json!([{
            "Effect": "Allow", "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
            "Action": "kms:*", "Resource": "*"
        }]));
        let wrong_account = doc(json!([{
            "Effect": "Allow", "Principal": {"Service": "logs.eu-central-1.amazonaws.com"},
            "Action": "kms:*", "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-central-1:444455556666:*"}}
        }]));
        let wrong_via = doc(json!([{
            "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "kms:*", "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": "s3.eu-central-1.amazonaws.com"}}
        }]));
        for (policy, service) in [
            (wrong_region, KeyService::Logs),
            (wrong_account, KeyService::Logs),
            (wrong_via, KeyService::Rds),
        ] {
            let v = check_key_policy(&policy, &needs(&[service]), &ctx(), &p, &path());
            assert_eq!(ids_of(&v), [ids::KMS_POLICY_ADMITS_SERVICES], "{policy}");
        }
    }

    #[test]
    fn missing_actions_and_unconditional_denies_do_not_admit() {
        let p = Policy::baseline();
        let too_few = doc(json!([{
            "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey", "Resource": "*"
        }]));
        let denied = doc(json!([
            {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant", "Resource": "*"}
        ]));
        let not_action = doc(json!([{
            "Effect": "Allow", "Principal": {"AWS": ACCOUNT},
            "NotAction": ["kms:Decrypt"], "Resource": "*"
        }]));
        for (policy, service) in [
            (too_few, KeyService::CloudTrail),
            (denied, KeyService::Rds),
            (not_action, KeyService::SecretsManager),
        ] {
            let v = check_key_policy(&policy, &needs(&[service]), &ctx(), &p, &path());
            assert_eq!(ids_of(&v), [ids::KMS_POLICY_ADMITS_SERVICES], "{policy}");
        }
    }

    #[test]
    fn wildcard_actions_match_case_insensitively() {
        assert!(glob("kms:GenerateDataKey*", "kms:GenerateDataKey", true));
        assert!(glob("KMS:*", "kms:Decrypt", true));
        assert!(glob("*", "kms:Decrypt", true));
        assert!(!glob("kms:Encrypt*", "kms:Decrypt", true));
        assert!(glob(
            "arn:aws:logs:*:1111?2223333:*",
            "arn:aws:logs:eu-central-1:111122223333:log-group:x",
            false
        ));
    }

    #[test]
    fn break_glass_guard_is_required_only_for_the_sink_when_the_policy_names_principals() {
        let bg = "arn:aws:iam::111122223333:role/break-glass";
        let guarded_policy = Policy::parse(
            &format!("kms {{\n  audit_key_break_glass_principals = [\"{bg}\"]\n}}\n"),
            "p",
        )
        .unwrap();
        let unguarded = written(
            &[KeyService::Logs, KeyService::CloudTrail, KeyService::S3],
            &[],
        );
        let sink = KeyNeeds {
            services: vec![KeyService::Logs, KeyService::CloudTrail, KeyService::S3],
            audit_sink: true,
        };
        // Without the setting nothing is required.
        assert!(
            check_key_policy(&unguarded, &sink, &ctx(), &Policy::baseline(), &path()).is_empty()
        );
        let v = check_key_policy(&unguarded, &sink, &ctx(), &guarded_policy, &path());
        assert_eq!(ids_of(&v), [ids::KMS_POLICY_BREAK_GLASS]);
        assert!(
            v[0].message.contains("kms:PutKeyPolicy"),
            "{}",
            v[0].message
        );
        assert!(v[0].message.contains(bg), "{}", v[0].message);
        // A bucket's key is not an audit key.
        let bucket = needs(&[KeyService::S3]);
        assert!(check_key_policy(&unguarded, &bucket, &ctx(), &guarded_policy, &path()).is_empty());
        // The statement phi_kms_key writes satisfies it.
        let guarded = written(
            &[KeyService::Logs, KeyService::CloudTrail, KeyService::S3],
            &[bg],
        );
        assert!(check_key_policy(&guarded, &sink, &ctx(), &guarded_policy, &path()).is_empty());
        // Exempting someone who is not break-glass does not.
        let too_wide = guard_statement(&[
            bg.to_owned(),
            "arn:aws:iam::111122223333:role/dev".to_owned(),
        ]);
        let mut statements = serde_json::from_str::<Json>(&unguarded).unwrap()["Statement"]
            .as_array()
            .unwrap()
            .clone();
        statements.push(too_wide);
        let v = check_key_policy(
            &doc(Json::Array(statements)),
            &sink,
            &ctx(),
            &guarded_policy,
            &path(),
        );
        assert_eq!(ids_of(&v), [ids::KMS_POLICY_BREAK_GLASS]);
    }

    #[test]
    fn the_written_policy_passes_every_check_and_never_grants_to_everyone() {
        let all = written(&KeyService::ALL, &[]);
        let v = check_key_policy(
            &all,
            &KeyNeeds {
                services: KeyService::ALL.to_vec(),
                audit_sink: true,
            },
            &ctx(),
            &Policy::baseline(),
            &path(),
        );
        assert!(v.is_empty(), "{v:?}");
        assert!(
            !all.contains("\"*\"]") && !all.contains("\"AWS\":\"*\""),
            "{all}"
        );
    }

    #[test]
    fn administrators_manage_but_cannot_use() {
        let policy: Json = serde_json::from_str(&written(&[KeyService::S3], &[])).unwrap();
        let admin = &policy["Statement"][0];
        assert_eq!(admin["Sid"], "AllowKeyAdministration");
        let actions = strings(&admin["Action"]);
        for forbidden in [
            "kms:Encrypt",
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "kms:ReEncryptFrom",
            "kms:CreateGrant",
        ] {
            assert!(
                !actions.iter().any(|a| glob(a, forbidden, true)),
                "{forbidden}"
            );
        }
        for needed in [
            "kms:PutKeyPolicy",
            "kms:ScheduleKeyDeletion",
            "kms:EnableKeyRotation",
        ] {
            assert!(actions.iter().any(|a| a == needed), "{needed}");
        }
    }

    #[test]
    fn unreadable_policy_is_not_a_pass() {
        let v = check_key_policy(
            "not json",
            &needs(&[]),
            &ctx(),
            &Policy::baseline(),
            &path(),
        );
        assert_eq!(ids_of(&v), [ids::KMS_POLICY_NOT_PUBLIC]);
    }

    #[test]
    fn unknown_account_gets_a_placeholder_in_the_statement() {
        let unknown = Context {
            region: "eu-central-1".into(),
            account_id: None,
        };
        let v = check_key_policy(
            &default_policy(),
            &needs(&[KeyService::Logs]),
            &unknown,
            &Policy::baseline(),
            &path(),
        );
        assert!(
            v[0].message.contains("<your-account-id>"),
            "{}",
            v[0].message
        );
    }
}
