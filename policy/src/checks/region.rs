//! PHI-REG-001: regions must be approved.

use crate::catalogue::ids;
use crate::document::Policy;
use crate::violation::Violation;

pub fn check_region(region: &str, policy: &Policy, path: &[String]) -> Option<Violation> {
    if policy.is_region_approved(region) {
        return None;
    }
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let hint = if crate::regions::is_known_region(region) {
        String::new()
    } else {
        " It is not an AWS region this policy knows.".to_owned()
    };
    Some(Violation::new(
        ids::REGION_APPROVED,
        &p,
        format!(
            "Region {region:?} is not approved by the policy.{hint} Approved regions: {}.",
            policy.approved_regions().join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approved_and_unapproved() {
        let p = Policy::baseline();
        let path = vec!["region".to_owned()];
        assert!(check_region("eu-central-1", &p, &path).is_none());
        let v = check_region("ap-southeast-1", &p, &path).unwrap();
        assert_eq!(v.control.id, ids::REGION_APPROVED);
        assert!(v.message.contains("eu-central-1"));
        assert!(
            check_region("mars-north-1", &p, &path)
                .unwrap()
                .message
                .contains("not an AWS region")
        );
    }
}
