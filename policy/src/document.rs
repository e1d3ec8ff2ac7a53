//! The organisation policy document, `phi-policy.hcl`.
//!
//! It says what only an organisation can know (approved regions, required
//! tags, approved module sources) and may tighten the built-in baseline. It
//! can never loosen it: a value weaker than the baseline is an error that
//! points to the `exception` block, which records who accepted the risk, why,
//! and until when. The format is documented in `policy/README.md`.

use std::ops::Range;
use std::path::Path;

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Attribute, Block, BlockLabel, Body, Structure};
use thiserror::Error;

use crate::exceptions::Exception;
use crate::regions;

/// Baseline audit retention floor: six years, HIPAA's documentation period.
pub const BASELINE_RETENTION_MIN_DAYS: i64 = 2192;
/// Baseline audit retention ceiling (GDPR wants an upper bound): ten years.
pub const BASELINE_RETENTION_MAX_DAYS: i64 = 3653;
/// Baseline longest KMS rotation period.
pub const BASELINE_ROTATION_MAX_DAYS: i64 = 365;
/// Baseline shortest waiting period before KMS deletes a `phi_kms_key`
/// (KMS's own minimum).
pub const BASELINE_KEY_DELETION_WINDOW_MIN_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    approved_regions: Vec<String>,
    audit_retention_min_days: i64,
    audit_retention_max_days: i64,
    audit_break_glass_principals: Vec<String>,
    kms_rotation_max_days: i64,
    allowed_accounts: Vec<String>,
    required_tags: Vec<String>,
    approved_modules: Vec<String>,
    unsuppressible: Vec<String>,
    raw_resource_types: Vec<String>,
    exceptions: Vec<Exception>,
    database: crate::engines::DatabasePolicy,
    /// How far ahead of today an exception may expire, when the policy caps
    /// it (`exception_max_days`).
    exception_max_days: Option<i64>,
    /// Settings that are valid but probably not meant (`approved_modules =
    /// ["*"]`): both programs print them and carry on.
    warnings: Vec<Problem>,
    audit_key_break_glass_principals: Vec<String>,
    key_deletion_window_min_days: i64,
}

/// Every top-level attribute a policy file may set.
pub const TOP_ATTRIBUTES: &[&str] = &[
    "required_tags",
    "approved_modules",
    "unsuppressible",
    "raw_resource_types",
    "exception_max_days",
];
/// Every top-level block a policy file may hold.
pub const TOP_BLOCKS: &[&str] = &["regions", "audit", "kms", "database", "exception"];

/// Resource types that would hold or protect PHI without the controls the
/// phi resources enforce (globs over the type name).
pub const BASELINE_RAW_RESOURCE_TYPES: &[&str] = &[
    "aws_s3_bucket",
    "aws_s3_bucket_*",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_cloudwatch_log_group",
];

/// One problem in a policy file, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("{file}: cannot read the policy file: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render(file, problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
}

fn render(file: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{file}:{}:{}: {}", p.line, p.column, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

impl PolicyError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            PolicyError::Io { .. } => &[],
            PolicyError::Invalid { problems, .. } => problems,
        }
    }
}

impl Policy {
    /// The built-in baseline: the strictest sensible default. Approved
    /// regions default to the EU member-state regions and the four US
    /// regions; organisations narrow this in their policy file.
    pub fn baseline() -> Policy {
        let mut regions: Vec<String> = regions::EU_STRICT
            .iter()
            .chain(regions::US_HIPAA)
            .map(|s| (*s).to_owned())
            .collect();
        regions.sort();
        Policy {
            approved_regions: regions,
            audit_retention_min_days: BASELINE_RETENTION_MIN_DAYS,
            audit_retention_max_days: BASELINE_RETENTION_MAX_DAYS,
            audit_break_glass_principals: Vec::new(),
            kms_rotation_max_days: BASELINE_ROTATION_MAX_DAYS,
            allowed_accounts: Vec::new(),
            required_tags: Vec::new(),
            // The project's own compliant modules, in their published form
            // (the linter also requires a `?ref=` pin); local paths are
            // always allowed because their files are linted themselves.
            approved_modules: vec![
                "git::https://github.com/phi-guard/phi-guard.git//modules/*".to_owned(),
                "git::ssh://git@github.com/phi-guard/phi-guard.git//modules/*".to_owned(),
            ],
            unsuppressible: Vec::new(),
            raw_resource_types: BASELINE_RAW_RESOURCE_TYPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            exceptions: Vec::new(),
            database: crate::engines::DatabasePolicy::baseline(),
            exception_max_days: None,
            warnings: Vec::new(),
            audit_key_break_glass_principals: Vec::new(),
            key_deletion_window_min_days: BASELINE_KEY_DELETION_WINDOW_MIN_DAYS,
        }
    }

    /// Reads and parses a policy file; errors name the file as given. Only
    /// a regular file under [`crate::source::MAX_POLICY_BYTES`] is read (a
    /// FIFO or device would block or never end).
    pub fn load(path: impl AsRef<Path>) -> Result<Policy, PolicyError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let src = crate::source::read_policy_text(path).map_err(|source| PolicyError::Io {
            file: file.clone(),
            source,
        })?;
        Policy::parse(&src, &file)
    }

    /// Parses policy text. Every problem is collected and reported at its
    /// line and column in `file_name`, not just the first.
    pub fn parse(src: &str, file_name: &str) -> Result<Policy, PolicyError> {
        let body = hcl_edit::parser::parse_body(src).map_err(|e| PolicyError::Invalid {
            file: file_name.to_owned(),
            problems: vec![Problem {
                line: e.location().line(),
                column: e.location().column(),
                message: format!("syntax error: {}", e.message()),
            }],
        })?;
        let mut reader = Reader {
            src,
            problems: Vec::new(),
            policy: Policy::baseline(),
            seen_blocks: Vec::new(),
        };
        reader.body(&body);
        if reader.problems.is_empty() {
            Ok(reader.policy)
        } else {
            Err(PolicyError::Invalid {
                file: file_name.to_owned(),
                problems: reader.problems,
            })
        }
    }

    pub fn approved_regions(&self) -> &[String] {
        &self.approved_regions
    }
    pub fn is_region_approved(&self, region: &str) -> bool {
        self.approved_regions.iter().any(|r| r == region)
    }
    pub fn audit_retention_min_days(&self) -> i64 {
        self.audit_retention_min_days
    }
    pub fn audit_retention_max_days(&self) -> i64 {
        self.audit_retention_max_days
    }
    /// IAM principals (role or user ARNs) that may still change an audit
    /// archive's lock, lifecycle and policy, or bypass governance retention;
    /// empty means no one (PHI-AUD-003).
    pub fn audit_break_glass_principals(&self) -> &[String] {
        &self.audit_break_glass_principals
    }
    pub fn kms_rotation_max_days(&self) -> i64 {
        self.kms_rotation_max_days
    }
    /// The principals an audit sink's key may leave able to disable,
    /// delete or re-write it; when non-empty the key policy must deny those
    /// actions to everyone else (PHI-KMS-012).
    pub fn audit_key_break_glass_principals(&self) -> &[String] {
        &self.audit_key_break_glass_principals
    }
    /// The shortest deletion waiting period a `phi_kms_key` may have.
    pub fn key_deletion_window_min_days(&self) -> i64 {
        self.key_deletion_window_min_days
    }
    pub fn allowed_accounts(&self) -> &[String] {
        &self.allowed_accounts
    }
    pub fn required_tags(&self) -> &[String] {
        &self.required_tags
    }
    pub fn approved_modules(&self) -> &[String] {
        &self.approved_modules
    }
    pub fn unsuppressible(&self) -> &[String] {
        &self.unsuppressible
    }
    pub fn raw_resource_types(&self) -> &[String] {
        &self.raw_resource_types
    }
    pub fn is_raw_resource(&self, resource_type: &str) -> bool {
        self.raw_resource_types
            .iter()
            .any(|p| crate::exceptions::glob_match(p, resource_type))
    }
    pub fn exceptions(&self) -> &[Exception] {
        &self.exceptions
    }
    /// The `database` section: approved engine versions, backup floor, Multi-AZ.
    pub fn database(&self) -> &crate::engines::DatabasePolicy {
        &self.database
    }
    pub fn exception_max_days(&self) -> Option<i64> {
        self.exception_max_days
    }
    /// Valid settings that are probably a mistake, with their position.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Exceptions that expire further ahead of `today` than the policy's
    /// `exception_max_days` allows, each described for an error message.
    /// Both programs refuse such a policy (see [`crate::source::resolve`]).
    pub fn exceptions_beyond_cap(&self, today: time::Date) -> Vec<String> {
        let Some(max) = self.exception_max_days else {
            return Vec::new();
        };
        let limit = today.checked_add(time::Duration::days(max));
        self.exceptions
            .iter()
            .filter(|e| limit.is_none_or(|l| e.expires > l))
            .map(|e| {
                format!(
                    "the exception for {} (scope {}) expires on {}, more than \
                     exception_max_days = {max} days after today ({today}); shorten it",
                    e.control, e.scope, e.expires
                )
            })
            .collect()
    }
}

/// The candidate closest to `word` by edit distance, when it is close
/// enough to be a typo.
pub fn nearest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    nearest(word, candidates).map_or(String::new(), |c| format!(" (did you mean `{c}`?)"))
}

/// `arn:<partition>:iam::<12-digit account>:role/<path/name>` or `user/…`:
/// the only principals a bucket policy's `aws:PrincipalArn` can name for a
/// person or a break-glass role.
fn is_iam_principal_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, iam, region, account, resource] = parts.as_slice() else {
        return false;
    };
    *arn == "arn"
        && partition.starts_with("aws")
        && *iam == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && (resource
            .strip_prefix("role/")
            .is_some_and(|n| !n.is_empty())
            || resource
                .strip_prefix("user/")
                .is_some_and(|n| !n.is_empty()))
}

/// Walks the parsed body, filling the policy and collecting every problem.
struct Reader<'a> {
    src: &'a str,
    problems: Vec<Problem>,
    policy: Policy,
    /// Blocks that may appear once, already read.
    seen_blocks: Vec<String>,
}

impl Reader<'_> {
    fn warning(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        let before = self.problems.len();
        self.problem(span, message);
        if let Some(p) = self.problems.drain(before..).next() {
            self.policy.warnings.push(p);
        }
    }

    fn problem(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        let offset = span.map_or(0, |s| s.start).min(self.src.len());
        let before = &self.src[..offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        self.problems.push(Problem {
            line,
            column,
            message: message.into(),
        });
    }

    fn body(&mut self, body: &Body) {
        for structure in body.iter() {
            match structure {
                Structure::Attribute(a) => self.top_attribute(a),
                Structure::Block(b) => self.top_block(b),
            }
        }
    }

    fn top_attribute(&mut self, a: &Attribute) {
        match a.key.as_str() {
            "required_tags" => {
                if let Some(v) = self.strings(a) {
                    self.policy.required_tags = v;
                }
            }
            "approved_modules" => {
                if let Some(v) = self.strings(a) {
                    if v.iter().any(|m| m.trim() == "*") {
                        self.warning(
                            a.value.span(),
                            "approved_modules contains \"*\": every module source is approved, \
                             so PHI-LNT-004 never fires and raw resources inside any module \
                             pass; list the organisation's module sources instead",
                        );
                    }
                    self.policy.approved_modules = v;
                }
            }
            "exception_max_days" => {
                if let Some(n) = self.integer(a) {
                    if n < 1 {
                        self.problem(
                            a.value.span(),
                            "exception_max_days must be at least 1 (days from today)",
                        );
                    } else {
                        self.policy.exception_max_days = Some(n);
                    }
                }
            }
            "raw_resource_types" => {
                if let Some(v) = self.strings(a) {
                    let missing: Vec<&str> = BASELINE_RAW_RESOURCE_TYPES
                        .iter()
                        .copied()
                        .filter(|b| !v.iter().any(|x| x == b))
                        .collect();
                    if missing.is_empty() {
                        self.policy.raw_resource_types = v;
                    } else {
                        self.problem(
                            a.value.span(),
                            format!(
                                "raw_resource_types drops {} from the baseline; a policy may only \
                                 add types. Record an `exception \"PHI-LNT-003\"` block instead.",
                                missing.join(", ")
                            ),
                        );
                    }
                }
            }
            "unsuppressible" => {
                if let Some(v) = self.strings(a) {
                    for id in &v {
                        if crate::catalogue::control(id).is_none() {
                            self.problem(a.value.span(), format!("unknown control id {id:?}"));
                        }
                    }
                    self.policy.unsuppressible = v;
                }
            }
            other => {
                let all: Vec<&str> = TOP_ATTRIBUTES.iter().chain(TOP_BLOCKS).copied().collect();
                self.problem(
                    a.key.span(),
                    format!(
                        "unknown attribute `{other}`{}; expected one of the attributes {} or \
                         one of the blocks {}",
                        did_you_mean(other, &all),
                        TOP_ATTRIBUTES.join(", "),
                        TOP_BLOCKS.join(", ")
                    ),
                )
            }
        }
    }

    fn top_block(&mut self, b: &Block) {
        let ident = b.ident.as_str();
        if ident != "exception" && TOP_BLOCKS.contains(&ident) {
            if self.seen_blocks.iter().any(|s| s == ident) {
                self.problem(
                    b.ident.span(),
                    format!(
                        "a second `{ident}` block; a policy file takes each block once (only \
                         `exception` repeats): merge the two"
                    ),
                );
                return;
            }
            self.seen_blocks.push(ident.to_owned());
        }
        match ident {
            "regions" => self.regions(b),
            "audit" => self.audit(b),
            "kms" => self.kms(b),
            "exception" => self.exception(b),
            "database" => self.database(b),
            other => {
                let all: Vec<&str> = TOP_BLOCKS.iter().chain(TOP_ATTRIBUTES).copied().collect();
                self.problem(
                    b.ident.span(),
                    format!(
                        "unknown block `{other}`{}; expected one of the blocks {}",
                        did_you_mean(other, &all),
                        TOP_BLOCKS.join(", ")
                    ),
                )
            }
        }
    }

    fn no_labels(&mut self, b: &Block) {
        if let Some(l) = b.labels.first() {
            self.problem(
                l.span(),
                format!("the `{}` block takes no label", b.ident.as_str()),
            );
        }
    }

    /// The attributes of a block; nested blocks are problems.
    fn attributes<'b>(&mut self, b: &'b Block) -> Vec<&'b Attribute> {
        let mut out = Vec::new();
        for s in b.body.iter() {
            match s {
                Structure::Attribute(a) => out.push(a),
                Structure::Block(inner) => self.problem(
                    inner.ident.span(),
                    format!("unexpected block inside `{}`", b.ident.as_str()),
                ),
            }
        }
        out
    }

    fn regions(&mut self, b: &Block) {
        self.no_labels(b);
        let mut approved: Vec<String> = Vec::new();
        for a in self.attributes(b) {
            match a.key.as_str() {
                "profiles" => {
                    for name in self.strings(a).unwrap_or_default() {
                        match regions::profile(&name) {
                            Some(rs) => approved.extend(rs.iter().map(|r| (*r).to_owned())),
                            None => self.problem(
                                a.value.span(),
                                format!(
                                    "unknown region profile {name:?}; known profiles: {}",
                                    regions::PROFILES
                                        .iter()
                                        .map(|(n, _)| *n)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            ),
                        }
                    }
                }
                "extra" => {
                    for r in self.strings(a).unwrap_or_default() {
                        if regions::is_known_region(&r) {
                            approved.push(r);
                        } else {
                            self.problem(a.value.span(), format!("unknown AWS region {r:?}"));
                        }
                    }
                }
                other => self.problem(
                    a.key.span(),
                    format!("unknown attribute `{other}` in `regions`; expected profiles or extra"),
                ),
            }
        }
        if approved.is_empty() {
            self.problem(b.ident.span(), "the `regions` block approves no region");
        }
        approved.sort();
        approved.dedup();
        self.policy.approved_regions = approved;
    }

    fn audit(&mut self, b: &Block) {
        self.no_labels(b);
        let mut max_span = None;
        for a in self.attributes(b) {
            match a.key.as_str() {
                "retention_min_days" => {
                    if let Some(v) = self.integer(a) {
                        if v < BASELINE_RETENTION_MIN_DAYS {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "retention_min_days = {v} loosens the baseline floor of \
                                     {BASELINE_RETENTION_MIN_DAYS} days; a policy may only tighten \
                                     it. Record an `exception \"PHI-LOG-001\"` block instead."
                                ),
                            );
                        } else {
                            self.policy.audit_retention_min_days = v;
                        }
                    }
                }
                "retention_max_days" => {
                    if let Some(v) = self.integer(a) {
                        if v > BASELINE_RETENTION_MAX_DAYS {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "retention_max_days = {v} loosens the baseline ceiling of \
                                     {BASELINE_RETENTION_MAX_DAYS} days (GDPR storage limitation); \
                                     a policy may only tighten it. Record an \
                                     `exception \"PHI-LOG-001\"` block instead."
                                ),
                            );
                        } else {
                            max_span = a.value.span();
                            self.policy.audit_retention_max_days = v;
                        }
                    }
                }
                "break_glass_principals" => {
                    let principals = self.strings(a).unwrap_or_default();
                    for p in &principals {
                        if !is_iam_principal_arn(p) {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "{p:?} is not the ARN of an IAM role or user \
                                     (arn:aws:iam::<account>:role/<name>)"
                                ),
                            );
                        }
                    }
                    let mut principals = principals;
                    principals.sort();
                    principals.dedup();
                    self.policy.audit_break_glass_principals = principals;
                }
                other => self.problem(
                    a.key.span(),
                    format!(
                        "unknown attribute `{other}` in `audit`; expected retention_min_days, \
                         retention_max_days or break_glass_principals"
                    ),
                ),
            }
        }
        let (min, max) = (
            self.policy.audit_retention_min_days,
            self.policy.audit_retention_max_days,
        );
        if max < min {
            self.problem(
                max_span.or_else(|| b.ident.span()),
                format!("retention_max_days = {max} is below the retention floor of {min} days"),
            );
        } else if crate::checks::audit_log_sink::acceptable_retention(&self.policy).is_empty() {
            // Otherwise every sink would be refused, whatever it set.
            self.problem(
                max_span.or_else(|| b.ident.span()),
                format!(
                    "no retention CloudWatch Logs accepts lies between {min} and {max} days; \
                     choose bounds that include one of 2192, 2557, 2922, 3288 or 3653"
                ),
            );
        }
    }

    fn kms(&mut self, b: &Block) {
        self.no_labels(b);
        for a in self.attributes(b) {
            match a.key.as_str() {
                "rotation_max_days" => {
                    if let Some(v) = self.integer(a) {
                        if v > BASELINE_ROTATION_MAX_DAYS {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "rotation_max_days = {v} loosens the baseline of \
                                     {BASELINE_ROTATION_MAX_DAYS} days; a policy may only tighten \
                                     it. Record an `exception \"PHI-KMS-004\"` block instead."
                                ),
                            );
                        } else if v < 90 {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "rotation_max_days = {v}: KMS rotates at most every 90 days"
                                ),
                            );
                        } else {
                            self.policy.kms_rotation_max_days = v;
                        }
                    }
                }
                "allowed_accounts" => {
                    let accounts = self.strings(a).unwrap_or_default();
                    for acct in &accounts {
                        if acct.len() != 12 || !acct.chars().all(|c| c.is_ascii_digit()) {
                            self.problem(
                                a.value.span(),
                                format!("{acct:?} is not a 12-digit AWS account id"),
                            );
                        }
                    }
                    self.policy.allowed_accounts = accounts;
                }
                "audit_key_break_glass_principals" => {
                    let principals = self.strings(a).unwrap_or_default();
                    for arn in &principals {
                        let fields: Vec<&str> = arn.splitn(6, ':').collect();
                        let iam_arn = fields.len() == 6
                            && fields[0] == "arn"
                            && fields[2] == "iam"
                            && fields[4].len() == 12
                            && fields[4].chars().all(|c| c.is_ascii_digit());
                        if !iam_arn || arn.contains('*') {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "{arn:?} is not the ARN of an IAM role or user \
                                     (arn:aws:iam::<account>:role/<name>, no wildcards)"
                                ),
                            );
                        }
                    }
                    self.policy.audit_key_break_glass_principals = principals;
                }
                "deletion_window_min_days" => {
                    if let Some(v) = self.integer(a) {
                        if !(BASELINE_KEY_DELETION_WINDOW_MIN_DAYS..=30).contains(&v) {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "deletion_window_min_days = {v}: KMS waits 7 to 30 days \
                                     before deleting a key"
                                ),
                            );
                        } else {
                            self.policy.key_deletion_window_min_days = v;
                        }
                    }
                }
                other => self.problem(
                    a.key.span(),
                    format!(
                        "unknown attribute `{other}` in `kms`; expected rotation_max_days, \
                         allowed_accounts, audit_key_break_glass_principals or \
                         deletion_window_min_days"
                    ),
                ),
            }
        }
    }

    fn exception(&mut self, b: &Block) {
        let control = match b.labels.as_slice() {
            [BlockLabel::String(s)] => s.value().to_string(),
            [BlockLabel::Ident(i)] => i.as_str().to_owned(),
            _ => {
                self.problem(
                    b.ident.span(),
                    "an exception block takes exactly one label: the control id, e.g. \
                     exception \"PHI-LOG-001\" { ... }",
                );
                return;
            }
        };
        if crate::catalogue::control(&control).is_none() {
            self.problem(
                b.labels[0].span(),
                format!("unknown control id {control:?}"),
            );
        }
        let (mut scope, mut owner, mut reason, mut expires) = (None, None, None, None);
        for a in self.attributes(b) {
            let key = a.key.as_str();
            match key {
                "scope" | "owner" | "reason" | "expires" => {
                    let Some(v) = self.string(a) else { continue };
                    if v.trim().is_empty() {
                        self.problem(a.value.span(), format!("`{key}` must not be empty"));
                        continue;
                    }
                    match key {
                        "scope" => {
                            if crate::exceptions::parse_scope(&v).is_none() {
                                self.problem(
                                    a.value.span(),
                                    format!(
                                        "scope {v:?} must be `<resource type>.<name pattern>`, \
                                         e.g. \"phi_audit_log_sink.acme-dev-*\""
                                    ),
                                );
                            }
                            scope = Some(v);
                        }
                        "owner" => owner = Some(v),
                        "reason" => reason = Some(v),
                        _ => match parse_date(&v) {
                            Some(d) => expires = Some(d),
                            None => self.problem(
                                a.value.span(),
                                format!("expires {v:?} is not a date in the form YYYY-MM-DD"),
                            ),
                        },
                    }
                }
                other => self.problem(
                    a.key.span(),
                    format!(
                        "unknown attribute `{other}` in `exception`; expected scope, owner, \
                         reason and expires"
                    ),
                ),
            }
        }
        for (name, present) in [
            ("scope", scope.is_some()),
            ("owner", owner.is_some()),
            ("reason", reason.is_some()),
            ("expires", expires.is_some()),
        ] {
            if !present && !self.has_problem_in(b) {
                self.problem(
                    b.ident.span(),
                    format!("the exception for {control} has no `{name}`; all four are required"),
                );
            }
        }
        if let (Some(scope), Some(owner), Some(reason), Some(expires)) =
            (scope, owner, reason, expires)
        {
            self.policy.exceptions.push(Exception {
                control,
                scope,
                owner,
                reason,
                expires,
            });
        }
    }

    /// Whether a problem was already reported inside this block (so a bad
    /// value is not reported again as a missing one).
    fn has_problem_in(&self, b: &Block) -> bool {
        let Some(span) = b.span() else { return false };
        let start_line = self.src[..span.start.min(self.src.len())]
            .matches('\n')
            .count()
            + 1;
        let end_line = self.src[..span.end.min(self.src.len())]
            .matches('\n')
            .count()
            + 1;
        self.problems
            .iter()
            .any(|p| p.line > start_line && p.line <= end_line)
    }

    fn string(&mut self, a: &Attribute) -> Option<String> {
        match &a.value {
            Expression::String(s) => Some(s.value().to_string()),
            _ => {
                self.problem(
                    a.value.span(),
                    format!("`{}` must be a quoted string", a.key.as_str()),
                );
                None
            }
        }
    }

    fn strings(&mut self, a: &Attribute) -> Option<Vec<String>> {
        let Expression::Array(items) = &a.value else {
            self.problem(
                a.value.span(),
                format!("`{}` must be a list of quoted strings", a.key.as_str()),
            );
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item {
                Expression::String(s) => out.push(s.value().to_string()),
                other => {
                    self.problem(
                        other.span(),
                        format!("`{}` must contain only quoted strings", a.key.as_str()),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    /// `database { engine_versions, backup_retention_min_days, require_multi_az }`:
    /// each may only tighten the baseline (see `crate::engines`).
    fn database(&mut self, b: &Block) {
        use crate::engines::{BASELINE_BACKUP_MIN_DAYS, RDS_BACKUP_MAX_DAYS};
        self.no_labels(b);
        for a in self.attributes(b) {
            match a.key.as_str() {
                "engine_versions" => {
                    let Some(entries) = self.strings(a) else {
                        continue;
                    };
                    let mut approved = Vec::new();
                    for entry in entries {
                        let Some((engine, pattern)) = entry.split_once(' ') else {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "{entry:?} must be `<engine> <version pattern>`, e.g. \
                                     \"postgres 16.*\""
                                ),
                            );
                            continue;
                        };
                        match crate::engines::entry_within_baseline(engine, pattern.trim()) {
                            Ok(()) => approved.push((engine.to_owned(), pattern.trim().to_owned())),
                            Err(why) => self.problem(a.value.span(), why),
                        }
                    }
                    if approved.is_empty() {
                        self.problem(a.value.span(), "engine_versions approves no version");
                    } else {
                        self.policy.database.engine_versions = approved;
                    }
                }
                "backup_retention_min_days" => {
                    if let Some(v) = self.integer(a) {
                        if v < BASELINE_BACKUP_MIN_DAYS {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "backup_retention_min_days = {v} loosens the baseline of \
                                     {BASELINE_BACKUP_MIN_DAYS} days; a policy may only tighten \
                                     it. Record an `exception \"PHI-RDS-007\"` block instead."
                                ),
                            );
                        } else if v > RDS_BACKUP_MAX_DAYS {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "backup_retention_min_days = {v}: RDS keeps automated \
                                     backups at most {RDS_BACKUP_MAX_DAYS} days"
                                ),
                            );
                        } else {
                            self.policy.database.backup_retention_min_days = v;
                        }
                    }
                }
                "require_multi_az" => match &a.value {
                    Expression::Bool(v) => {
                        // `false` is the baseline; it cannot lift a stricter
                        // setting because there is none below the baseline.
                        self.policy.database.require_multi_az = *v.value();
                    }
                    _ => self.problem(a.value.span(), "`require_multi_az` must be true or false"),
                },
                "forbidden_ingress_cidrs" => {
                    let Some(entries) = self.strings(a) else {
                        continue;
                    };
                    for entry in &entries {
                        if !crate::engines::cidr_well_formed(entry) {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "{entry:?} is not a CIDR block such as \"10.0.0.0/8\" or \
                                     \"2001:db8::/32\""
                                ),
                            );
                        }
                    }
                    self.policy.database.forbidden_ingress_cidrs = entries;
                }
                "pgaudit_log" => {
                    use crate::engines::{BASELINE_PGAUDIT_LOG, PGAUDIT_CLASSES};
                    let Some(entries) = self.strings(a) else {
                        continue;
                    };
                    let unknown: Vec<&String> = entries
                        .iter()
                        .filter(|c| !PGAUDIT_CLASSES.contains(&c.as_str()))
                        .collect();
                    let covers = |class: &str| entries.iter().any(|c| c == class || c == "all");
                    let dropped: Vec<&str> = BASELINE_PGAUDIT_LOG
                        .iter()
                        .copied()
                        .filter(|c| !covers(c))
                        .collect();
                    if !unknown.is_empty() {
                        self.problem(
                            a.value.span(),
                            format!(
                                "pgaudit_log has unknown classes {unknown:?}; pgaudit knows {}",
                                PGAUDIT_CLASSES.join(", ")
                            ),
                        );
                    } else if !dropped.is_empty() {
                        self.problem(
                            a.value.span(),
                            format!(
                                "pgaudit_log drops the baseline classes {dropped:?}; a policy may \
                                 only add classes to {}: reads and writes of PHI are always \
                                 audited.",
                                BASELINE_PGAUDIT_LOG.join(", ")
                            ),
                        );
                    } else {
                        self.policy.database.pgaudit_log = entries;
                    }
                }
                "pgaudit_log_parameter" => match &a.value {
                    Expression::Bool(v) => {
                        self.policy.database.pgaudit_log_parameter = *v.value();
                    }
                    _ => self.problem(
                        a.value.span(),
                        "`pgaudit_log_parameter` must be true or false",
                    ),
                },
                "require_performance_insights" => match &a.value {
                    Expression::Bool(v) => {
                        self.policy.database.require_performance_insights = *v.value();
                    }
                    _ => self.problem(
                        a.value.span(),
                        "`require_performance_insights` must be true or false",
                    ),
                },
                "performance_insights_max_retention_days" => {
                    use crate::engines::{
                        PERFORMANCE_INSIGHTS_MAX_RETENTION_DAYS,
                        performance_insights_retention_valid,
                    };
                    if let Some(v) = self.integer(a) {
                        if !performance_insights_retention_valid(v) {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "performance_insights_max_retention_days = {v}: Performance \
                                     Insights keeps 7 days or a whole number of months (31, 62, \
                                     ... 713) or {PERFORMANCE_INSIGHTS_MAX_RETENTION_DAYS} days"
                                ),
                            );
                        } else {
                            self.policy.database.performance_insights_max_retention_days = v;
                        }
                    }
                }
                "require_enhanced_monitoring" => match &a.value {
                    Expression::Bool(v) => {
                        self.policy.database.require_enhanced_monitoring = *v.value();
                    }
                    _ => self.problem(
                        a.value.span(),
                        "`require_enhanced_monitoring` must be true or false",
                    ),
                },
                "enhanced_monitoring_interval" => {
                    use crate::engines::ENHANCED_MONITORING_INTERVALS;
                    if let Some(v) = self.integer(a) {
                        if ENHANCED_MONITORING_INTERVALS.contains(&v) {
                            self.policy.database.enhanced_monitoring_interval = v;
                        } else {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "enhanced_monitoring_interval = {v}: RDS accepts 1, 5, 10, \
                                     15, 30 or 60 seconds"
                                ),
                            );
                        }
                    }
                }
                "snapshot_allowed_accounts" => {
                    let Some(entries) = self.strings(a) else {
                        continue;
                    };
                    let bad: Vec<&String> = entries
                        .iter()
                        .filter(|e| e.len() != 12 || !e.chars().all(|c| c.is_ascii_digit()))
                        .collect();
                    if bad.is_empty() {
                        self.policy.database.snapshot_allowed_accounts = entries;
                    } else {
                        self.problem(
                            a.value.span(),
                            format!(
                                "snapshot_allowed_accounts lists {bad:?}; each entry must be a \
                                 12-digit AWS account id (public sharing is never allowed)"
                            ),
                        );
                    }
                }
                "secret_rotation_max_days" => {
                    use crate::engines::BASELINE_SECRET_ROTATION_MAX_DAYS;
                    if let Some(v) = self.integer(a) {
                        if (1..=BASELINE_SECRET_ROTATION_MAX_DAYS).contains(&v) {
                            self.policy.database.secret_rotation_max_days = v;
                        } else {
                            self.problem(
                                a.value.span(),
                                format!(
                                    "secret_rotation_max_days = {v}: the master secret must \
                                     rotate at least every {BASELINE_SECRET_ROTATION_MAX_DAYS} \
                                     days (the baseline, what RDS sets); the policy may only \
                                     shorten this, down to 1 day"
                                ),
                            );
                        }
                    }
                }
                other => self.problem(
                    a.key.span(),
                    format!(
                        "unknown attribute `{other}` in `database`; expected engine_versions, \
                         backup_retention_min_days, require_multi_az, forbidden_ingress_cidrs, \
                         pgaudit_log, pgaudit_log_parameter, require_performance_insights, \
                         performance_insights_max_retention_days, require_enhanced_monitoring, \
                         enhanced_monitoring_interval, snapshot_allowed_accounts or \
                         secret_rotation_max_days"
                    ),
                ),
            }
        }
    }

    fn integer(&mut self, a: &Attribute) -> Option<i64> {
        match &a.value {
            Expression::Number(n) => match n.value().as_i64() {
                Some(v) if v > 0 => Some(v),
                _ => {
                    self.problem(
                        a.value.span(),
                        format!("`{}` must be a positive whole number", a.key.as_str()),
                    );
                    None
                }
            },
            _ => {
                self.problem(
                    a.value.span(),
                    format!("`{}` must be a number", a.key.as_str()),
                );
                None
            }
        }
    }
}

fn parse_date(s: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &format).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(src: &str) -> Vec<(usize, usize, String)> {
        match Policy::parse(src, "phi-policy.hcl") {
            Ok(_) => panic!("expected errors for:\n{src}"),
            Err(e) => e
                .problems()
                .iter()
                .map(|p| (p.line, p.column, p.message.clone()))
                .collect(),
        }
    }

    #[test]
    fn pgaudit_classes_may_only_be_added() {
        let p = Policy::parse(
            "database {\n  pgaudit_log = [\"ddl\", \"role\", \"write\", \"read\", \"function\"]\n  pgaudit_log_parameter = true\n}\n",
            "p",
        )
        .unwrap();
        let params = p.database().postgres_audit_parameters();
        assert!(params.contains(&("pgaudit.log", "ddl,role,write,read,function".to_owned())));
        assert!(params.contains(&("pgaudit.log_parameter", "1".to_owned())));
        let baseline = Policy::baseline().database().postgres_audit_parameters();
        assert!(baseline.contains(&("pgaudit.log", "ddl,role,write,read".to_owned())));
        assert!(baseline.contains(&("pgaudit.log_parameter", "0".to_owned())));
        assert!(baseline.contains(&(
            "shared_preload_libraries",
            "pg_stat_statements,pgaudit".to_owned()
        )));
        let err = Policy::parse("database {\n  pgaudit_log = [\"ddl\"]\n}\n", "p")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("drops the baseline classes [\"role\", \"write\", \"read\"]"),
            "{err}"
        );
        let err = Policy::parse("database {\n  pgaudit_log = [\"everything\"]\n}\n", "p")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown classes"), "{err}");
        assert!(Policy::parse("database {\n  pgaudit_log = [\"all\"]\n}\n", "p").is_ok());
    }

    #[test]
    fn database_block_sets_insight_and_monitoring_requirements() {
        let p = Policy::parse(
            "database {\n  require_performance_insights = true\n  performance_insights_max_retention_days = 31\n  require_enhanced_monitoring = true\n  enhanced_monitoring_interval = 15\n}\n",
            "p",
        )
        .unwrap();
        let db = p.database();
        assert!(db.require_performance_insights && db.require_enhanced_monitoring);
        assert_eq!(db.performance_insights_max_retention_days, 31);
        assert_eq!(db.enhanced_monitoring_interval, 15);
        let err = Policy::parse(
            "database {\n  performance_insights_max_retention_days = 30\n  enhanced_monitoring_interval = 20\n}\n",
            "p",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("whole number of months"), "{err}");
        assert!(err.contains("1, 5, 10, 15, 30 or 60 seconds"), "{err}");
    }

    #[test]
    fn database_block_may_only_shorten_the_secret_rotation_interval() {
        assert_eq!(Policy::baseline().database().secret_rotation_max_days, 7);
        let p = Policy::parse("database {\n  secret_rotation_max_days = 3\n}\n", "p").unwrap();
        assert_eq!(p.database().secret_rotation_max_days, 3);
        for weaker in ["8", "30"] {
            let err = Policy::parse(
                &format!("database {{\n  secret_rotation_max_days = {weaker}\n}}\n"),
                "p",
            )
            .unwrap_err()
            .to_string();
            assert!(err.contains("may only shorten"), "{err}");
        }
        let err = Policy::parse("database {\n  secret_rotation_max_days = 0\n}\n", "p")
            .unwrap_err()
            .to_string();
        assert!(err.contains("positive whole number"), "{err}");
    }

    #[test]
    fn database_block_lists_the_accounts_snapshots_may_be_shared_with() {
        assert!(
            Policy::baseline()
                .database()
                .snapshot_allowed_accounts
                .is_empty()
        );
        let p = Policy::parse(
            "database {\n  snapshot_allowed_accounts = [\"111122223333\"]\n}\n",
            "p",
        )
        .unwrap();
        assert_eq!(p.database().snapshot_allowed_accounts, ["111122223333"]);
        let err = Policy::parse(
            "database {\n  snapshot_allowed_accounts = [\"all\", \"1234\"]\n}\n",
            "p",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("12-digit AWS account id"), "{err}");
    }

    #[test]
    fn database_block_lists_forbidden_ingress_prefixes() {
        let p = Policy::parse(
            "database {\n  forbidden_ingress_cidrs = [\"100.64.0.0/10\"]\n}\n",
            "p",
        )
        .unwrap();
        assert!(p.database().ingress_forbidden("100.64.0.0/10"));
        assert!(p.database().ingress_forbidden("0.0.0.0/0"));
        assert!(p.database().ingress_forbidden("::/0"));
        assert!(!p.database().ingress_forbidden("10.0.0.0/8"));
        let err = Policy::parse(
            "database {\n  forbidden_ingress_cidrs = [\"10.0.0.0/33\", \"nope\"]\n}\n",
            "p",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("\"10.0.0.0/33\" is not a CIDR block"), "{err}");
        assert!(err.contains("\"nope\" is not a CIDR block"), "{err}");
    }

    #[test]
    fn database_block_tightens_and_refuses_loosening() {
        let p = Policy::parse(
            "database {\n  engine_versions = [\"postgres 16.*\"]\n  backup_retention_min_days = 14\n  require_multi_az = true\n}\n",
            "p",
        )
        .unwrap();
        assert!(p.database().is_version_approved("postgres", "16.4"));
        assert!(!p.database().is_version_approved("postgres", "17.2"));
        assert_eq!(p.database().backup_retention_min_days, 14);
        assert!(p.database().require_multi_az);
        let errs = problems(
            "database {\n  engine_versions = [\"postgres 12.*\", \"oops\"]\n  backup_retention_min_days = 3\n  size = 1\n}\n",
        );
        assert_eq!(errs.len(), 5, "{errs:?}");
        assert!(errs[0].2.contains("baseline's approved majors"), "{errs:?}");
        assert!(errs[1].2.contains("<engine> <version pattern>"), "{errs:?}");
        assert!(errs[2].2.contains("approves no version"), "{errs:?}");
        assert!(errs[3].2.contains("PHI-RDS-007"), "{errs:?}");
        assert!(errs[4].2.contains("unknown attribute `size`"), "{errs:?}");
    }

    #[test]
    fn break_glass_principals_are_iam_role_or_user_arns() {
        let p = Policy::parse(
            "audit {\n  break_glass_principals = [\"arn:aws:iam::111122223333:role/BreakGlass\", \"arn:aws:iam::111122223333:user/ciso\"]\n}\n",
            "p",
        )
        .unwrap();
        assert_eq!(
            p.audit_break_glass_principals(),
            [
                "arn:aws:iam::111122223333:role/BreakGlass",
                "arn:aws:iam::111122223333:user/ciso"
            ]
        );
        assert!(Policy::baseline().audit_break_glass_principals().is_empty());
        let errs = problems(
            "audit {\n  break_glass_principals = [\"*\", \"arn:aws:iam::1:role/x\", \"arn:aws:s3:::b\"]\n}\n",
        );
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs[0].2.contains("not the ARN of an IAM role or user"),
            "{errs:?}"
        );
    }

    #[test]
    fn empty_policy_is_the_baseline() {
        assert_eq!(Policy::parse("", "p").unwrap(), Policy::baseline());
    }

    #[test]
    fn full_policy_parses() {
        let src = r#"
regions {
  profiles = ["eu-strict"]
  extra    = ["eu-west-2"]
}
audit {
  retention_min_days = 2557
  retention_max_days = 3653
}
kms {
  rotation_max_days = 180
  allowed_accounts  = ["111122223333"]
}
required_tags    = ["data_classification", "owner"]
approved_modules = ["git::https://git.example.com/platform/phi-modules.git//modules/*"]
unsuppressible   = ["PHI-KMS-002"]
exception "PHI-LOG-001" {
  scope   = "phi_audit_log_sink.acme-dev-*"
  owner   = "security@acme.example"
  reason  = "dev sandbox keeps 1 year; ticket SEC-123"
  expires = "2027-03-31"
}
"#;
        let p = Policy::parse(src, "p").unwrap();
        assert_eq!(p.approved_regions().len(), 7);
        assert!(p.is_region_approved("eu-west-2"));
        assert!(!p.is_region_approved("us-east-1"));
        assert_eq!(p.audit_retention_min_days(), 2557);
        assert_eq!(p.kms_rotation_max_days(), 180);
        assert_eq!(p.required_tags(), ["data_classification", "owner"]);
        assert_eq!(p.exceptions().len(), 1);
        assert_eq!(p.exceptions()[0].expires.to_string(), "2027-03-31");
    }

    #[test]
    fn unknown_attribute_is_located() {
        let p = problems("required_tags = []\nretention = 5\n");
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].0, p[0].1), (2, 1));
        assert!(p[0].2.contains("unknown attribute `retention`"));
    }

    #[test]
    fn wrong_type_is_located() {
        let p = problems("audit {\n  retention_min_days = \"six years\"\n}\n");
        assert_eq!((p[0].0, p[0].1), (2, 24));
        assert!(p[0].2.contains("must be a number"));
    }

    #[test]
    fn loosening_the_floor_points_to_exceptions() {
        let p = problems("audit {\n  retention_min_days = 365\n}\n");
        assert_eq!((p[0].0, p[0].1), (2, 24));
        assert!(p[0].2.contains("loosens the baseline"), "{}", p[0].2);
        assert!(p[0].2.contains("exception \"PHI-LOG-001\""));
        let p = problems("kms {\n  rotation_max_days = 730\n}\n");
        assert!(p[0].2.contains("loosens the baseline"));
    }

    #[test]
    fn unknown_region_and_profile_are_errors() {
        let p = problems("regions {\n  profiles = [\"eu-lax\"]\n  extra = [\"mars-1\"]\n}\n");
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[2].2.contains("approves no region"));
        assert_eq!((p[0].0, p[0].1), (2, 14));
        assert!(p[0].2.contains("unknown region profile \"eu-lax\""));
        assert_eq!((p[1].0, p[1].1), (3, 11));
        assert_eq!((p[2].0, p[2].1), (1, 1));
        assert!(p[1].2.contains("unknown AWS region \"mars-1\""));
    }

    #[test]
    fn bad_exceptions_are_errors() {
        let p = problems(
            "exception \"PHI-NOPE-001\" {\n  scope = \"phi_bucket.x\"\n  owner = \"o\"\n  reason = \"r\"\n  expires = \"31/12/2027\"\n}\n",
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].2.contains("unknown control id \"PHI-NOPE-001\""));
        assert_eq!((p[0].0, p[0].1), (1, 11));
        assert_eq!((p[1].0, p[1].1), (5, 13));
        assert!(p[1].2.contains("YYYY-MM-DD"));
        let p = problems("exception \"PHI-LOG-001\" {\n  scope = \"phi_audit_log_sink.x\"\n}\n");
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].2.contains("no `owner`"));
    }

    #[test]
    fn loosening_or_emptying_the_retention_window_is_an_error() {
        let p = problems("audit {\n  retention_max_days = 4000\n}\n");
        assert_eq!((p[0].0, p[0].1), (2, 24));
        assert!(
            p[0].2.contains("loosens the baseline ceiling"),
            "{}",
            p[0].2
        );
        let p = problems("audit {\n  retention_min_days = 3000\n  retention_max_days = 2600\n}\n");
        assert_eq!((p[0].0, p[0].1), (3, 24));
        assert!(p[0].2.contains("below the retention floor"), "{}", p[0].2);
        let p = problems("audit {\n  retention_min_days = 2200\n  retention_max_days = 2500\n}\n");
        assert!(
            p[0].2.contains("no retention CloudWatch Logs accepts"),
            "{}",
            p[0].2
        );
    }

    #[test]
    fn exception_scope_must_name_a_phi_resource_type() {
        let p = problems(
            "exception \"PHI-LOG-001\" {\n  scope = \"aws_s3_bucket.x\"\n  owner = \"o\"\n  reason = \"r\"\n  expires = \"2027-01-01\"\n}\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].0, p[0].1), (2, 11));
        assert!(
            p[0].2.contains("<resource type>.<name pattern>"),
            "{}",
            p[0].2
        );
    }

    #[test]
    fn impossible_calendar_dates_are_refused() {
        let p = problems(
            "exception \"PHI-LOG-001\" {\n  scope = \"phi_audit_log_sink.x\"\n  owner = \"o\"\n  reason = \"r\"\n  expires = \"2027-02-30\"\n}\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].0, p[0].1), (5, 13));
    }

    #[test]
    fn unknown_block_and_nested_block_are_located() {
        let p = problems("audit {\n  retention_min_days = 2192\n  inner {\n  }\n}\nlogging {\n}\n");
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!((p[0].0, p[0].1), (3, 3));
        assert!(p[0].2.contains("unexpected block inside `audit`"));
        assert_eq!((p[1].0, p[1].1), (6, 1));
        assert!(p[1].2.contains("unknown block `logging`"));
    }

    #[test]
    fn several_problems_are_reported_together() {
        let err = Policy::parse(
            "required_tags = \"owner\"\nkms {\n  rotation_max_days = 400\n}\n",
            "phi-policy.hcl",
        )
        .unwrap_err();
        let text = err.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[0].starts_with("phi-policy.hcl:1:17: "), "{text}");
        assert!(lines[1].starts_with("phi-policy.hcl:3:23: "), "{text}");
    }

    #[test]
    fn missing_file_is_an_io_error_naming_it() {
        let err = Policy::load("/nonexistent/phi-policy.hcl").unwrap_err();
        assert!(matches!(err, PolicyError::Io { .. }));
        assert!(err.to_string().starts_with("/nonexistent/phi-policy.hcl: "));
    }

    #[test]
    fn a_policy_can_refuse_raw_kms_keys_and_name_break_glass_principals() {
        let base = BASELINE_RAW_RESOURCE_TYPES
            .iter()
            .map(|t| format!("{t:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        let p = Policy::parse(
            &format!(
                "raw_resource_types = [{base}, \"aws_kms_key\"]\nkms {{\n  \
                 audit_key_break_glass_principals = [\"arn:aws:iam::111122223333:role/bg\"]\n  \
                 deletion_window_min_days = 14\n}}\n"
            ),
            "p",
        )
        .unwrap();
        assert!(p.is_raw_resource("aws_kms_key"));
        assert!(!Policy::baseline().is_raw_resource("aws_kms_key"));
        assert_eq!(
            p.audit_key_break_glass_principals(),
            ["arn:aws:iam::111122223333:role/bg"]
        );
        assert_eq!(p.key_deletion_window_min_days(), 14);
        let e = problems(
            "kms {\n  audit_key_break_glass_principals = [\"arn:aws:iam::*:role/bg\", \"bob\"]\n  deletion_window_min_days = 3\n}\n",
        );
        assert_eq!(e.len(), 3, "{e:?}");
    }

    #[test]
    fn raw_resource_types_may_only_grow() {
        let p = Policy::parse(
            "raw_resource_types = [\"aws_s3_bucket\", \"aws_s3_bucket_*\", \"aws_db_instance\", \"aws_rds_cluster\", \"aws_rds_cluster_instance\", \"aws_cloudwatch_log_group\", \"aws_dynamodb_table\"]\n",
            "p",
        )
        .unwrap();
        assert!(p.is_raw_resource("aws_dynamodb_table"));
        assert!(p.is_raw_resource("aws_s3_bucket_policy"));
        assert!(!p.is_raw_resource("aws_iam_role"));
        let e = problems("raw_resource_types = [\"aws_s3_bucket\"]\n");
        assert!(e[0].2.contains("drops aws_s3_bucket_*"), "{}", e[0].2);
    }

    #[test]
    fn syntax_errors_are_located() {
        let p = problems("regions {\n  profiles = [\"eu-strict\"\n}\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].2.starts_with("syntax error"));
        assert!(p[0].0 >= 2);
    }

    #[test]
    fn errors_render_as_file_line_column() {
        let err = Policy::parse("nope = 1\n", "/etc/phi-guard/phi-policy.hcl").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/etc/phi-guard/phi-policy.hcl:1:1: unknown attribute"),
            "{err}"
        );
    }

    #[test]
    fn example_policy_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/phi-policy.hcl");
        Policy::load(Path::new(path)).unwrap();
    }

    #[test]
    fn a_second_block_of_the_same_kind_is_an_error() {
        let p = problems(
            "regions {\n  profiles = [\"eu-strict\"]\n}\nregions {\n  extra = [\"eu-west-2\"]\n}\n",
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].0, p[0].1), (4, 1));
        assert!(p[0].2.contains("a second `regions` block"), "{p:?}");
    }

    #[test]
    fn unknown_names_list_every_block_and_suggest_the_nearest() {
        let p = problems("databse {\n}\n");
        assert!(p[0].2.contains("(did you mean `database`?)"), "{p:?}");
        assert!(
            p[0].2.contains("regions, audit, kms, database, exception"),
            "{p:?}"
        );
        let p = problems("required_tag = [\"owner\"]\n");
        assert!(p[0].2.contains("(did you mean `required_tags`?)"), "{p:?}");
        assert!(p[0].2.contains("database"), "{p:?}");
    }

    #[test]
    fn approving_every_module_is_a_warning_not_an_error() {
        let p = Policy::parse("approved_modules = [\"*\"]\n", "p").unwrap();
        assert_eq!(p.warnings().len(), 1);
        assert!(
            p.warnings()[0]
                .message
                .contains("every module source is approved")
        );
    }
}
