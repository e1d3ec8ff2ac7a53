//! Tolerance for one known deviation of local S3 emulators, applied to a
//! single operation and a no-op against real S3.
//!
//! S3 answers GetBucketVersioning with a `VersioningConfiguration` root
//! element; moto (the emulator the acceptance suite runs against) answers
//! `GetBucketVersioningResponse`, which the SDK's strict XML decoder rejects.
//! The interceptor renames that root before decoding. It is attached with
//! `customize()` to GetBucketVersioning calls only.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;
use bytes::Bytes;
use http_body::{Body, Frame};

const EMULATOR_ROOT: &str = "GetBucketVersioningResponse";
const S3_ROOT: &str = "VersioningConfiguration";

#[derive(Debug)]
pub struct VersioningRootCompat;

impl Intercept for VersioningRootCompat {
    fn name(&self) -> &'static str {
        "VersioningRootCompat"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body = std::mem::replace(context.response_mut().body_mut(), SdkBody::taken());
        *context.response_mut().body_mut() = SdkBody::from_body_1_x(RenameRoot {
            inner: body,
            buffer: Vec::new(),
            done: false,
        });
        Ok(())
    }
}

/// Renames the emulator's root element in a small XML document.
pub fn rename_root(xml: &str) -> String {
    xml.replacen(&format!("<{EMULATOR_ROOT}"), &format!("<{S3_ROOT}"), 1)
        .replacen(&format!("</{EMULATOR_ROOT}>"), &format!("</{S3_ROOT}>"), 1)
}

/// Buffers the (small) response body and emits it renamed.
struct RenameRoot {
    inner: SdkBody,
    buffer: Vec<u8>,
    done: bool,
}

impl Body for RenameRoot {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.done {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    self.done = true;
                    let text = String::from_utf8_lossy(&self.buffer);
                    let renamed = rename_root(&text);
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::from(renamed)))));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_only_the_emulator_root() {
        let emulator = r#"<?xml version="1.0"?><GetBucketVersioningResponse xmlns="x"><Status>Enabled</Status></GetBucketVersioningResponse>"#;
        assert_eq!(
            rename_root(emulator),
            r#"<?xml version="1.0"?><VersioningConfiguration xmlns="x"><Status>Enabled</Status></VersioningConfiguration>"#
        );
        let real =
            r#"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"#;
        assert_eq!(rename_root(real), real);
    }
}
