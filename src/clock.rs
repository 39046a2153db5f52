//! The wall clock: the one place gitseal asks the operating system what time it is.
//!
//! Signing needs "now" (the CMS `signingTime`, the Rekor entry timestamp, a fresh
//! certificate's `notBefore` against our clock); the OIDC flows need it for token expiry and
//! device-code polling; the entry cache needs a unique temporary file name. Verification never
//! does: the trusted time is the log's integrated time (`verify`'s module docs). Everything
//! that wants the time takes a [`Clock`] (tests inject a fake one that only advances) or, where
//! the time decides nothing, asks [`SystemClock`] directly. `SystemTime::now` is a
//! `disallowed-methods` entry of `scripts/clippy.toml`, so a new reader of the clock elsewhere
//! fails `scripts/test`.
//!
//! (Monotonic deadlines, `std::time::Instant`, are not the wall clock and stay with the code
//! that waits: they cannot be set back and decide no validity.)

use std::time::{Duration, SystemTime};

/// Time, injected so flows with waits (device polling, token expiry) are testable.
pub trait Clock: Send + Sync {
    /// Wall-clock now.
    fn now(&self) -> SystemTime;
    /// Blocks for `d` (a fake clock just advances).
    fn sleep(&self, d: Duration);
    /// Now as Unix seconds (negative before 1970).
    fn unix_now(&self) -> i64 {
        match self.now().duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
        }
    }
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one read of the operating system's wall clock (module docs).
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// The proleptic Gregorian date (year, month 1–12, day 1–31) of a day count since
/// 1970-01-01, UTC: Howard Hinnant's `civil_from_days` ("chrono-Compatible Low-Level Date
/// Algorithms"). Pure arithmetic, no clock: the one copy for status lines, cache timestamps
/// and HTTP dates.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The inverse of [`civil_from_days`] (Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]
pub(crate) mod testing {
    //! A clock whose `sleep` only advances time.

    use super::Clock;
    use std::sync::Mutex;
    use std::time::{Duration, SystemTime};

    pub(crate) struct FakeClock {
        now: Mutex<SystemTime>,
        pub slept: Mutex<Vec<Duration>>,
    }

    impl FakeClock {
        pub(crate) fn at_unix(secs: u64) -> Self {
            Self {
                now: Mutex::new(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)),
                slept: Mutex::new(Vec::new()),
            }
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> SystemTime {
            *self.now.lock().unwrap()
        }
        fn sleep(&self, d: Duration) {
            self.slept.lock().unwrap().push(d);
            *self.now.lock().unwrap() += d;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::testing::FakeClock;
    use super::*;

    #[test]
    fn unix_now_counts_both_ways_from_the_epoch() {
        struct At(SystemTime);
        impl Clock for At {
            fn now(&self) -> SystemTime {
                self.0
            }
            fn sleep(&self, _: Duration) {}
        }
        let epoch = SystemTime::UNIX_EPOCH;
        assert_eq!(At(epoch + Duration::from_secs(90)).unix_now(), 90);
        assert_eq!(At(epoch - Duration::from_secs(90)).unix_now(), -90);
    }

    #[test]
    fn fake_clock_sleep_only_advances() {
        let c = FakeClock::at_unix(1_000);
        c.sleep(Duration::from_secs(5));
        assert_eq!(c.unix_now(), 1_005);
        assert_eq!(*c.slept.lock().unwrap(), vec![Duration::from_secs(5)]);
    }

    #[test]
    fn system_clock_is_after_the_epoch() {
        // Any machine running this test is past 2020-01-01.
        assert!(SystemClock.unix_now() > 1_577_836_800);
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }
}
