//! A sync run in words and numbers for the progress display: how far it has read, what it
//! changed, and what to do when it failed. Pure, so it is tested natively.

use groupsync_core::api::{SyncFailure, SyncProgress, SyncRun, SyncState};
use groupsync_core::domain::SyncCounts;

use crate::text::count;

/// How far a running sync has come.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// `(done, of)` for the progress bar; `None` while the total is not known yet.
    pub fraction: Option<(u32, u32)>,
    /// What has been read, in words.
    pub text: String,
}

/// The progress of a run: first the app's group pages (total unknown), then the groups whose
/// members are read (a known total).
pub fn progress(p: &SyncProgress) -> Progress {
    let groups_read = format!(
        "{} read, {} found",
        count(u64::from(p.group_pages), "page of groups", "pages of groups"),
        count(u64::from(p.groups_found), "group", "groups"),
    );
    if p.member_groups_total == 0 {
        return Progress { fraction: None, text: groups_read };
    }
    let done = p.member_groups_read.min(p.member_groups_total);
    Progress {
        fraction: Some((done, p.member_groups_total)),
        text: format!(
            "{groups_read}; members of {done} of {} read",
            count(u64::from(p.member_groups_total), "group", "groups")
        ),
    }
}

/// Whether a run changes (or would change) any group or membership.
pub fn changes_anything(counts: &SyncCounts) -> bool {
    counts.groups_added
        + counts.groups_changed
        + counts.groups_removed
        + counts.memberships_added
        + counts.memberships_removed
        > 0
}

/// What a run changed (or, for a dry run, would change), in one sentence.
pub fn changes(counts: &SyncCounts, dry_run: bool) -> String {
    if !changes_anything(counts) {
        return if dry_run {
            "Nothing would change: the groups match Okta.".to_owned()
        } else {
            "Nothing changed: the groups already matched Okta.".to_owned()
        };
    }
    let verb = if dry_run { "Would change" } else { "Changed" };
    format!(
        "{verb}: groups {} added, {} changed, {} removed; memberships {} added, {} removed.",
        counts.groups_added,
        counts.groups_changed,
        counts.groups_removed,
        counts.memberships_added,
        counts.memberships_removed,
    )
}

/// What kind of run it was and what started it, e.g. "Full (scheduled)": a preview, a full run
/// (every group read: asked for, nightly, or the first run), or one that read the groups Okta
/// says changed.
pub fn run_kind(run: &SyncRun) -> String {
    let kind = match (run.dry_run, run.full) {
        (true, _) => "Preview",
        (false, true) => "Full",
        (false, false) => "Changed groups",
    };
    let trigger = match run.trigger.as_str() {
        "schedule" => "scheduled",
        "okta_event" => "Okta event",
        _ => "manual",
    };
    format!("{kind} ({trigger})")
}

/// What a run cost Okta, e.g. "1 Okta request, no rate-limit wait."
pub fn run_stats(requests: u64, waits: u64) -> String {
    let waits = match waits {
        0 => "no rate-limit wait".to_owned(),
        n => count(n, "rate-limit wait", "rate-limit waits"),
    };
    format!("{}, {waits}.", count(requests, "Okta request", "Okta requests"))
}

/// The headline of a finished or held run.
pub fn headline(run: &SyncRun) -> String {
    match (run.state, run.dry_run) {
        (SyncState::Running, true) => "Previewing the sync…".to_owned(),
        (SyncState::Running, false) => "Syncing Okta groups…".to_owned(),
        (SyncState::Succeeded, true) => "Preview ready: nothing has been changed yet.".to_owned(),
        (SyncState::Succeeded, false) => "Sync finished.".to_owned(),
        (SyncState::NeedsConfirmation, _) => {
            "This sync is on hold: it would remove many groups or memberships.".to_owned()
        }
        (SyncState::Failed, _) => "The sync failed; nothing was changed.".to_owned(),
        (SyncState::Discarded, _) => "The held sync was discarded; nothing was changed.".to_owned(),
    }
}

/// For a failed run: why (the edge's sentence), and what to do about it, chosen by its code.
pub fn failure_advice(error: &str, code: Option<SyncFailure>) -> String {
    let what_to_do = match code {
        Some(
            SyncFailure::OktaTokenRejected
            | SyncFailure::OktaPermissionDenied
            | SyncFailure::TokenKeyChanged,
        ) => {
            "Check the credential in Settings → Okta API Access, test the connection, then sync again."
        }
        Some(SyncFailure::OktaRateLimited) => {
            "Okta's rate limit was reached; wait a minute, then sync again."
        }
        Some(SyncFailure::NotConfigured | SyncFailure::DeploymentTenantMismatch) => {
            "Complete Settings → Okta API Access, then sync again."
        }
        _ => "Sync again; if it fails again, test the connection in Settings → Okta API Access.",
    };
    format!("{error} {what_to_do}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_stats_count_in_words() {
        assert_eq!(run_stats(1, 0), "1 Okta request, no rate-limit wait.");
        assert_eq!(run_stats(1346, 2), "1346 Okta requests, 2 rate-limit waits.");
        assert_eq!(run_stats(3, 1), "3 Okta requests, 1 rate-limit wait.");
    }

    #[test]
    fn while_group_pages_are_read_the_total_is_unknown() {
        let p = SyncProgress { group_pages: 1, groups_found: 200, ..SyncProgress::default() };
        assert_eq!(
            progress(&p),
            Progress { fraction: None, text: "1 page of groups read, 200 groups found".into() }
        );
    }

    #[test]
    fn reading_members_has_a_fraction_that_never_exceeds_one() {
        let p = SyncProgress {
            group_pages: 3,
            groups_found: 420,
            member_groups_total: 40,
            member_groups_read: 12,
            status_pages: 0,
            ..SyncProgress::default()
        };
        let shown = progress(&p);
        assert_eq!(shown.fraction, Some((12, 40)));
        assert_eq!(
            shown.text,
            "3 pages of groups read, 420 groups found; members of 12 of 40 groups read"
        );
        let over = SyncProgress { member_groups_read: 41, ..p };
        assert_eq!(progress(&over).fraction, Some((40, 40)));
    }

    #[test]
    fn the_changes_read_as_a_sentence_and_nothing_is_said_plainly() {
        let counts = SyncCounts {
            groups_added: 2,
            groups_changed: 1,
            groups_removed: 0,
            memberships_added: 30,
            memberships_removed: 4,
            users_changed: 9,
        };
        assert_eq!(
            changes(&counts, false),
            "Changed: groups 2 added, 1 changed, 0 removed; memberships 30 added, 4 removed."
        );
        assert!(changes(&counts, true).starts_with("Would change:"));
        assert!(changes_anything(&counts));
        assert!(!changes_anything(&SyncCounts { users_changed: 3, ..SyncCounts::default() }));
        assert_eq!(
            changes(&SyncCounts::default(), false),
            "Nothing changed: the groups already matched Okta."
        );
    }

    #[test]
    fn a_failure_says_what_to_do_by_its_code_not_its_words() {
        let token = Some(SyncFailure::OktaTokenRejected);
        let advice = failure_advice("Okta said no.", token);
        assert!(advice.ends_with("test the connection, then sync again."), "{advice}");
        let limited = failure_advice("Slow down.", Some(SyncFailure::OktaRateLimited));
        assert!(limited.contains("wait a minute"), "{limited}");
        let settings = failure_advice("Missing.", Some(SyncFailure::NotConfigured));
        assert!(settings.contains("Complete Settings"), "{settings}");
        // Words that mention a token do not decide it: the code does.
        let timeout =
            failure_advice("The token request timed out.", Some(SyncFailure::OktaUnavailable));
        assert!(timeout.starts_with("The token request timed out. Sync again"), "{timeout}");
        assert!(failure_advice("?", Some(SyncFailure::Unknown)).contains("Sync again"));
        assert!(failure_advice("?", None).contains("Sync again"));
    }
}
