//! What the client's test binaries share: the client they drive, a whole read of the app, and
//! the fake's truth to compare it with.

use std::collections::{BTreeMap, BTreeSet};

use fake_okta::FakeOkta;
use groupsync_core::okta::{OktaClient, OktaErrorKind};
use okta_tests::{ReqwestTransport, TokioClock};

/// The client under test, over a native HTTP client.
pub(crate) type Client = OktaClient<ReqwestTransport, TokioClock>;

/// Lists the app's groups and all their members: group id → member ids.
pub(crate) async fn read_everything(
    client: &Client,
    app_id: &str,
) -> Result<BTreeMap<String, BTreeSet<String>>, OktaErrorKind> {
    let assignments = client.list_app_groups(app_id).await.map_err(|e| e.kind)?;
    let ids: Vec<String> = assignments.iter().map(|a| a.id.clone()).collect();
    let members = client.list_members_of_groups(&ids).await.map_err(|e| e.kind)?;
    Ok(ids
        .into_iter()
        .zip(members)
        .map(|(id, users)| (id, users.into_iter().map(|u| u.id).collect()))
        .collect())
}

/// What the fake says: group id → member ids.
pub(crate) fn truth(fake: &FakeOkta) -> BTreeMap<String, BTreeSet<String>> {
    fake.control()
        .truth()
        .groups
        .into_iter()
        .map(|g| (g.id, g.members.into_iter().map(|m| m.id).collect()))
        .collect()
}
