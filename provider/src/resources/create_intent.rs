//! Creates that cannot be lost: before the call that creates an AWS object,
//! the provider records that it is about to create it, so that an object
//! whose create was interrupted (Terraform killed, the answer lost on the
//! network, Ctrl-C) is recognised by the next apply of the same
//! configuration and adopted, instead of refused as "already exists".
//!
//! DESIGN: Terraform only learns about an object from the answer to
//! ApplyResourceChange, and only keeps it once it has written its state. An
//! answer lost between AWS and the provider, or a Terraform process killed
//! before it saved the state, leaves an object in AWS that no state knows.
//! Two records prove that this provider started such an object:
//!
//! - an *intent file* in the Terraform working directory
//!   (`.terraform/phi-guard/creating/<kind>-<name>`, or
//!   `$PHI_CREATE_JOURNAL_DIR`), written and flushed to disk before the
//!   create call, holding a random token and the time the create started;
//! - a *marker tag* `phi-guard:create-token = <token>` sent in the create call
//!   itself where the API takes tags (S3 `CreateBucketConfiguration.Tags`).
//!   Endpoints that drop it (older APIs, the emulator) leave the intent file
//!   and the object's creation time as the proof.
//!
//! An object of that name is adopted only if an intent exists for it and
//! either its marker tag carries the intent's token, or it carries no marker
//! and was created no earlier than the intent was recorded. Anything else
//! (no intent in this working directory, another run's token, an object
//! older than the intent) is somebody else's and is refused with the import
//! command. The intent is removed once the object is seen in Terraform's
//! state (the next refresh), on destroy, and when AWS confirms that nothing
//! was created.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The tag sent in the create call.
pub const MARKER_TAG: &str = "phi-guard:create-token";

/// How much earlier than the intent an object may have been created and
/// still count as ours: the endpoint's clock and ours differ a little.
pub const CLOCK_SKEW: Duration = Duration::from_secs(5);

/// An intent to create one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub token: String,
    /// When the create was first attempted (seconds since the epoch).
    pub started: u64,
}

/// What to do with an object of the name about to be created that already
/// exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// This provider started creating it: adopt it and secure it fully.
    Adopt,
    /// Not provably ours: refuse, saying why.
    Refuse(String),
}

/// Decides whether an existing object is the one `intent` started.
/// `marker` is the object's marker tag, `created` its creation time
/// (seconds since the epoch) where the API reports one.
pub fn verdict(intent: Option<&Intent>, marker: Option<&str>, created: Option<u64>) -> Verdict {
    let Some(intent) = intent else {
        return Verdict::Refuse(
            "this working directory has no record of the provider starting to create it".into(),
        );
    };
    match marker {
        Some(m) if m == intent.token => return Verdict::Adopt,
        Some(_) => {
            return Verdict::Refuse(
                "its phi-guard marker tag was written by another Terraform run".into(),
            );
        }
        None => {}
    }
    match created {
        Some(c) if c + CLOCK_SKEW.as_secs() >= intent.started => Verdict::Adopt,
        Some(_) => {
            Verdict::Refuse("it was created before this provider first tried to create it".into())
        }
        None => Verdict::Refuse("AWS does not report when it was created".into()),
    }
}

/// The intent files of one working directory.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    pub fn at(dir: impl Into<PathBuf>) -> Journal {
        Journal { dir: dir.into() }
    }

    /// `$PHI_CREATE_JOURNAL_DIR`, else `.terraform/phi-guard/creating` in the
    /// working directory Terraform runs the provider in.
    pub fn from_environment() -> &'static Journal {
        static JOURNAL: OnceLock<Journal> = OnceLock::new();
        JOURNAL.get_or_init(|| match std::env::var_os("PHI_CREATE_JOURNAL_DIR") {
            Some(dir) => Journal::at(dir),
            None => Journal::at(Path::new(".terraform").join("phi-guard").join("creating")),
        })
    }

    fn file(&self, kind: &str, name: &str) -> PathBuf {
        // Names are AWS names (letters, digits, '-', '.'); anything else is
        // replaced so a name can never leave the directory.
        let safe: String = format!("{kind}-{name}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(safe)
    }

    /// The intent recorded for `kind`/`name`, if any.
    pub fn find(&self, kind: &str, name: &str) -> Option<Intent> {
        let text = std::fs::read_to_string(self.file(kind, name)).ok()?;
        let mut lines = text.lines();
        let token = lines.next()?.trim().to_owned();
        let started = lines.next()?.trim().parse().ok()?;
        (!token.is_empty()).then_some(Intent { token, started })
    }

    /// Records the intent to create `kind`/`name` and returns it. An intent
    /// already recorded (an earlier, interrupted attempt) is kept as it is,
    /// so its token and start time still prove the earlier attempt.
    pub fn record(&self, kind: &str, name: &str) -> std::io::Result<Intent> {
        if let Some(existing) = self.find(kind, name) {
            return Ok(existing);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let intent = Intent {
            token: format!(
                "{:x}{:08x}{:x}",
                now.as_secs(),
                now.subsec_nanos(),
                std::process::id()
            ),
            started: now.as_secs(),
        };
        std::fs::create_dir_all(&self.dir)?;
        let path = self.file(kind, name);
        let tmp = path.with_extension("partial");
        {
            let mut f = std::fs::File::create(&tmp)?;
            writeln!(f, "{}\n{}", intent.token, intent.started)?;
            // The record must be on disk before the create call is sent.
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(intent)
    }

    /// Forgets the intent: the object is in state, deleted, or was never
    /// created.
    pub fn settle(&self, kind: &str, name: &str) {
        let _ = std::fs::remove_file(self.file(kind, name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent() -> Intent {
        Intent {
            token: "abc".into(),
            started: 1_000,
        }
    }

    #[test]
    fn adopts_only_what_the_intent_provably_started() {
        let i = intent();
        assert_eq!(verdict(Some(&i), Some("abc"), Some(10)), Verdict::Adopt);
        assert_eq!(verdict(Some(&i), None, Some(1_000)), Verdict::Adopt);
        assert_eq!(verdict(Some(&i), None, Some(997)), Verdict::Adopt);
        assert!(matches!(
            verdict(Some(&i), None, Some(900)),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            verdict(Some(&i), Some("other"), Some(2_000)),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            verdict(None, Some("abc"), Some(2_000)),
            Verdict::Refuse(_)
        ));
        assert!(matches!(verdict(Some(&i), None, None), Verdict::Refuse(_)));
    }

    #[test]
    fn an_earlier_intent_is_kept_until_settled() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(dir.path().join("creating"));
        assert_eq!(journal.find("bucket", "acme"), None);
        let first = journal.record("bucket", "acme").unwrap();
        let again = journal.record("bucket", "acme").unwrap();
        assert_eq!(first, again);
        assert_eq!(journal.find("bucket", "acme"), Some(first));
        journal.settle("bucket", "acme");
        assert_eq!(journal.find("bucket", "acme"), None);
        // A hostile name stays inside the directory.
        journal.record("bucket", "../../etc/x").unwrap();
        assert!(dir.path().join("creating").read_dir().unwrap().count() == 1);
    }
}
