//! The scheduled syncs: which cron triggers run, and when the next one fires.
//!
//! The triggers themselves live in `wrangler.toml` (Cloudflare fires them); these constants are
//! the same expressions, so the edge can tell the screens when the next sync is due. A test
//! checks that both lists agree.

/// One cron trigger of the Worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncTrigger {
    /// The cron expression, exactly as in `wrangler.toml`.
    pub cron: &'static str,
    /// Whether its runs re-read every group's members (`full`), or only the changed ones.
    pub full: bool,
}

/// The triggers: incremental every hour, and a full re-read nightly (03:30 UTC).
pub const SYNC_TRIGGERS: [SyncTrigger; 2] = [
    SyncTrigger { cron: "0 * * * *", full: false },
    SyncTrigger { cron: "30 3 * * *", full: true },
];

/// The next time (epoch seconds, UTC) a trigger fires strictly after `now_s`, and whether that
/// run is full. When two fire at once, the full one wins (it does what the other would).
pub fn next_scheduled_sync(now_s: u64) -> Option<(u64, bool)> {
    SYNC_TRIGGERS
        .iter()
        .filter_map(|t| next_fire(t.cron, now_s).map(|at| (at, t.full)))
        .min_by_key(|&(at, full)| (at, !full))
}

/// The next minute strictly after `now_s` that `cron` matches.
///
/// Supports the daily and hourly forms the triggers use: a minute of `0`–`59`, an hour of `0`–`23` or `*`, and `* * *` for
/// day, month and weekday. Anything else is `None`.
pub fn next_fire(cron: &str, now_s: u64) -> Option<u64> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [minute, hour, "*", "*", "*"] = fields.as_slice() else { return None };
    let minute: u64 = minute.parse().ok().filter(|m| *m < 60)?;
    let hour: Option<u64> = match *hour {
        "*" => None,
        h => Some(h.parse().ok().filter(|h| *h < 24)?),
    };
    let next_minute = now_s / 60 + 1;
    // Every trigger fires within a day; step through the hours of the next 25.
    let first_hour = next_minute / 60;
    (first_hour..first_hour + 25)
        .map(|h| h * 3600 + minute * 60)
        .filter(|at| *at >= next_minute * 60)
        .find(|at| hour.is_none_or(|wanted| (at / 3600) % 24 == wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-28T21:40:10Z.
    const NOW: u64 = 1_795_902_010;

    #[test]
    fn the_hourly_trigger_fires_at_the_next_full_hour() {
        assert_eq!(next_fire("0 * * * *", NOW), Some(1_795_903_200)); // 22:00
        assert_eq!(next_fire("0 * * * *", 1_795_903_200), Some(1_795_906_800), "strictly after");
    }

    #[test]
    fn the_daily_trigger_fires_at_its_hour_and_minute() {
        // 2026-11-29T03:30:00Z.
        assert_eq!(next_fire("30 3 * * *", NOW), Some(1_795_923_000));
    }

    #[test]
    fn unsupported_expressions_have_no_next_time() {
        for cron in ["*/5 * * * *", "0 * * * 1", "60 * * * *", "0 24 * * *", "0 *", ""] {
            assert_eq!(next_fire(cron, NOW), None, "{cron}");
        }
    }

    #[test]
    fn the_next_sync_is_the_earliest_trigger_and_full_wins_a_tie() {
        assert_eq!(next_scheduled_sync(NOW), Some((1_795_903_200, false)));
        // At 03:00:00 the next hourly (04:00) comes after the full one (03:30).
        let three = 1_795_923_000 - 1800;
        assert_eq!(next_scheduled_sync(three), Some((1_795_923_000, true)));
    }

    #[test]
    fn the_triggers_are_those_of_wrangler_toml() {
        let wrangler = include_str!("../../../wrangler.toml");
        let line = wrangler
            .lines()
            .find(|l| l.trim_start().starts_with("crons"))
            .expect("wrangler.toml has a crons line");
        let expected: Vec<String> =
            SYNC_TRIGGERS.iter().map(|t| format!("\"{}\"", t.cron)).collect();
        assert_eq!(line.trim(), format!("crons = [{}]", expected.join(", ")));
    }
}
