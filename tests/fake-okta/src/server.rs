//! The HTTP server: the accept loop (one task per connection, all aborted when the server task
//! is), the response body type (which can deliberately cut a body short), and the split between
//! the control API (`/__control/…`) and the Okta surface (everything else).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::HOST;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};

use crate::control::Shared;
use crate::{control_http, oauth, okta};

/// A response body: whole, or (for the truncated-body fault) a prefix followed by an error
/// that makes hyper close the connection before the announced length was sent.
#[derive(Debug)]
pub(crate) struct ResponseBody {
    data: Option<Bytes>,
    fail_after: bool,
    /// Before failing, a pause that lets hyper flush the headers and the prefix: an error in
    /// the same poll would drop them unsent.
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ResponseBody {
    /// A complete body.
    pub(crate) fn full(data: impl Into<Bytes>) -> ResponseBody {
        ResponseBody { data: Some(data.into()), fail_after: false, pause: None }
    }

    /// A body that sends `prefix` and then breaks the connection.
    pub(crate) fn cut(prefix: Bytes) -> ResponseBody {
        let pause = Some(Box::pin(tokio::time::sleep(std::time::Duration::from_millis(50))));
        ResponseBody { data: Some(prefix), fail_after: true, pause }
    }
}

/// The error that ends a deliberately truncated body.
#[derive(Debug)]
pub(crate) struct Truncated;

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("body truncated on purpose (fault injection)")
    }
}

impl std::error::Error for Truncated {}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Truncated;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Truncated>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        if let Some(pause) = self.pause.as_mut() {
            if pause.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.pause = None;
        }
        if self.fail_after {
            self.fail_after = false;
            return Poll::Ready(Some(Err(Truncated)));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_none() && !self.fail_after
    }

    fn size_hint(&self) -> SizeHint {
        match (&self.data, self.fail_after) {
            (Some(data), false) => SizeHint::with_exact(data.len() as u64),
            (None, false) => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}

/// Serves connections from `listener` until the returned task is aborted.
pub(crate) fn spawn(listener: TcpListener, shared: Arc<Shared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let local = listener.local_addr().map_or_else(|_| "127.0.0.1".into(), |a| a.to_string());
        // Dropping the set (when this task is aborted) aborts every connection, including
        // requests held by a hang fault.
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let shared = Arc::clone(&shared);
                    let local = local.clone();
                    connections.spawn(async move {
                        let service = service_fn(move |req| {
                            let shared = Arc::clone(&shared);
                            let local = local.clone();
                            async move { Ok::<_, Infallible>(route(&shared, req, &local).await) }
                        });
                        // A connection error (the client went away, a truncated body) ends
                        // only that connection.
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    })
}

async fn route(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    local: &str,
) -> Response<ResponseBody> {
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok()).unwrap_or(local);
    let origin = format!("http://{host}");
    if req.uri().path().starts_with("/__control") {
        control_http::handle(shared, req).await
    } else if req.uri().path() == oauth::TOKEN_PATH {
        oauth::token_endpoint(shared, req, &origin).await
    } else {
        okta::handle(shared, req, origin).await
    }
}
