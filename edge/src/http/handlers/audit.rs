//! The audit log: a filtered page of entries as JSON, or every matching entry (up to a bound) as a
//! CSV file for spreadsheets and auditors. Both say what each entry records in words for people.

use groupsync_core::api::{AuditEntry, ListAuditResponse};
use groupsync_core::domain::{AuditFacts, AuditFilter, change_summary, describe_audit};
use worker::{Headers, Request, Response};

use crate::adapters::d1::AuditRow;
use crate::error::{ApiError, StoreError};
use crate::http::audit_csv::{AUDIT_CSV_COLUMNS, audit_csv_cells};
use crate::http::context::Ctx;
use crate::http::handlers::{PlannedAnswer, answered};
use crate::http::listing::{AuditQuery, audit_query, query_pairs};
use crate::http::respond;

/// The most entries one page of `GET /api/v1/audit` holds.
const MAX_AUDIT_PAGE: u32 = 200;
/// The longest `target` or `actor` a filter may give (ids and emails are far shorter).
const MAX_FILTER_LENGTH: usize = 320;
/// The most entries one export holds, newest first: a bounded answer (a few MB) from a bounded
/// number of D1 queries. Narrower filters (days) reach older entries.
pub(crate) const MAX_AUDIT_EXPORT: u32 = 10_000;
/// Entries read per D1 query while exporting.
const EXPORT_PAGE: u32 = 500;
/// The response header that says an export stopped at [`MAX_AUDIT_EXPORT`] entries while older
/// ones match too.
const EXPORT_TRUNCATED_HEADER: &str = "Audit-Export-Truncated";
/// The response header that says how many entries an export holds (a CSV's lines do not: a
/// cell may hold a line break).
const EXPORT_ENTRIES_HEADER: &str = "Audit-Export-Entries";

/// `GET /api/v1/audit?before=&limit=&target=&actor=&action=&from=&to=`.
pub(crate) fn list_audit(req: &Request, ctx: &Ctx) -> Result<PlannedAnswer, ApiError> {
    let AuditQuery { before, limit, filter } =
        audit_query(&query_pairs(req)?, 50, MAX_AUDIT_PAGE, MAX_FILTER_LENGTH)?;
    // One entry more than a page, to know whether another page follows.
    let read = ctx.store.plan_audit(before, &filter, limit + 1)?;
    Ok(answered(read, move |rows| {
        let more = rows.len() > limit as usize;
        let entries: Vec<AuditEntry> = rows.into_iter().take(limit as usize).map(entry).collect();
        let next_before = if more { entries.last().map(|e| e.id) } else { None };
        respond::json(&ListAuditResponse { entries, next_before }, 200)
    }))
}

/// `GET /api/v1/audit/export?target=&actor=&action=&from=&to=`: the matching entries as CSV,
/// newest first, at most [`MAX_AUDIT_EXPORT`].
pub(crate) async fn export_audit(req: &Request, ctx: &Ctx) -> Result<Response, ApiError> {
    let pairs = query_pairs(req)?;
    if let Some((name, _)) = pairs.iter().find(|(name, _)| name == "before" || name == "limit") {
        return Err(crate::http::listing::invalid_query(
            name,
            "is not a parameter of the export (it holds every matching entry, newest first)",
        ));
    }
    let AuditQuery { filter, .. } = audit_query(&pairs, 1, 1, MAX_FILTER_LENGTH)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(AUDIT_CSV_COLUMNS).map_err(export_failed)?;
    let (written, truncated) = write_matching(ctx, &filter, &mut csv).await?;
    let body = csv.into_inner().map_err(|e| export_failed(e.into_error()))?;
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(worker_failed);
    set("Content-Type", "text/csv; charset=utf-8")?;
    set("Content-Disposition", "attachment; filename=\"audit-log.csv\"")?;
    set(EXPORT_TRUNCATED_HEADER, if truncated { "true" } else { "false" })?;
    set(EXPORT_ENTRIES_HEADER, &written.to_string())?;
    Ok(Response::from_bytes(body).map_err(worker_failed)?.with_headers(headers))
}

/// Writes the entries matching `filter` to `csv`, newest first, [`EXPORT_PAGE`] per D1 query and
/// at most [`MAX_AUDIT_EXPORT`]; returns how many it wrote, and whether older ones match too.
async fn write_matching(
    ctx: &Ctx,
    filter: &AuditFilter,
    csv: &mut csv::Writer<Vec<u8>>,
) -> Result<(u32, bool), ApiError> {
    let (mut before, mut written, mut truncated) = (None, 0, false);
    loop {
        let rows = ctx.store.list_audit(before, filter, EXPORT_PAGE).await?;
        let full_page = rows.len() == EXPORT_PAGE as usize;
        before = rows.last().map(|row| row.id);
        for row in rows {
            if written == MAX_AUDIT_EXPORT {
                truncated = true;
                break;
            }
            csv.write_record(audit_csv_cells(&entry(row))).map_err(export_failed)?;
            written += 1;
        }
        if truncated || !full_page {
            break;
        }
        if written == MAX_AUDIT_EXPORT {
            // A full last page: one more entry would say whether older ones match too.
            truncated = !ctx.store.list_audit(before, filter, 1).await?.is_empty();
            break;
        }
    }
    Ok((written, truncated))
}

/// A row as the wire shows it: its JSON parsed, its summary and its sentence for people.
fn entry(row: AuditRow) -> AuditEntry {
    // A value that is not JSON (none is written so) reads as absent rather than failing the log.
    let before = row.before.and_then(|b| serde_json::from_str(&b).ok());
    let after = row.after.and_then(|a| serde_json::from_str(&a).ok());
    let description = describe_audit(&AuditFacts {
        action: &row.action,
        target: row.target.as_deref(),
        target_name: row.target_name.as_deref(),
        before: before.as_ref(),
        after: after.as_ref(),
    });
    AuditEntry {
        id: row.id,
        at: row.at,
        actor: row.actor,
        actor_kind: row.actor_kind,
        action: row.action,
        target: row.target,
        summary: change_summary(before.as_ref(), after.as_ref()),
        description,
        target_name: row.target_name,
        before,
        after,
    }
}

fn export_failed(error: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(StoreError::Database(format!("writing the audit export: {error}")))
}

fn worker_failed(error: worker::Error) -> ApiError {
    ApiError::Internal(StoreError::Database(format!("answering the audit export: {error}")))
}
