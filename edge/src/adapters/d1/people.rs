//! People: a person's access as of one moment, and the invitations with what decides theirs.

use std::collections::BTreeMap;

use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::groups::{MemberRow, like_pattern};
use groupsync_core::api::AppUserStatus;
use groupsync_core::domain::{
    EmailMatch, IdentityMatch, holds_group_roles, resolve_email, resolve_identity,
};
use groupsync_core::okta::OktaUserStatus;

use super::planned::Answers;
use super::{AuditRecord, Planned, Store, batch_answer, database, opt, text};
use crate::error::StoreError;
use crate::service::access_check::CheckReads;
use crate::service::ports::{CustomGrantRow, GroupRoles, InvitationRow, PeopleStore, PersonFacts};

impl Store {
    // --- people ------------------------------------------------------------------------------

    /// What checks about `emails`, with what-ifs of the groups `what_if_ids`, read; planned.
    pub(crate) fn plan_check_reads(
        &self,
        emails: Vec<String>,
        what_if_ids: &[String],
    ) -> Result<Planned<CheckReads>, StoreError> {
        let people = emails
            .iter()
            .map(|email| Ok(self.plan_person(email, None, None)?.map(PersonRecord::into_facts)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let groups = what_if_ids.iter().map(|id| self.plan_group(id)).collect::<Result<_, _>>()?;
        let reads =
            self.plan_catalog_rows()?.and(Planned::join_all(people)).and(Planned::join_all(groups));
        Ok(reads.map(move |((catalog, facts), groups)| CheckReads {
            catalog,
            people: emails.into_iter().zip(facts).collect(),
            what_if_groups: groups.into_iter().flatten().collect(),
        }))
    }

    /// What decides the access of a person, planned to be read in one batch with the request's
    /// other reads (one round trip, and one transaction, so the status, the grants and the
    /// superAdmin flag are of one moment): whether `email` is a superAdmin, which synced Okta
    /// user they are (the one bound to the sign-in `subject`, else the one synced user with the
    /// email, else `fallback_user_id`), that user's groups with the roles each grants (built-in,
    /// and custom with their scopes and names), and whether an invitation waits for their first
    /// sign-in. Without a subject (someone asking about an email), only a clear email match
    /// counts.
    pub(crate) fn plan_person(
        &self,
        email: &str,
        subject: Option<&str>,
        fallback_user_id: Option<&str>,
    ) -> Result<Planned<PersonRecord>, StoreError> {
        let args = [text(email), opt(subject), opt(fallback_user_id)];
        // Every Okta user the person could be: those with the email, the bound one, the fallback.
        let candidates = "SELECT id FROM okta_users WHERE email = ?1 \
             UNION SELECT okta_user_id FROM identities WHERE subject = ?2 UNION SELECT ?3";
        // One statement, its lists as JSON columns: each statement of a batch costs the D1
        // worker about as much as a small query, and this one is in every request's batch.
        // The lists are put in order after parsing (`PersonRow::parse`).
        let facts = self.statement(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM super_admins WHERE email = ?1) AS super_admin, \
                 (SELECT okta_user_id FROM identities WHERE subject = ?2) AS bound_user, \
                 EXISTS (SELECT 1 FROM invitations WHERE email = ?1 AND status = 'invited') AS invited, \
                 EXISTS (SELECT 1 FROM sign_ins WHERE email = ?1) AS signed_in_before, \
                 (SELECT json_group_array(json_object('okta_user_id', okta_user_id, 'bound_to', bound_to)) \
                  FROM (SELECT u.id AS okta_user_id, i.subject AS bound_to FROM okta_users u \
                  LEFT JOIN identities i ON i.okta_user_id = u.id WHERE u.email = ?1 \
                  ORDER BY u.id LIMIT {MATCHES_READ})) AS matches, \
                 (SELECT json_group_array(json_object('id', id, 'email', email, 'login', login, \
                  'first_name', first_name, 'last_name', last_name, 'status', status)) \
                  FROM okta_users WHERE id IN ({candidates})) AS users, \
                 (SELECT json_group_array(json_object('user_id', m.user_id, 'group_id', g.id, \
                  'group_name', g.name, 'role', r.role)) \
                  FROM group_members m JOIN groups g ON g.id = m.group_id \
                  LEFT JOIN group_roles r ON r.group_id = g.id \
                  WHERE m.user_id IN ({candidates})) AS memberships, \
                 (SELECT json_group_array(json_object('group_id', x.group_id, 'role', x.role, \
                  'role_name', c.name, 'scope', x.scope)) \
                  FROM group_grants x JOIN custom_roles c ON c.key = x.role WHERE x.group_id IN \
                  (SELECT m.group_id FROM group_members m WHERE m.user_id IN ({candidates}))) AS custom"
            ),
            &args,
        )?;
        let statements = vec![facts];
        let subject = subject.map(str::to_owned);
        let fallback_user_id = fallback_user_id.map(str::to_owned);
        Ok(Planned::new(statements, move |results| {
            person_record(results, subject.as_deref(), fallback_user_id.as_deref())
        }))
    }

    /// Records a sign-in of `email` (its first: a recorded one is kept, so two first requests
    /// at once record one), and activates the invitation waiting for it, if `invited`. One batch.
    pub(crate) async fn record_sign_in(
        &self,
        email: &str,
        invited: bool,
        now: &str,
    ) -> Result<(), StoreError> {
        let mut statements = vec![self.statement(
            "INSERT INTO sign_ins (email, first_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            &[text(email), text(now)],
        )?];
        if invited {
            statements.push(self.statement(
                "UPDATE invitations SET status = 'active', activated_at = ?2 \
                 WHERE email = ?1 AND status = 'invited'",
                &[text(email), text(now)],
            )?);
        }
        self.db.batch(statements).await.map_err(database).map(|_| ())
    }

    /// Binds the sign-in `subject` to `okta_user_id`. False when the subject ends up bound to
    /// no such user: another identity was bound to that Okta user first (two first sign-ins
    /// at once); the caller then grants nothing. True also when this subject's own concurrent
    /// request bound it (a screen sends several requests at its first load).
    pub(crate) async fn bind_identity(
        &self,
        subject: &str,
        email: &str,
        okta_user_id: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        let bind = self.statement(
            "INSERT INTO identities (subject, email, okta_user_id, bound_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT DO NOTHING",
            &[text(subject), text(email), text(okta_user_id), text(now)],
        )?;
        let bound = self.statement(
            "SELECT COUNT(*) AS n FROM identities WHERE subject = ?1 AND okta_user_id = ?2",
            &[text(subject), text(okta_user_id)],
        )?;
        let results = self.db.batch(vec![bind, bound]).await.map_err(database)?;
        let bound: Vec<super::Count> = batch_answer(results.into_iter().nth(1))?;
        Ok(bound.first().is_some_and(|c| c.n == 1))
    }

    /// A page of the invitations whose email matches `search`, newest first, with the count of
    /// all that match: one batch, so that the count and the page agree.
    pub(crate) fn plan_invitation_page(
        &self,
        search: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Planned<(Vec<InvitationRow>, u32)>, StoreError> {
        let args = page_args(search, limit, offset);
        let statements = vec![
            self.statement(INVITATIONS_MATCHING_COUNT, &args[..1])?,
            self.statement(&format!("{INVITATION_COLUMNS} {INVITATIONS_PAGE}"), &args)?,
        ];
        Ok(Planned::new(statements, |results| {
            let total: Vec<super::Count> = batch_answer(results.next())?;
            let page = batch_answer(results.next())?;
            Ok((page, total.first().map_or(0, |t| u32::try_from(t.n).unwrap_or(u32::MAX))))
        }))
    }

    /// A page of the access review: everyone invited, and everyone who holds access without
    /// an invitation (see [`review`]),
    /// invited first (newest first), then the others by email; with what decides each one's
    /// access (the grants of the one synced Okta user with their email, and superAdmin
    /// status). One batch of four statements whatever the page holds: D1 runs a batch as one
    /// transaction, so a row never pairs a person with access from before or after a change.
    pub(crate) fn plan_people_page(
        &self,
        search: &str,
        limit: u32,
        offset: u32,
    ) -> Result<Planned<People>, StoreError> {
        let args = page_args(search, limit, offset);
        let review = review();
        let page = format!("WITH {review}, page AS (SELECT email {REVIEW_PAGE})");
        // An email's Okta user is the one synced user with it: a shared email grants nothing.
        let grants = format!(
            "{page} SELECT i.email AS email, u.status AS status, g.id AS group_id, \
             g.name AS group_name, r.role AS role FROM page i \
             JOIN okta_users u ON u.email = i.email \
             AND (SELECT COUNT(*) FROM okta_users c WHERE c.email = i.email) = 1 \
             JOIN group_members m ON m.user_id = u.id JOIN groups g ON g.id = m.group_id \
             JOIN group_roles r ON r.group_id = g.id ORDER BY i.email, g.name, g.id, r.role"
        );
        let super_admins = format!(
            "{page} SELECT s.email AS email FROM super_admins s JOIN page i ON i.email = s.email"
        );
        let statements = vec![
            self.statement(&format!("WITH {review} SELECT COUNT(*) AS n FROM review"), &args[..1])?,
            self.statement(&format!("WITH {review} {REVIEW_COLUMNS} {REVIEW_PAGE}"), &args)?,
            self.statement(&grants, &args)?,
            self.statement(&super_admins, &args)?,
        ];
        Ok(Planned::new(statements, people_of))
    }
}

/// Parses the answers of [`Store::plan_people_page`]'s statements, in their order.
fn people_of(results: &mut Answers) -> Result<People, StoreError> {
    let total: Vec<super::Count> = batch_answer(results.next())?;
    let invitations = batch_answer(results.next())?;
    let grant_rows: Vec<PersonGrantRow> = batch_answer(results.next())?;
    let super_admins: Vec<EmailRow> = batch_answer(results.next())?;
    let mut grants: BTreeMap<String, PersonGrants> = BTreeMap::new();
    for row in grant_rows {
        let person = grants
            .entry(row.email)
            .or_insert_with(|| PersonGrants { status: row.status, grants: Vec::new() });
        push_group_role(&mut person.grants, row.group_id, row.group_name, Some(row.role));
    }
    Ok(People {
        invitations,
        total: total.first().map_or(0, |t| u32::try_from(t.n).unwrap_or(u32::MAX)),
        grants,
        super_admins: super_admins.into_iter().map(|row| row.email).collect(),
    })
}

/// Invitations and people as D1 stores them; each change is written with its audit row in one
/// batch (one transaction).
impl PeopleStore for Store {
    async fn invitation(&self, email: &str) -> Result<Option<InvitationRow>, StoreError> {
        self.first(
            &format!("{INVITATION_COLUMNS} FROM invitations WHERE email = ?1"),
            &[text(email)],
        )
        .await
    }

    async fn insert_invitation(
        &self,
        email: &str,
        okta_user_id: Option<&str>,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let insert = self.statement(
            "INSERT INTO invitations (email, okta_user_id, status, invited_by, invited_at) \
             VALUES (?1, ?2, 'invited', ?3, ?4) ON CONFLICT(email) DO NOTHING",
            &[text(email), opt(okta_user_id), text(&audit.actor.name), text(now)],
        )?;
        self.change_with_audit(insert, audit, now).await
    }

    async fn revoke_invitation(
        &self,
        email: &str,
        audit: &AuditRecord<'_>,
        now: &str,
    ) -> Result<bool, StoreError> {
        let delete = self.statement(
            "DELETE FROM invitations WHERE email = ?1 AND status = 'invited'",
            &[text(email)],
        )?;
        self.change_with_audit(delete, audit, now).await
    }

    async fn person_facts(
        &self,
        email: &str,
        fallback_user_id: Option<&str>,
    ) -> Result<PersonFacts, StoreError> {
        Ok(self.plan_person(email, None, fallback_user_id)?.run(self).await?.into_facts())
    }
}

/// Parses the answers of [`Store::plan_person`]'s statements, in their order.
fn person_record(
    results: &mut Answers,
    subject: Option<&str>,
    fallback_user_id: Option<&str>,
) -> Result<PersonRecord, StoreError> {
    let rows: Vec<PersonRow> = batch_answer(results.next())?;
    let PersonLists {
        super_admin,
        bound_user,
        invited,
        signed_in_before,
        matches,
        users,
        memberships,
        custom,
    } = rows
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Database("a person's facts had no row".into()))?
        .parse()?;
    let matches: Vec<EmailMatch> = matches
        .into_iter()
        .map(|m| EmailMatch { okta_user_id: m.okta_user_id, bound_to: m.bound_to })
        .collect();
    let identity = match subject {
        Some(subject) => resolve_identity(subject, bound_user.as_deref(), &matches),
        None => resolve_email(&matches),
    };
    let chosen = match (&identity, fallback_user_id) {
        (IdentityMatch::NoOktaUser, Some(fallback)) => Some(fallback.to_owned()),
        _ => identity.okta_user_id().map(str::to_owned),
    };
    let mut grants = Vec::new();
    for row in memberships.into_iter().filter(|m| chosen.as_deref() == Some(&m.user_id)) {
        push_group_role(&mut grants, row.group_id, row.group_name, row.role);
    }
    let custom = custom.into_iter().filter(|c| grants.iter().any(|g| g.0 == c.group_id)).collect();
    Ok(PersonRecord {
        super_admin,
        user: users.into_iter().find(|u| chosen.as_deref() == Some(&u.id)),
        identity,
        grants,
        custom,
        invited,
        signed_in_before,
    })
}

impl PersonRecord {
    /// The facts that decide the person's access, as the services read them.
    pub(crate) fn into_facts(self) -> PersonFacts {
        PersonFacts {
            super_admin: self.super_admin,
            identity: self.identity,
            user: self.user.map(|u| (u.id, OktaUserStatus::parse(&u.status))),
            grants: self.grants,
            custom: self.custom,
        }
    }
}

/// What decides one person's access, as of one moment.
#[derive(Debug)]
pub(crate) struct PersonRecord {
    pub(crate) super_admin: bool,
    /// Which synced Okta user they are, and how that was decided.
    pub(crate) identity: IdentityMatch,
    /// Their synced Okta user, if they clearly are one.
    pub(crate) user: Option<MemberRow>,
    /// Every group they are in, with the roles it grants (perhaps none), by group name: empty
    /// when they are in no synced group.
    pub(crate) grants: Vec<GroupRoles>,
    /// The custom grants of those groups, with the roles' names.
    pub(crate) custom: Vec<CustomGrantRow>,
    /// Whether they hold an invitation not yet activated by a sign-in.
    pub(crate) invited: bool,
    /// Whether a sign-in of theirs is recorded (see [`Store::record_sign_in`]).
    pub(crate) signed_in_before: bool,
}

/// A group of a person with one role it grants (`None`: it grants none).
#[derive(Deserialize)]
struct MembershipRow {
    user_id: String,
    group_id: String,
    group_name: String,
    role: Option<String>,
}

/// The columns of an invitation, to be followed by a `FROM` (such as [`INVITATIONS_PAGE`]).
const INVITATION_COLUMNS: &str =
    "SELECT email, okta_user_id, status, invited_by, invited_at, activated_at";

/// The invitations whose email matches ?1 (a `LIKE` pattern), newest first, ?2 of them after
/// skipping ?3.
const INVITATIONS_PAGE: &str = "FROM invitations WHERE email LIKE ?1 ESCAPE '\\' \
     ORDER BY invited_at DESC, email LIMIT ?2 OFFSET ?3";

/// How many invitations match ?1.
const INVITATIONS_MATCHING_COUNT: &str =
    "SELECT COUNT(*) AS n FROM invitations WHERE email LIKE ?1 ESCAPE '\\'";

/// The access review's people matching ?1 (a `LIKE` pattern), as the CTE `review`: every
/// invitation, and everyone not invited who holds access (a synced Okta user whose status holds
/// their groups' roles, in a group that grants a role, or a superAdmin) or has signed in, with
/// `invited_at` NULL, the status `not_invited` and their first sign-in as `activated_at`.
fn review() -> String {
    format!(
        "holders AS (\
         SELECT u.email AS email FROM group_roles r JOIN group_members m ON m.group_id = r.group_id \
         JOIN okta_users u ON u.id = m.user_id WHERE u.status IN ({holding}) AND u.email IS NOT NULL \
         UNION SELECT email FROM super_admins UNION SELECT email FROM sign_ins), \
         review AS (\
         SELECT email, okta_user_id, status, invited_by, invited_at, activated_at FROM invitations \
         WHERE email LIKE ?1 ESCAPE '\\' \
         UNION ALL SELECT h.email, NULL, 'not_invited', NULL, NULL, \
         (SELECT first_at FROM sign_ins s WHERE s.email = h.email) FROM holders h \
         WHERE h.email LIKE ?1 ESCAPE '\\' AND h.email NOT IN (SELECT email FROM invitations))",
        holding = statuses_holding_roles()
    )
}

/// The Okta statuses whose members hold their groups' roles, as an SQL list: the rule is
/// `core`'s alone.
pub(super) fn statuses_holding_roles() -> String {
    OktaUserStatus::ALL
        .into_iter()
        .filter(|status| holds_group_roles(*status))
        .map(|status| format!("'{}'", status.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns of a review row, to be followed by [`REVIEW_PAGE`].
const REVIEW_COLUMNS: &str =
    "SELECT email, okta_user_id, status, invited_by, invited_at, activated_at";

/// A page of `review`: the invited first, newest first, then the others by email.
const REVIEW_PAGE: &str = "FROM review \
     ORDER BY invited_at IS NULL, invited_at DESC, email LIMIT ?2 OFFSET ?3";

/// The arguments of [`INVITATIONS_PAGE`] and [`REVIEW_PAGE`].
fn page_args(search: &str, limit: u32, offset: u32) -> [JsValue; 3] {
    [
        text(&like_pattern(search)),
        JsValue::from_f64(f64::from(limit)),
        JsValue::from_f64(f64::from(offset)),
    ]
}

/// A page of the access review and what decides each person's access, as of one moment.
#[derive(Debug)]
pub(crate) struct People {
    /// The invited (newest first), then those holding access without an invitation.
    pub(crate) invitations: Vec<ReviewRow>,
    /// The people matching the search, over all pages.
    pub(crate) total: u32,
    /// By email: the Okta status of each person of the page whose groups grant roles, with
    /// those groups and roles.
    pub(crate) grants: BTreeMap<String, PersonGrants>,
    /// The people of the page who are superAdmins.
    pub(crate) super_admins: Vec<String>,
}

/// An invited person's Okta status and the groups that grant them roles.
#[derive(Debug)]
pub(crate) struct PersonGrants {
    pub(crate) status: String,
    /// (group id, group name, roles), by group name.
    pub(crate) grants: Vec<GroupRoles>,
}

/// Adds a group, and `role` if it grants one, to `grants`, built from rows sorted by group: a
/// group's roles are one run of rows.
fn push_group_role(
    grants: &mut Vec<GroupRoles>,
    group_id: String,
    group_name: String,
    role: Option<String>,
) {
    match grants.last_mut() {
        Some(last) if last.0 == group_id => last.2.extend(role),
        _ => grants.push((group_id, group_name, role.into_iter().collect())),
    }
}

/// A role that a group grants an invited person, with the person's Okta status.
#[derive(Deserialize)]
struct PersonGrantRow {
    email: String,
    status: String,
    group_id: String,
    group_name: String,
    role: String,
}

/// The most Okta users with one email that a person's facts read: more than one is already a
/// conflict the person cannot be matched through.
const MATCHES_READ: u32 = 10;

/// The row of [`Store::plan_person`]: a person's flags, the Okta user bound to their sign-in,
/// and the lists as JSON arrays.
#[derive(Deserialize)]
struct PersonRow {
    super_admin: i64,
    bound_user: Option<String>,
    invited: i64,
    signed_in_before: i64,
    matches: String,
    users: String,
    memberships: String,
    custom: String,
}

/// A person's facts as read, the lists in the order the rules take them.
struct PersonLists {
    super_admin: bool,
    bound_user: Option<String>,
    invited: bool,
    signed_in_before: bool,
    matches: Vec<MatchRow>,
    users: Vec<MemberRow>,
    /// By group name, group id and role (none first), as a person's grants are listed.
    memberships: Vec<MembershipRow>,
    /// By group id, role and scope.
    custom: Vec<CustomGrantRow>,
}

impl PersonRow {
    /// The lists parsed and put in order: the byte order of strings, as in the `BINARY` collation.
    fn parse(self) -> Result<PersonLists, StoreError> {
        fn list<T: serde::de::DeserializeOwned>(json: &str) -> Result<Vec<T>, StoreError> {
            serde_json::from_str(json).map_err(|e| StoreError::Database(e.to_string()))
        }
        let mut memberships: Vec<MembershipRow> = list(&self.memberships)?;
        memberships.sort_by(|a, b| {
            (&a.group_name, &a.group_id, &a.role).cmp(&(&b.group_name, &b.group_id, &b.role))
        });
        let mut custom: Vec<CustomGrantRow> = list(&self.custom)?;
        custom.sort_by(|a, b| {
            (&a.group_id, &a.role, &a.scope).cmp(&(&b.group_id, &b.role, &b.scope))
        });
        Ok(PersonLists {
            super_admin: self.super_admin != 0,
            bound_user: self.bound_user,
            invited: self.invited != 0,
            signed_in_before: self.signed_in_before != 0,
            matches: list(&self.matches)?,
            users: list(&self.users)?,
            memberships,
            custom,
        })
    }
}

#[derive(Deserialize)]
struct MatchRow {
    okta_user_id: String,
    bound_to: Option<String>,
}

#[derive(Deserialize)]
struct EmailRow {
    email: String,
}

/// A row of the access review: an invitation, or someone holding access without one.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ReviewRow {
    pub(crate) email: String,
    pub(crate) okta_user_id: Option<String>,
    pub(crate) status: AppUserStatus,
    pub(crate) invited_by: Option<String>,
    pub(crate) invited_at: Option<String>,
    pub(crate) activated_at: Option<String>,
}
