//! Pictures of progress: the terminal burn-up chart, SVG charts and the static HTML
//! report. Above the store and below the CLI: it draws what it is given, with no git
//! and no clock in it, so the same input always gives the same bytes.

pub mod html;
pub mod site;
pub mod svg;
pub mod terminal;

use chrono::{Days, NaiveDate};

use crate::workflow::burnup::{Day, Forecast, Measure};

/// The furthest a forecast stretches the x axis past the last day of the series.
const MAX_FORECAST_DAYS: i64 = 92;

/// What a chart of one milestone shows.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The milestone's id.
    pub milestone: String,
    /// Its title.
    pub title: String,
    /// Count or points.
    pub measure: Measure,
    /// One day a point, from the first event to today.
    pub series: Vec<Day>,
    /// The forecast from the series.
    pub forecast: Forecast,
    /// Today.
    pub today: NaiveDate,
}

impl Chart {
    /// The first day shown.
    pub fn start(&self) -> NaiveDate {
        self.series.first().map_or(self.today, |d| d.date)
    }

    /// The last day shown: the series' last day, or the due day or the forecast day
    /// when later.
    pub fn end(&self) -> NaiveDate {
        let last = self.series.last().map_or(self.today, |d| d.date);
        // A forecast years away would squash the chart into its first columns.
        let forecast = self
            .forecast
            .date
            .filter(|d| (*d - last).num_days() <= MAX_FORECAST_DAYS);
        [self.forecast.due, forecast]
            .into_iter()
            .flatten()
            .fold(last, NaiveDate::max)
    }

    /// How many days the x axis spans (at least 1).
    pub fn span_days(&self) -> i64 {
        (self.end() - self.start()).num_days().max(1)
    }

    /// The largest value the y axis must hold (at least 1).
    pub fn top(&self) -> f64 {
        self.series.iter().map(|d| d.scope).fold(1.0, f64::max)
    }

    /// The series on `date`: the last day at or before it, none before the start or
    /// after the last day of the series (the future).
    pub fn on(&self, date: NaiveDate) -> Option<&Day> {
        let first = self.series.first()?;
        let index = (date - first.date).num_days();
        usize::try_from(index).ok().and_then(|i| self.series.get(i))
    }

    /// The ideal burn-up line at `date`: from nothing done at the start to today's
    /// scope on the due day; none without a due day.
    pub fn ideal(&self, date: NaiveDate) -> Option<f64> {
        let due = self.forecast.due?;
        let scope = self.series.last()?.scope;
        let total = (due - self.start()).num_days();
        if total <= 0 || date > due {
            return None;
        }
        Some(scope * (date - self.start()).num_days() as f64 / total as f64)
    }

    /// The forecast day, when a forecast line leads to it: after the last day of the
    /// series and on the x axis.
    pub fn forecast_day(&self) -> Option<NaiveDate> {
        let last = self.series.last()?;
        self.forecast
            .date
            .filter(|d| *d > last.date && *d <= self.end())
    }

    /// The forecast line at `date`: from what is done on the last day of the series to
    /// the scope on the forecast day, at the pace the forecast read; none outside
    /// that stretch, or when the forecast day is past the end of the x axis.
    pub fn forecast_line(&self, date: NaiveDate) -> Option<f64> {
        let last = self.series.last()?;
        let end = self.forecast_day()?;
        if date <= last.date || date > end {
            return None;
        }
        let total = (end - last.date).num_days() as f64;
        let gone = (date - last.date).num_days() as f64;
        Some(last.done + (last.scope - last.done) * gone / total)
    }

    /// Every day from the start to the end.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let start = self.start();
        let count = (self.end() - start).num_days().max(0) as u64;
        (0..=count).map(move |i| start + Days::new(i))
    }
}

/// A number as people read it: no decimals for whole numbers, one otherwise.
pub fn amount(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{}", value.round() as i64)
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::burnup::{forecast, Day};

    fn day(date: &str, scope: f64, done: f64) -> Day {
        Day {
            date: date.parse().unwrap(),
            scope,
            done,
            in_progress: 0.0,
        }
    }

    fn chart(series: Vec<Day>, due: Option<&str>) -> Chart {
        let due = due.map(|d| d.parse().unwrap());
        Chart {
            milestone: "m".into(),
            title: String::new(),
            measure: Measure::Count,
            forecast: forecast(&series, due),
            today: series.last().unwrap().date,
            series,
        }
    }

    #[test]
    fn the_forecast_line_runs_from_today_to_the_scope_on_the_forecast_day() {
        // 2 of 4 done in 2 days: one a day, two days left.
        let c = chart(
            vec![day("2026-12-01", 4.0, 1.0), day("2026-12-02", 4.0, 2.0)],
            None,
        );
        assert_eq!(c.forecast_day(), Some("2026-12-04".parse().unwrap()));
        let at = |d: &str| c.forecast_line(d.parse().unwrap());
        assert_eq!(
            at("2026-12-02"),
            None,
            "today is the series, not the forecast"
        );
        assert_eq!(at("2026-12-03"), Some(3.0));
        assert_eq!(at("2026-12-04"), Some(4.0));
        assert_eq!(at("2026-12-05"), None);
    }

    #[test]
    fn no_forecast_line_without_progress_or_once_finished() {
        let stalled = chart(
            vec![day("2026-12-01", 4.0, 0.0), day("2026-12-02", 4.0, 0.0)],
            Some("2026-12-10"),
        );
        let finished = chart(
            vec![day("2026-12-01", 2.0, 1.0), day("2026-12-02", 2.0, 2.0)],
            Some("2026-12-10"),
        );
        for c in [stalled, finished] {
            assert_eq!(c.forecast_day(), None);
            assert_eq!(c.forecast_line("2026-12-05".parse().unwrap()), None);
        }
    }
}
