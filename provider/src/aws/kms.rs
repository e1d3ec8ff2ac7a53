//! Looking up the facts the KMS controls need (DescribeKey and
//! GetKeyRotationStatus), once per distinct key per provider process.
//!
//! Terraform starts one provider process per plan or apply, so the cache is a
//! per-run cache: a plan with 200 resources on one key makes two KMS calls,
//! not 400. The checks themselves are pure functions in `phi_policy::kms`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_kms::types::KeyMetadata;
use phi_policy::kms::KeyFacts;
use tokio::sync::OnceCell;

use super::AwsError;

type Slot = Arc<OnceCell<Result<KeyFacts, AwsError>>>;
type PolicySlot = Arc<OnceCell<Result<String, AwsError>>>;

#[derive(Debug)]
pub struct KeyInspector {
    client: aws_sdk_kms::Client,
    cache: Mutex<HashMap<String, Slot>>,
    policies: Mutex<HashMap<String, PolicySlot>>,
}

impl KeyInspector {
    pub fn new(client: aws_sdk_kms::Client) -> Self {
        KeyInspector {
            client,
            cache: Mutex::new(HashMap::new()),
            policies: Mutex::new(HashMap::new()),
        }
    }

    /// The facts of a key in another region (a replication destination's
    /// key), looked up with a KMS client for that region and cached with
    /// the others (a full ARN names its region).
    pub async fn facts_in(&self, region: &str, key_arn: &str) -> Result<KeyFacts, AwsError> {
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.entry(key_arn.to_owned()).or_default().clone()
        };
        let client = aws_sdk_kms::Client::from_conf(
            self.client
                .config()
                .to_builder()
                .region(aws_sdk_kms::config::Region::new(region.to_owned()))
                .build(),
        );
        slot.get_or_init(|| async move { lookup(&client, key_arn).await })
            .await
            .clone()
    }

    /// The key's policy document (GetKeyPolicy, policy name `default`, the
    /// only one KMS has), once per key per run like the facts.
    pub async fn policy(&self, key_id: &str) -> Result<String, AwsError> {
        let slot = {
            let mut cache = self.policies.lock().unwrap_or_else(|p| p.into_inner());
            cache.entry(key_id.to_owned()).or_default().clone()
        };
        slot.get_or_init(|| fetch_policy(&self.client, key_id))
            .await
            .clone()
    }

    /// The key's facts; concurrent callers for the same key share one lookup.
    pub async fn facts(&self, key_id: &str) -> Result<KeyFacts, AwsError> {
        let slot = {
            let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            cache.entry(key_id.to_owned()).or_default().clone()
        };
        slot.get_or_init(|| lookup(&self.client, key_id))
            .await
            .clone()
    }

    /// The key's facts and its policy, looked up together: a plan waits for
    /// one KMS round trip per key instead of two (the calls are independent).
    /// Both land in the caches the checks read.
    pub async fn facts_and_policy(
        &self,
        key_id: &str,
    ) -> (Result<KeyFacts, AwsError>, Result<String, AwsError>) {
        tokio::join!(self.facts(key_id), self.policy(key_id))
    }

    /// Forgets a key, so the next lookup sees its current state (used at
    /// apply, where a key may have changed since plan).
    pub fn forget(&self, key_id: &str) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(key_id);
        drop(cache);
        let mut policies = self.policies.lock().unwrap_or_else(|p| p.into_inner());
        policies.remove(key_id);
    }
}

async fn fetch_policy(client: &aws_sdk_kms::Client, key_id: &str) -> Result<String, AwsError> {
    let out = client
        .get_key_policy()
        .key_id(key_id)
        .policy_name("default")
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("kms:GetKeyPolicy", e))?;
    out.policy.ok_or_else(|| AwsError {
        operation: "kms:GetKeyPolicy",
        code: None,
        message: "the response carried no policy".to_owned(),
    })
}

async fn lookup(client: &aws_sdk_kms::Client, key_id: &str) -> Result<KeyFacts, AwsError> {
    // The two calls are independent: send them together, so a plan waits for
    // one KMS round trip instead of two.
    let (described, rotation) = tokio::join!(
        client.describe_key().key_id(key_id).send(),
        client.get_key_rotation_status().key_id(key_id).send()
    );
    let described = described.map_err(|e| AwsError::from_sdk("kms:DescribeKey", e))?;
    let metadata = described.key_metadata.ok_or_else(|| AwsError {
        operation: "kms:DescribeKey",
        code: None,
        message: "the response carried no key metadata".to_owned(),
    })?;
    let rotation = match rotation {
        Ok(out) => Rotation::Known {
            enabled: out.key_rotation_enabled,
            period_days: out.rotation_period_in_days,
        },
        Err(e) => {
            let err = AwsError::from_sdk("kms:GetKeyRotationStatus", e);
            // KMS refuses the call for keys that cannot rotate (asymmetric,
            // HMAC, imported, custom key store): that is "rotation off".
            if err.code_is("UnsupportedOperationException") {
                Rotation::Known {
                    enabled: false,
                    period_days: None,
                }
            } else {
                return Err(err);
            }
        }
    };
    Ok(facts_from(&metadata, rotation))
}

/// What GetKeyRotationStatus said.
#[derive(Debug, Clone, Copy)]
pub enum Rotation {
    Known {
        enabled: bool,
        period_days: Option<i32>,
    },
}

/// Maps the SDK's types to the policy crate's plain facts.
pub fn facts_from(m: &KeyMetadata, rotation: Rotation) -> KeyFacts {
    let Rotation::Known {
        enabled,
        period_days,
    } = rotation;
    let mut regions = Vec::new();
    if let Some(config) = &m.multi_region_configuration {
        if let Some(primary) = config.primary_key.as_ref().and_then(|k| k.region.clone()) {
            regions.push(primary);
        }
        for replica in config.replica_keys() {
            if let Some(r) = &replica.region {
                regions.push(r.clone());
            }
        }
    }
    KeyFacts {
        arn: m.arn.clone().unwrap_or_default(),
        key_manager: m
            .key_manager
            .as_ref()
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default(),
        key_state: m
            .key_state
            .as_ref()
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default(),
        key_spec: m
            .key_spec
            .as_ref()
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default(),
        key_usage: match &m.key_usage {
            Some(usage) => usage.as_str().to_owned(),
            // KMS always reports the usage; some emulators omit it for keys
            // created without an explicit usage. A key that lists encryption
            // algorithms is an encryption key.
            None if !m.encryption_algorithms().is_empty() => "ENCRYPT_DECRYPT".to_owned(),
            None => String::new(),
        },
        origin: m
            .origin
            .as_ref()
            .map(|v| v.as_str().to_owned())
            .unwrap_or_default(),
        multi_region: m.multi_region.unwrap_or(false),
        multi_region_regions: regions,
        rotation_enabled: Some(enabled),
        rotation_period_days: period_days,
    }
}

/// Branches the emulator cannot reach: it reports `alias/aws/*` keys as
/// customer-managed and never returns a rotation period. These responses are
/// what KMS returns for such keys, built through the SDK's own types and
/// mapped and checked exactly as at plan time.
#[cfg(test)]
mod tests {
    use aws_sdk_kms::types::{
        KeyManagerType, KeySpec, KeyState, KeyUsageType, MultiRegionConfiguration, MultiRegionKey,
        MultiRegionKeyType, OriginType,
    };
    use phi_policy::{Context, Policy, ids};

    use super::*;

    const ARN: &str =
        "arn:aws:kms:eu-central-1:111122223333:key/0b1f2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";

    /// DescribeKey of `alias/aws/s3` in a real account.
    fn aws_managed_s3_key() -> KeyMetadata {
        KeyMetadata::builder()
            .aws_account_id("111122223333")
            .key_id("0b1f2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d")
            .arn(ARN)
            .description("Default key that protects my S3 objects when no other key is defined")
            .enabled(true)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_state(KeyState::Enabled)
            .origin(OriginType::AwsKms)
            .key_manager(KeyManagerType::Aws)
            .key_spec(KeySpec::SymmetricDefault)
            .multi_region(false)
            .build()
            .unwrap()
    }

    fn customer_key() -> aws_sdk_kms::types::builders::KeyMetadataBuilder {
        KeyMetadata::builder()
            .key_id("0b1f2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d")
            .arn(ARN)
            .enabled(true)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_state(KeyState::Enabled)
            .origin(OriginType::AwsKms)
            .key_manager(KeyManagerType::Customer)
            .key_spec(KeySpec::SymmetricDefault)
    }

    fn check(m: &KeyMetadata, rotation: Rotation) -> Vec<&'static str> {
        let ctx = Context {
            region: "eu-central-1".into(),
            account_id: Some("111122223333".into()),
        };
        phi_policy::kms::check_key_facts(
            &facts_from(m, rotation),
            &ctx,
            &Policy::baseline(),
            &["kms_key_arn".to_owned()],
        )
        .iter()
        .map(|v| v.control.id)
        .collect()
    }

    const ROTATING: Rotation = Rotation::Known {
        enabled: true,
        period_days: Some(365),
    };

    #[test]
    fn aws_managed_key_is_refused() {
        assert_eq!(
            check(&aws_managed_s3_key(), ROTATING),
            [ids::KMS_CUSTOMER_MANAGED]
        );
    }

    #[test]
    fn rotation_period_longer_than_policy_is_refused() {
        let key = customer_key().build().unwrap();
        assert!(check(&key, ROTATING).is_empty());
        let slow = Rotation::Known {
            enabled: true,
            period_days: Some(730),
        };
        assert_eq!(check(&key, slow), [ids::KMS_ROTATION]);
    }

    #[test]
    fn imported_key_material_is_refused() {
        let key = customer_key().origin(OriginType::External).build().unwrap();
        assert_eq!(check(&key, ROTATING), [ids::KMS_ORIGIN]);
    }

    #[test]
    fn multi_region_replica_outside_approved_regions_is_refused() {
        let key = customer_key()
            .multi_region(true)
            .multi_region_configuration(
                MultiRegionConfiguration::builder()
                    .multi_region_key_type(MultiRegionKeyType::Primary)
                    .primary_key(
                        MultiRegionKey::builder()
                            .arn(ARN)
                            .region("eu-central-1")
                            .build(),
                    )
                    .replica_keys(
                        MultiRegionKey::builder()
                            .arn(ARN.replace("eu-central-1", "ap-southeast-2"))
                            .region("ap-southeast-2")
                            .build(),
                    )
                    .build(),
            )
            .build()
            .unwrap();
        let facts = facts_from(&key, ROTATING);
        assert_eq!(
            facts.multi_region_regions,
            ["eu-central-1", "ap-southeast-2"]
        );
        assert_eq!(check(&key, ROTATING), [ids::KMS_MULTI_REGION]);
    }

    #[test]
    fn missing_usage_is_inferred_only_for_encryption_keys() {
        let mut key = customer_key().build().unwrap();
        key.key_usage = None;
        assert_eq!(facts_from(&key, ROTATING).key_usage, "");
        key.encryption_algorithms = Some(vec![
            aws_sdk_kms::types::EncryptionAlgorithmSpec::SymmetricDefault,
        ]);
        assert_eq!(facts_from(&key, ROTATING).key_usage, "ENCRYPT_DECRYPT");
    }

    /// A KMS endpoint on loopback that answers DescribeKey and
    /// GetKeyRotationStatus at once, except for key ids starting with
    /// `stalled`, whose calls it holds open without an answer (a key in
    /// another account behind a slow network path). Returns the client and
    /// the number of requests it has received.
    async fn kms_with_a_stalled_key() -> (aws_sdk_kms::Client, Arc<std::sync::atomic::AtomicU32>) {
        use std::sync::atomic::{AtomicU32, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicU32::new(0));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // The JSON body ends the request; both calls carry `KeyId`.
                    while !String::from_utf8_lossy(&buf).contains("\"KeyId\"") {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    seen.fetch_add(1, Ordering::SeqCst);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if text.contains("\"KeyId\":\"stalled") {
                        std::future::pending::<()>().await;
                    }
                    let body = if text.contains("TrentService.DescribeKey") {
                        format!(
                            "{{\"KeyMetadata\":{{\"KeyId\":\"k\",\"Arn\":\"{ARN}\",\"AWSAccountId\":\"111122223333\",\
                             \"Enabled\":true,\"KeyState\":\"Enabled\",\"KeyUsage\":\"ENCRYPT_DECRYPT\",\
                             \"KeySpec\":\"SYMMETRIC_DEFAULT\",\"KeyManager\":\"CUSTOMER\",\"Origin\":\"AWS_KMS\"}}}}"
                        )
                    } else {
                        "{\"KeyRotationEnabled\":true,\"RotationPeriodInDays\":365}".to_owned()
                    };
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        let config = aws_sdk_kms::Config::builder()
            .behavior_version(aws_sdk_kms::config::BehaviorVersion::latest())
            .region(aws_sdk_kms::config::Region::new("eu-central-1"))
            .endpoint_url(url)
            .credentials_provider(aws_sdk_kms::config::Credentials::new(
                "test", "test", None, None, "test",
            ))
            .build();
        (aws_sdk_kms::Client::from_conf(config), requests)
    }

    /// Waits (up to 10 s, else fails with `what`) until the endpoint has
    /// received `n` requests.
    async fn requests_reach(requests: &std::sync::atomic::AtomicU32, n: u32, what: &str) {
        use std::sync::atomic::Ordering;
        let arrived = async {
            while requests.load(Ordering::SeqCst) < n {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), arrived)
            .await
            .expect(what);
    }

    /// Issue 17: a resource whose key facts are cached, or whose key is
    /// another one, never waits on a key lookup that is still in flight; and
    /// the cached key costs no further call.
    #[tokio::test]
    async fn a_key_lookup_in_flight_holds_up_no_other_key() {
        use std::sync::atomic::Ordering;
        use std::time::Duration;
        let (client, requests) = kms_with_a_stalled_key().await;
        let keys = Arc::new(KeyInspector::new(client));
        let cached = keys.facts("cached-key").await.unwrap();
        assert_eq!(cached.key_state, "Enabled");
        assert_eq!(cached.rotation_enabled, Some(true));
        assert_eq!(
            requests.load(Ordering::SeqCst),
            2,
            "DescribeKey and rotation"
        );

        let stalled = {
            let keys = keys.clone();
            tokio::spawn(async move { keys.facts("stalled-key").await })
        };
        // Both stalled calls have reached the endpoint and hang there.
        requests_reach(&requests, 4, "the stalled key's calls reach the endpoint").await;

        let again = tokio::time::timeout(Duration::from_secs(2), keys.facts("cached-key"))
            .await
            .expect("a cached key waits on no lookup")
            .unwrap();
        assert_eq!(again, cached);
        assert_eq!(
            requests.load(Ordering::SeqCst),
            4,
            "the cached key made no call"
        );
        let other = tokio::time::timeout(Duration::from_secs(2), keys.facts("other-key"))
            .await
            .expect("another key's lookup does not wait on the stalled one");
        assert!(other.is_ok());
        assert!(
            !stalled.is_finished(),
            "the stalled lookup is still in flight"
        );
        stalled.abort();
    }

    /// A key's facts and policy go out together: all three calls reach the
    /// endpoint while none has been answered (a lookup that waited for the
    /// facts before asking for the policy would send two).
    #[tokio::test]
    async fn a_keys_facts_and_policy_are_requested_together() {
        let (client, requests) = kms_with_a_stalled_key().await;
        let keys = Arc::new(KeyInspector::new(client));
        let lookup = {
            let keys = keys.clone();
            tokio::spawn(async move { keys.facts_and_policy("stalled-key").await })
        };
        requests_reach(
            &requests,
            3,
            "DescribeKey, GetKeyRotationStatus and GetKeyPolicy in flight at once",
        )
        .await;
        assert!(!lookup.is_finished(), "no call has been answered");
        lookup.abort();
    }
}
