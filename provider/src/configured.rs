//! The per-run context every resource works with: what ConfigureProvider
//! established (region, AWS clients, key inspector, policy). It lives apart
//! from the RPC layer so that the resources depend on it alone, and the RPC
//! layer depends on the resources, never the other way round.

use std::sync::Arc;

use phi_policy::{Context as PolicyContext, Policy};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use crate::aws::{Clients, kms::KeyInspector};
use crate::policy_source::LoadedPolicy;

/// What ConfigureProvider establishes, shared by every later call.
pub struct Configured {
    pub region: String,
    pub clients: Clients,
    pub keys: KeyInspector,
    pub policy: Arc<LoadedPolicy>,
    pub terraform_version: String,
    /// The account, or why STS could not tell it (plain text).
    account: OnceCell<Result<String, String>>,
    cancel: CancellationToken,
}

impl Configured {
    pub fn new(
        region: String,
        clients: Clients,
        keys: KeyInspector,
        policy: Arc<LoadedPolicy>,
        terraform_version: String,
        cancel: CancellationToken,
    ) -> Self {
        Self {
            region,
            clients,
            keys,
            policy,
            terraform_version,
            account: OnceCell::new(),
            cancel,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy.policy
    }

    /// The caller's account, looked up once; `None` when STS cannot tell us,
    /// in which case same-account checks are reported as not verifiable
    /// (`checks::key_api_checks`) rather than guessed or passed.
    pub async fn account_id(&self) -> Option<String> {
        self.account().await.ok()
    }

    /// The account, or the plain reason STS could not tell it.
    pub async fn account(&self) -> Result<String, String> {
        self.account
            .get_or_init(|| async {
                match self.clients.sts.get_caller_identity().send().await {
                    Ok(out) => out.account.ok_or_else(|| {
                        "sts:GetCallerIdentity answered without an account".to_owned()
                    }),
                    Err(e) => {
                        let e = crate::aws::AwsError::from_sdk("sts:GetCallerIdentity", e);
                        tracing::warn!("{e}");
                        Err(e.to_string())
                    }
                }
            })
            .await
            .clone()
    }

    pub async fn policy_context(&self) -> PolicyContext {
        PolicyContext {
            region: self.region.clone(),
            account_id: self.account_id().await,
        }
    }

    /// Cancelled when Terraform calls StopProvider.
    pub fn cancelled(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Today's date, for exception expiry.
    pub fn today(&self) -> time::Date {
        time::OffsetDateTime::now_utc().date()
    }
}
