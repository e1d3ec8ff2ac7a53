//! Noticing that Terraform is gone.
//!
//! DESIGN: go-plugin kills its plugins when the host exits normally, but a
//! Terraform killed with SIGKILL (or crashed) cannot; its provider is
//! re-parented (to PID 1 or a subreaper) and would keep running, possibly
//! mid-apply, with nobody to answer. The provider polls its parent's PID:
//! when it changes, Terraform is gone and the provider stops. Polling needs
//! no unsafe code and no platform-specific parent-death signal.

use std::time::Duration;

/// How often the parent is checked.
pub const POLL: Duration = Duration::from_millis(500);

/// Resolves once this process's parent is no longer the one it started with.
pub async fn gone() {
    let original = std::os::unix::process::parent_id();
    loop {
        tokio::time::sleep(POLL).await;
        if std::os::unix::process::parent_id() != original {
            return;
        }
    }
}
