//! Every list is paged and bounded: a group's members come a page at a time after a cursor, the
//! users and the invitations by page number, each page with its total and far under 1 MB, and
//! a paging mistake is a problem with a stable code (`invalid_query`, 400, as every listing's).

use std::collections::BTreeSet;

use groupsync_core::api::{GroupDetail, ListInvitationsResponse, ListUsersResponse, MemberPage};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::helpers::{Caller, TestApp, expect_problem};
use crate::sync::{TURN, prepared};
use crate::world::World;

/// The most a listing's answer may weigh.
const MAX_RESPONSE_BYTES: usize = 1_000_000;

/// A page of a listing, read whole: its wire type and its size on the wire.
async fn page<T: DeserializeOwned>(caller: &Caller<'_>, path: &str) -> (T, usize) {
    let response = caller.get(path).await;
    let status = response.status();
    let body = response.bytes().await.expect("a body");
    let text = String::from_utf8_lossy(&body);
    assert_eq!(status, StatusCode::OK, "{path}: {text}");
    assert!(body.len() < MAX_RESPONSE_BYTES, "{path} answered {} bytes", body.len());
    let answer = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("{path}: not its wire type ({e}): {text}"));
    (answer, body.len())
}

/// The members of a group as the API lists them, page after page of `per_page`: the ids in the
/// order they came, and each page's answer.
pub(crate) async fn member_pages(
    caller: &Caller<'_>,
    group_id: &str,
    per_page: u32,
) -> (Vec<String>, Vec<MemberPage>) {
    let mut ids = Vec::new();
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/groups/{group_id}/members?per_page={per_page}");
        if let Some(after) = &after {
            path.push_str(&format!("&after={after}"));
        }
        let (answer, _): (MemberPage, _) = page(caller, &path).await;
        let members = &answer.members;
        assert!(members.len() <= per_page as usize, "{path}: {} members", members.len());
        ids.extend(members.iter().map(|m| m.id.clone()));
        after = answer.next_after.clone();
        pages.push(answer);
        if after.is_none() {
            return (ids, pages);
        }
        assert!(pages.len() < 10_000, "the pages of {group_id} never end");
    }
}

/// The member ids of a group, read page by page.
pub(crate) async fn member_ids(caller: &Caller<'_>, group_id: &str) -> BTreeSet<String> {
    let (ids, _) = member_pages(caller, group_id, 200).await;
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "a member of {group_id} was listed twice");
    unique
}

#[tokio::test]
async fn a_groups_members_come_in_pages_that_list_each_once_in_email_order() {
    let _turn = TURN.lock().await;
    let app = TestApp::for_sync();
    let (tenant, control) = &World::get().sync_tenant;
    let root = prepared(&app, tenant).await;
    let truth = control.truth();
    let big = truth.groups.iter().max_by_key(|g| g.members.len()).expect("a group");
    assert!(big.members.len() > 1_000, "the S tenant's largest group has 1,001 members");
    let mut expected: Vec<(String, String)> =
        big.members.iter().map(|m| (m.login.clone(), m.id.clone())).collect();
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, id)| id).collect();

    let (ids, pages) = member_pages(&root, &big.id, 200).await;

    assert_eq!(ids, expected, "every member once, by email then id");
    assert_eq!(pages.len(), big.members.len().div_ceil(200));
    for answer in &pages {
        assert_eq!(answer.total as usize, big.members.len(), "each page counts them all");
        assert_eq!(answer.per_page, 200);
        assert_eq!(answer.as_of, pages[0].as_of, "one listing");
    }
    assert!(pages[0].as_of.is_some(), "a listing names the sync it comes from");

    // The group itself says how many, and carries no member (its wire type has none).
    let (group, size): (GroupDetail, _) = page(&root, &format!("/api/v1/groups/{}", big.id)).await;
    assert_eq!(group.member_count as usize, big.members.len());
    assert!(size < 10_000, "{size} bytes: {group:?}");

    // The first page by default: 50 members.
    let path = format!("/api/v1/groups/{}/members", big.id);
    let (first, _): (MemberPage, _) = page(&root, &path).await;
    assert_eq!(first.per_page, 50);
    let first_ids: Vec<&str> = first.members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(first_ids, expected[..50], "the first 50");

    // A search counts and pages only the members that match.
    let wanted = &big.members[big.members.len() / 2];
    let search = wanted.login.replace('+', "%2B");
    let path = format!("/api/v1/groups/{}/members?q={search}", big.id);
    let (found, _): (MemberPage, _) = page(&root, &path).await;
    assert_eq!(found.total, 1, "{found:?}");
    assert_eq!(found.members[0].id, wanted.id);
    assert_eq!(found.members[0].email.as_deref(), Some(wanted.login.as_str()));
    assert_eq!(found.next_after, None);
}

#[tokio::test]
async fn paging_mistakes_are_refused_with_a_stable_code_naming_the_parameter() {
    let app = TestApp::new();
    let root = app.as_person("root@example.com");
    let members = "/api/v1/groups/00gnosuchgroup/members";
    let long = "x".repeat(49);
    let refused = [
        (format!("{members}?per_page=0"), "per_page: a number between 1 and 200"),
        (format!("{members}?per_page=201"), "per_page: a number between 1 and 200"),
        (format!("{members}?per_page=ten"), "per_page: a number between 1 and 200"),
        (format!("{members}?after=not-a-cursor"), "after: not a cursor of this listing"),
        (format!("{members}?page=2"), "page: is not a parameter of this listing"),
        (format!("{members}?per_page=5&per_page=6"), "per_page: is given more than once"),
        (format!("{members}?q={long}"), "q: at most 48 bytes"),
        ("/api/v1/users?per_page=201".to_owned(), "per_page: a number between 1 and 200"),
        ("/api/v1/users?page=0".to_owned(), "page: a page number from 1"),
        ("/api/v1/users?after=61.62".to_owned(), "after: is not a parameter of this listing"),
        ("/api/v1/invitations?per_page=-1".to_owned(), "per_page: a number between 1 and 200"),
        ("/api/v1/invitations?sort=email".to_owned(), "sort: is not a parameter of this listing"),
        ("/api/v1/groups?per_page=1001".to_owned(), "per_page: a number between 1 and 1000"),
        ("/api/v1/groups?sort=size".to_owned(), "sort: one of name, -name, members"),
    ];
    for (path, detail) in refused {
        let problem =
            expect_problem(root.get(&path).await, StatusCode::BAD_REQUEST, "invalid_query").await;
        assert!(problem.detail.starts_with(detail), "{path}: {}", problem.detail);
        let parameter = detail.split_once(": ").unwrap().0;
        assert_eq!(problem.field.as_deref(), Some(parameter), "{path}: the parameter is named");
    }

    // Good paging of a group that does not exist is a 404.
    expect_problem(root.get(members).await, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn the_users_and_the_invitations_come_in_pages_with_their_total_each_under_1_mb() {
    // Seeded with SQL from outside, on a stack no other test writes through.
    let app = TestApp::for_seeding();
    let root = app.as_person("root@example.com");
    // 450 invitations of long addresses (a 200-character local part), each a second apart, of
    // a domain no other test uses, so that the search below lists exactly them.
    let domain = format!("paging-{}.example.com", crate::world::now_s());
    let seeded = 450_usize;
    app.execute_sql(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {seeded}) \
         INSERT INTO invitations (email, okta_user_id, status, invited_by, invited_at) \
         SELECT printf('%s%03d@{domain}', substr(replace(hex(zeroblob(100)), '0', 'ab'), 1, 197), i), \
         NULL, 'invited', 'root@example.com', \
         printf('2020-01-01T%02d:%02d:%02d.000Z', i / 3600, (i / 60) % 60, i % 60) FROM n"
    ));

    for listing in ["users", "invitations"] {
        let mut emails = Vec::new();
        for number in 1_u64..=3 {
            let path = format!("/api/v1/{listing}?q={domain}&per_page=200&page={number}");
            let answer = people_page(&root, listing, &path).await;
            assert_eq!(answer.total as usize, seeded, "{path}");
            assert_eq!((answer.page, answer.per_page), (number as u32, 200));
            let rows = answer.emails.len();
            assert_eq!(rows, [200, 200, 50][number as usize - 1], "{path}");
            emails.extend(answer.emails);
        }
        // Newest first: the last seeded comes first.
        let expected: Vec<String> = (1..=seeded)
            .rev()
            .map(|i| format!("{}{i:03}@{domain}", "ab".repeat(100)[..197].to_owned()))
            .collect();
        assert_eq!(emails.len(), seeded);
        assert_eq!(emails, expected, "{listing}: each invitation once, newest first");
        let path = format!("/api/v1/{listing}?q={domain}&per_page=200&page=4");
        let past = people_page(&root, listing, &path).await;
        assert!(past.emails.is_empty(), "past the end: an empty page");
        assert_eq!(past.total as usize, seeded);
    }

    // Without a search, the users come 50 at a time.
    let (first, _): (ListUsersResponse, _) = page(&root, "/api/v1/users").await;
    assert_eq!(first.per_page, 50);
    assert_eq!(first.users.len(), 50);
    assert!(first.total as usize >= seeded);
}

/// A page of the users or of the invitations (`listing`), as what the paging test compares.
struct PeoplePage {
    total: u32,
    page: u32,
    per_page: u32,
    emails: Vec<String>,
}

async fn people_page(caller: &Caller<'_>, listing: &str, path: &str) -> PeoplePage {
    if listing == "users" {
        let (answer, _): (ListUsersResponse, _) = page(caller, path).await;
        let emails = answer.users.into_iter().map(|u| u.email).collect();
        PeoplePage { total: answer.total, page: answer.page, per_page: answer.per_page, emails }
    } else {
        let (answer, _): (ListInvitationsResponse, _) = page(caller, path).await;
        let emails = answer.invitations.into_iter().map(|i| i.email).collect();
        PeoplePage { total: answer.total, page: answer.page, per_page: answer.per_page, emails }
    }
}
