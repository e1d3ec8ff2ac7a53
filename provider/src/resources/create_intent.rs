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
//! An object of that name is adopted only if an intent exists for it and its
//! provenance is proven (see [`Proof`]):
//!
//! - where the create call carries the marker ([`Proof::Marker`]: RDS
//!   `CreateDBInstance`, CloudWatch Logs `CreateLogGroup`, CloudTrail
//!   `CreateTrail` all take tags), only the marker counts: the object must
//!   carry the intent's token. Timing plays no part, so an object somebody
//!   else made a second before the apply is refused like any other.
//! - S3 `CreateBucket` ([`Proof::MarkerOrTime`]) takes tags in
//!   `CreateBucketConfiguration` on current AWS, but endpoints that predate
//!   that (S3-compatible stores, the emulator the tests use) accept the call
//!   and drop the tag. A bucket that carries a marker is judged by it alone;
//!   one that carries none falls back to timing: it must have been created
//!   no earlier than the intent was recorded, less [`CLOCK_SKEW`]. This is
//!   the one timing-based proof left, and the reason is that the marker is
//!   the only record the object itself can hold and those endpoints do not
//!   keep it. Its residual risk: a bucket somebody else created under this
//!   exact name in this account within those seconds before the apply would
//!   be adopted (and secured, never deleted).
//!
//! Anything else (no intent in this working directory, another run's token,
//! an object older than the intent) is somebody else's and is refused with
//! the import command. The intent is removed once the object is seen in
//! Terraform's state (the next refresh), on destroy, and when AWS confirms
//! that nothing was created.

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

/// What may prove that an existing object is the one an intent started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The create call carries the marker tag: only the marker counts.
    Marker,
    /// The create call may lose the marker (S3 endpoints that drop
    /// `CreateBucketConfiguration.Tags`): the marker if present, else the
    /// object's creation time against the intent's.
    MarkerOrTime,
}

/// Decides whether an existing object is the one `intent` started.
/// `marker` is the object's marker tag, `created` its creation time
/// (seconds since the epoch) where the API reports one.
pub fn verdict(
    intent: Option<&Intent>,
    marker: Option<&str>,
    created: Option<u64>,
    proof: Proof,
) -> Verdict {
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
        None if proof == Proof::Marker => {
            return Verdict::Refuse(
                "it carries no phi-guard marker tag, which this provider writes in the create \
                 call itself"
                    .into(),
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

/// One create in progress: the intent recorded for it (if the journal
/// could be written) and what the diagnostics call the object. Every
/// resource's create goes through this, so the record, the marker and the
/// words a user reads are the same for buckets, databases and sinks.
#[derive(Debug, Clone)]
pub struct Creating {
    kind: &'static str,
    what: &'static str,
    name: String,
    intent: Option<Intent>,
}

impl Creating {
    /// Records the intent to create the `what` (`"bucket"`, `"DB
    /// instance"`, ...) named `name`, journalled under `kind`. Must run
    /// before the first call that creates anything. A journal that cannot
    /// be written only warns: the create goes on, but an interruption of it
    /// cannot be adopted.
    pub fn start(kind: &'static str, what: &'static str, name: &str) -> Creating {
        let intent = match Journal::from_environment().record(kind, name) {
            Ok(i) => Some(i),
            Err(e) => {
                tracing::warn!(
                    "could not record the intent to create {what} {name}: {e}; an interrupted \
                     create of it will not be adopted automatically"
                );
                None
            }
        };
        Creating {
            kind,
            what,
            name: name.to_owned(),
            intent,
        }
    }

    /// The token to send as the value of [`MARKER_TAG`] in the create call.
    pub fn token(&self) -> Option<&str> {
        self.intent.as_ref().map(|i| i.token.as_str())
    }

    /// `tags` with the marker added, for create calls that take a tag map.
    pub fn marked(
        &self,
        tags: &std::collections::BTreeMap<String, String>,
    ) -> std::collections::BTreeMap<String, String> {
        let mut all = tags.clone();
        if let Some(token) = self.token() {
            all.insert(MARKER_TAG.to_owned(), token.to_owned());
        }
        all
    }

    pub fn verdict(&self, marker: Option<&str>, created: Option<u64>, proof: Proof) -> Verdict {
        verdict(self.intent.as_ref(), marker, created, proof)
    }

    /// AWS confirmed that nothing was created: forget the intent.
    pub fn settle(&self) {
        Journal::from_environment().settle(self.kind, &self.name);
    }

    /// The warning that an object was adopted.
    pub fn adopted(&self, d: &mut crate::diagnostics::Diagnostics) {
        d.warning(
            format!(
                "Adopted {} an interrupted apply started to create",
                with_article(self.what)
            ),
            format!(
                "The {what} {name} already existed: an earlier create of it was interrupted \
                 before Terraform recorded it. This provider had recorded that it started \
                 creating it (and the {what} carries the proof), so it adopts it now and brings \
                 it to every control.",
                what = self.what,
                name = self.name
            ),
        );
    }

    /// The error for an object of this name that is not provably ours.
    pub fn refused(&self, d: &mut crate::diagnostics::Diagnostics, summary: &str, why: &str) {
        d.error(
            summary.to_owned(),
            format!(
                "{a_what} named {name} already exists in this account, and it is not one this \
                 configuration started to create ({why}). Adopt it with `terraform import \
                 <address of this resource> {name}`, or choose another name. Nothing was \
                 created.",
                a_what = capitalised(&with_article(self.what)),
                name = self.name
            ),
        );
    }

    /// The error when whether it is ours could not be read.
    pub fn unchecked(
        &self,
        d: &mut crate::diagnostics::Diagnostics,
        summary: &str,
        error: &dyn std::fmt::Display,
    ) {
        d.error(
            summary.to_owned(),
            format!(
                "{a_what} named {name} already exists in this account, and whether this \
                 configuration started it could not be checked: {error}. Nothing was changed. \
                 The next apply checks again.",
                a_what = capitalised(&with_article(self.what)),
                name = self.name
            ),
        );
    }

    /// What a create says when AWS's answer never arrived.
    pub fn lost_answer(&self) -> String {
        let what = self.what;
        if self.intent.is_some() {
            format!(
                "AWS did not confirm whether the {what} was created, so it may have been \
                 created, without all its security settings: do not use it. This provider \
                 recorded that it started creating it: the next `terraform apply` of this \
                 configuration finds it, adopts it and brings it to every control."
            )
        } else {
            format!(
                "AWS did not confirm whether the {what} was created, so it may have been \
                 created, without all its security settings: do not use it. The provider could \
                 not record that it started creating it, so if it exists the next apply refuses \
                 it: adopt it with `terraform import <address of this resource> {}`.",
                self.name
            )
        }
    }
}

/// "a bucket", "an audit sink".
fn with_article(what: &str) -> String {
    let vowel = what.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {what}", if vowel { "an" } else { "a" })
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Forgets the intent for `kind`/`name`: the object is in Terraform's state
/// (read, import) or deleted.
pub fn settled(kind: &str, name: &str) {
    Journal::from_environment().settle(kind, name);
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
        let v = |intent, marker, created| verdict(intent, marker, created, Proof::MarkerOrTime);
        assert_eq!(v(Some(&i), Some("abc"), Some(10)), Verdict::Adopt);
        assert_eq!(v(Some(&i), None, Some(1_000)), Verdict::Adopt);
        assert_eq!(v(Some(&i), None, Some(997)), Verdict::Adopt);
        assert!(matches!(v(Some(&i), None, Some(900)), Verdict::Refuse(_)));
        assert!(matches!(
            v(Some(&i), Some("other"), Some(2_000)),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            v(None, Some("abc"), Some(2_000)),
            Verdict::Refuse(_)
        ));
        assert!(matches!(v(Some(&i), None, None), Verdict::Refuse(_)));
    }

    #[test]
    fn where_the_create_call_carries_the_marker_timing_proves_nothing() {
        let i = intent();
        let v = |marker, created| verdict(Some(&i), marker, created, Proof::Marker);
        assert_eq!(v(Some("abc"), Some(10)), Verdict::Adopt);
        // Created right after the intent, but without the marker: somebody
        // else's object of that name, refused.
        assert!(matches!(v(None, Some(1_001)), Verdict::Refuse(why) if why.contains("marker")));
        assert!(matches!(v(Some("other"), Some(1_001)), Verdict::Refuse(_)));
        assert!(matches!(
            verdict(None, Some("abc"), None, Proof::Marker),
            Verdict::Refuse(_)
        ));
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
