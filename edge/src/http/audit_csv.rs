//! The audit log as CSV (pure, native-testable): its columns and each entry's cells, made safe
//! to open in a spreadsheet.

use groupsync_core::api::AuditEntry;

/// The export's header row.
pub const AUDIT_CSV_COLUMNS: [&str; 10] = [
    "id",
    "at",
    "actor",
    "actor_kind",
    "action",
    "target",
    "target_name",
    "description",
    "before",
    "after",
];

/// An entry's cells, in the order of [`AUDIT_CSV_COLUMNS`].
pub fn audit_csv_cells(entry: &AuditEntry) -> [String; 10] {
    let json = |value: &Option<serde_json::Value>| value.as_ref().map(ToString::to_string);
    [
        entry.id.to_string(),
        entry.at.clone(),
        entry.actor.clone(),
        entry.actor_kind.clone(),
        entry.action.clone(),
        entry.target.clone().unwrap_or_default(),
        entry.target_name.clone().unwrap_or_default(),
        entry.description.clone(),
        json(&entry.before).unwrap_or_default(),
        json(&entry.after).unwrap_or_default(),
    ]
    .map(|cell| inert_in_spreadsheets(&cell))
}

/// `cell`, with a leading `'` when a spreadsheet would read it as a formula: group names and
/// emails come from Okta and from callers, and `=HYPERLINK(…)` in a cell is an attack on whoever
/// opens the file (OWASP's advice on CSV injection).
fn inert_in_spreadsheets(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn entry(target_name: &str, description: &str) -> AuditEntry {
        AuditEntry {
            id: 7,
            at: "2026-11-30T10:00:00.000Z".into(),
            actor: "ann@example.com".into(),
            actor_kind: "person".into(),
            action: "group.roles_set".into(),
            target: Some("00g1".into()),
            before: None,
            after: Some(json!({ "roles": ["admin"] })),
            summary: String::new(),
            description: description.into(),
            target_name: Some(target_name.into()),
        }
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_are_made_text() {
        for formula in ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(inert_in_spreadsheets(formula), format!("'{formula}"), "{formula:?}");
        }
        for plain in ["IT Admins", "ann@example.com", "", "a=b", "'quoted"] {
            assert_eq!(inert_in_spreadsheets(plain), plain);
        }
        let cells = audit_csv_cells(&entry("=cmd|' /C calc'!A0", "Roles of =cmd: Admin added"));
        assert_eq!(cells[6], "'=cmd|' /C calc'!A0");
        assert_eq!(cells[7], "Roles of =cmd: Admin added");
    }

    #[test]
    fn quotes_commas_and_line_breaks_survive_a_round_trip_through_csv() {
        let name = "Sales, \"EMEA\"\nand more";
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(AUDIT_CSV_COLUMNS).unwrap();
        writer.write_record(audit_csv_cells(&entry(name, "x"))).unwrap();
        let bytes = writer.into_inner().unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][6], name);
        assert_eq!(&rows[0][9], r#"{"roles":["admin"]}"#);
    }
}
