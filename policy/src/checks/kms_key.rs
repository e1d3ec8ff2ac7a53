//! The static policy checks on a `phi_kms_key`: its rotation period against
//! the policy's maximum (PHI-KMS-004) and its required tags. The provider
//! runs them at plan and phi-lint on the source, so both bound the same
//! argument the same way.

use std::collections::BTreeMap;

use crate::catalogue::ids;
use crate::document::Policy;
use crate::violation::Violation;

/// The configuration values the checks read; `None` is "not known yet".
#[derive(Debug, Clone, Default)]
pub struct KmsKeyConfig {
    pub rotation_period_days: Option<i64>,
    pub tags: Option<BTreeMap<String, String>>,
}

pub fn check(cfg: &KmsKeyConfig, policy: &Policy) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(days) = cfg.rotation_period_days {
        let max = policy.kms_rotation_max_days();
        if days > max {
            out.push(Violation::new(
                ids::KMS_ROTATION,
                &["rotation_period_days"],
                format!("rotation_period_days is {days}; the policy allows at most {max}."),
            ));
        }
    }
    out.extend(super::common::tags(cfg.tags.as_ref(), policy));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotation_period_above_the_policy_maximum_and_missing_tags_are_violations() {
        let policy = Policy::parse(
            "kms {\n  rotation_max_days = 180\n}\nrequired_tags = [\"owner\"]\n",
            "p",
        )
        .unwrap();
        let cfg = KmsKeyConfig {
            rotation_period_days: Some(181),
            tags: Some(BTreeMap::new()),
        };
        let ids: Vec<_> = check(&cfg, &policy).iter().map(|v| v.control.id).collect();
        assert_eq!(ids, [ids::KMS_ROTATION, ids::TAGS_REQUIRED]);
        let fine = KmsKeyConfig {
            rotation_period_days: Some(180),
            tags: Some(BTreeMap::from([("owner".to_owned(), "x".to_owned())])),
        };
        assert!(check(&fine, &policy).is_empty());
        assert!(check(&KmsKeyConfig::default(), &policy).is_empty());
    }
}
