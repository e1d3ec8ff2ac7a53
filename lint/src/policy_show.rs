//! `phi-lint policy show`: the policy in force, as the checks see it —
//! where it was read from, the region profiles expanded into regions, every
//! bound, and each exception with its state today — so a team can confirm
//! that CI and the provider use the same policy.

use phi_policy::source::LoadedPolicy;

/// The effective policy as text.
pub fn render(loaded: &LoadedPolicy, today: time::Date) -> String {
    let p = &loaded.policy;
    let list = |items: &[String]| {
        if items.is_empty() {
            "(none)".to_owned()
        } else {
            items.join(", ")
        }
    };
    let db = p.database();
    let mut out = String::new();
    out.push_str(&format!("policy: {}\n", loaded.origin));
    out.push_str(&format!(
        "approved regions: {}\n",
        list(p.approved_regions())
    ));
    out.push_str(&format!(
        "audit retention: {} to {} days\n",
        p.audit_retention_min_days(),
        p.audit_retention_max_days()
    ));
    out.push_str(&format!(
        "kms rotation: at most every {} days\n",
        p.kms_rotation_max_days()
    ));
    out.push_str(&format!(
        "kms allowed accounts: {}\n",
        list(p.allowed_accounts())
    ));
    out.push_str(&format!("required tags: {}\n", list(p.required_tags())));
    out.push_str(&format!(
        "approved modules: {}\n",
        list(p.approved_modules())
    ));
    out.push_str(&format!(
        "raw resource types: {}\n",
        list(p.raw_resource_types())
    ));
    out.push_str(&format!("unsuppressible: {}\n", list(p.unsuppressible())));
    out.push_str(&format!(
        "database: engines {}; backups at least {} days; Multi-AZ {}\n",
        db.describe_versions(),
        db.backup_retention_min_days,
        if db.require_multi_az {
            "required"
        } else {
            "not required"
        }
    ));
    let required = |yes: bool| if yes { "required" } else { "not required" };
    out.push_str(&format!(
        "database insight: Performance Insights {} (kept at most {} days); enhanced \
         monitoring {} (every {} seconds); snapshots may be shared with: {}; master \
         secret rotated at least every {} days\n",
        required(db.require_performance_insights),
        db.performance_insights_max_retention_days,
        required(db.require_enhanced_monitoring),
        db.enhanced_monitoring_interval,
        list(&db.snapshot_allowed_accounts),
        db.secret_rotation_max_days
    ));
    out.push_str(&format!(
        "exception horizon: {}\n",
        p.exception_max_days()
            .map_or("(no cap)".to_owned(), |d| format!("at most {d} days ahead"))
    ));
    if p.exceptions().is_empty() {
        out.push_str("exceptions: (none)\n");
    } else {
        out.push_str("exceptions:\n");
        for e in p.exceptions() {
            let state = if e.is_active(today) {
                "active"
            } else {
                "EXPIRED (waives nothing)"
            };
            out.push_str(&format!(
                "  {} {} owner {} until {} [{state}]: {}\n",
                e.control, e.scope, e.owner, e.expires, e.reason
            ));
        }
    }
    for w in p.warnings() {
        out.push_str(&format!(
            "warning: line {}:{}: {}\n",
            w.line, w.column, w.message
        ));
    }
    out
}
