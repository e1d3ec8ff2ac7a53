//! Terraform version constraints (`~> 1.2`, `>= 0.1.0, < 1.0.0`, `= 1.2.3`)
//! as far as PHI-LNT-007 needs them: whether a constraint has an upper bound,
//! and whether a version (from `.terraform.lock.hcl`) satisfies it.

use std::cmp::Ordering;

/// A version as Terraform compares them: numeric segments (missing ones are
/// zero) and an optional pre-release, which sorts before the release.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    parts: Vec<u64>,
    pre: Option<String>,
}

impl Version {
    fn parse(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches('v');
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p.to_owned())),
            None => (s.split('+').next().unwrap_or(s), None),
        };
        let parts: Vec<u64> = core
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        (!parts.is_empty() && parts.len() <= 3).then_some(Version { parts, pre })
    }

    fn segment(&self, i: usize) -> u64 {
        self.parts.get(i).copied().unwrap_or(0)
    }

    fn cmp(&self, other: &Version) -> Ordering {
        for i in 0..3 {
            match self.segment(i).cmp(&other.segment(i)) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match (&self.pre, &other.pre) {
            (None, None) => Ordering::Equal,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.cmp(b),
        }
    }
}

/// One `op version` part of a constraint.
#[derive(Debug)]
struct Part {
    op: &'static str,
    version: Version,
}

fn parts(constraint: &str) -> Option<Vec<Part>> {
    constraint
        .split(',')
        .map(|raw| {
            let raw = raw.trim();
            let op = ["~>", ">=", "<=", "!=", ">", "<", "="]
                .into_iter()
                .find(|op| raw.starts_with(op))
                .unwrap_or("=");
            let rest = raw.strip_prefix(op).unwrap_or(raw);
            Some(Part {
                op,
                version: Version::parse(rest)?,
            })
        })
        .collect()
}

/// Whether the constraint caps the version from above: an exact version,
/// `<`/`<=`, or `~>`. `None` when it is not a constraint Terraform accepts.
pub fn has_upper_bound(constraint: &str) -> Option<bool> {
    let parts = parts(constraint)?;
    Some(
        parts
            .iter()
            .any(|p| matches!(p.op, "=" | "<" | "<=" | "~>")),
    )
}

/// Whether `version` satisfies every part of `constraint`; `None` when
/// either cannot be read.
pub fn satisfies(version: &str, constraint: &str) -> Option<bool> {
    let v = Version::parse(version)?;
    let parts = parts(constraint)?;
    Some(parts.iter().all(|p| {
        let o = v.cmp(&p.version);
        match p.op {
            "=" => o == Ordering::Equal,
            "!=" => o != Ordering::Equal,
            ">" => o == Ordering::Greater,
            ">=" => o != Ordering::Less,
            "<" => o == Ordering::Less,
            "<=" => o != Ordering::Greater,
            _ => {
                // `~> 1.2` allows 1.2 up to (not incl.) 2.0; `~> 1.2.3` up
                // to 1.3.0: the rightmost given segment may grow.
                let n = p.version.parts.len();
                let prefix = n.saturating_sub(1).max(1);
                o != Ordering::Less
                    && (0..prefix.min(n)).all(|i| v.segment(i) == p.version.segment(i))
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bounds() {
        for bounded in ["0.1.0", "= 0.1.0", "~> 0.1", ">= 0.1.0, < 1.0.0", "<= 2"] {
            assert_eq!(has_upper_bound(bounded), Some(true), "{bounded}");
        }
        for open in [">= 0.1.0", "> 0.1", "!= 0.2.0", ">= 0.1, != 0.3.0"] {
            assert_eq!(has_upper_bound(open), Some(false), "{open}");
        }
        assert_eq!(has_upper_bound("latest"), None);
    }

    #[test]
    fn pessimistic_and_ranges() {
        assert_eq!(satisfies("0.1.7", "~> 0.1"), Some(true));
        assert_eq!(satisfies("0.9.0", "~> 0.1"), Some(true));
        assert_eq!(satisfies("1.0.0", "~> 0.1"), Some(false));
        assert_eq!(satisfies("1.2.9", "~> 1.2.3"), Some(true));
        assert_eq!(satisfies("1.3.0", "~> 1.2.3"), Some(false));
        assert_eq!(satisfies("0.2.0", ">= 0.1.0, < 1.0.0"), Some(true));
        assert_eq!(satisfies("1.0.0", ">= 0.1.0, < 1.0.0"), Some(false));
        assert_eq!(satisfies("0.1.0", "0.1.0"), Some(true));
        assert_eq!(satisfies("0.1.1", "= 0.1.0"), Some(false));
        assert_eq!(satisfies("1.0.0-beta", ">= 1.0.0"), Some(false));
    }
}
