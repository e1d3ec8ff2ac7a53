//! PHI-TAG-001: tags the policy requires.

use std::collections::BTreeMap;

use crate::catalogue::ids;
use crate::document::Policy;
use crate::violation::Violation;

pub fn check_required_tags(
    tags: &BTreeMap<String, String>,
    policy: &Policy,
    path: &[String],
) -> Option<Violation> {
    let missing: Vec<&str> = policy
        .required_tags()
        .iter()
        .filter(|k| tags.get(*k).is_none_or(|v| v.trim().is_empty()))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return None;
    }
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    Some(Violation::new(
        ids::TAGS_REQUIRED,
        &p,
        format!("Missing required tag(s): {}.", missing.join(", ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_tags_are_reported() {
        let policy = Policy::parse(
            "required_tags = [\"owner\", \"data_classification\"]\n",
            "p",
        )
        .unwrap();
        let path = vec!["tags".to_owned()];
        let mut tags = BTreeMap::new();
        tags.insert("owner".to_owned(), " ".to_owned());
        let v = check_required_tags(&tags, &policy, &path).unwrap();
        assert!(
            v.message.contains("owner, data_classification"),
            "{}",
            v.message
        );
        tags.insert("owner".to_owned(), "team".to_owned());
        tags.insert("data_classification".to_owned(), "phi".to_owned());
        assert!(check_required_tags(&tags, &policy, &path).is_none());
        assert!(check_required_tags(&BTreeMap::new(), &Policy::baseline(), &path).is_none());
    }
}
