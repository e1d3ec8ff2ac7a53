//! AWS regions the policy can name, and the named profiles organisations
//! start from (CONTROLS.md §3.1).

/// Commercial regions, plus the China, GovCloud and European Sovereign Cloud
/// partitions' regions.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "me-west-1",
    "mx-central-1",
    "sa-east-1",
    "sa-west-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-east-1",
    "us-gov-west-1",
    "eusc-de-east-1",
];

/// The six regions in EU member states.
pub const EU_STRICT: &[&str] = &[
    "eu-central-1",
    "eu-west-1",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
];
/// EU regions plus London and Zurich (adequacy decisions under GDPR Art. 45).
pub const EU_ADEQUACY: &[&str] = &[
    "eu-central-1",
    "eu-west-1",
    "eu-west-3",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-2",
    "eu-central-2",
];
/// The four US commercial regions.
pub const US_HIPAA: &[&str] = &["us-east-1", "us-east-2", "us-west-1", "us-west-2"];

pub const PROFILES: &[(&str, &[&str])] = &[
    ("eu-strict", EU_STRICT),
    ("eu-adequacy", EU_ADEQUACY),
    ("us-hipaa", US_HIPAA),
];

pub fn is_known_region(region: &str) -> bool {
    KNOWN_REGIONS.contains(&region)
}

pub fn profile(name: &str) -> Option<&'static [&'static str]> {
    PROFILES.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_contain_only_known_regions() {
        for (name, regions) in PROFILES {
            for r in *regions {
                assert!(is_known_region(r), "{name}: {r}");
            }
        }
        assert_eq!(profile("eu-strict").unwrap().len(), 6);
        assert!(profile("eu-adequacy").unwrap().contains(&"eu-west-2"));
        assert!(profile("nope").is_none());
    }
}
