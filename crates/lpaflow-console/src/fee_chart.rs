//! The fee report's bar chart, drawn on the server as SVG (the console runs no script of its own): per month,
//! refunds avoided beside refunds still due, in pounds. It only illustrates: the table under it carries every
//! figure, and the SVG has a title and a description that say what it shows for screen readers.

use super::layout::pounds;
use lpaflow_lpa::fee_report::{MonthFigures, Tally};
use maud::{Markup, html};

const LEFT: i64 = 80;
const TOP: i64 = 16;
const PLOT_H: i64 = 200;
const BOTTOM: i64 = 44;
const GROUP_W: i64 = 60;
const BAR_W: i64 = 20;

fn lpas(n: u64) -> String {
    format!("{n} LPA{}", if n == 1 { "" } else { "s" })
}

fn bar_height(pence: i64, max: i64) -> i64 {
    (pence.max(0) * PLOT_H).checked_div(max).unwrap_or(0)
}

fn bar(x: i64, class: &str, label: &str, t: Tally, max: i64) -> Markup {
    let h = bar_height(t.pence, max);
    html! {
        rect class=(class) x=(x) y=(TOP + PLOT_H - h) width=(BAR_W) height=(h) {
            title { (label) ": " (pounds(t.pence)) " (" (lpas(t.count)) ")" }
        }
    }
}

/// The chart of `months`, titled for screen readers with the totals `avoided` and `due`.
pub(super) fn svg(months: &[MonthFigures], avoided: Tally, due: Tally) -> Markup {
    let max = months
        .iter()
        .map(|m| {
            m.figures
                .refunds_avoided
                .pence
                .max(m.figures.refunds_due.pence)
        })
        .max()
        .unwrap_or(0)
        .max(1);
    let width = LEFT + GROUP_W * months.len() as i64 + 10;
    let height = TOP + PLOT_H + BOTTOM;
    let axis_y = TOP + PLOT_H;
    let desc = format!(
        "Bars per month from {} to {}. Refunds avoided in total: {} over {}; refunds still due: {} over {}. \
         The table below gives every figure.",
        months
            .first()
            .map(|m| m.month.to_string())
            .unwrap_or_default(),
        months
            .last()
            .map(|m| m.month.to_string())
            .unwrap_or_default(),
        pounds(avoided.pence),
        lpas(avoided.count),
        pounds(due.pence),
        lpas(due.count),
    );
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height)
            role="img" aria-labelledby="fee-chart-title fee-chart-desc" focusable="false" {
            title id="fee-chart-title" { "Refunds avoided and refunds still due, by month" }
            desc id="fee-chart-desc" { (desc) }
            @for (value, label) in [(max, pounds(max)), (max / 2, pounds(max / 2)), (0, pounds(0))] {
                @let y = axis_y - bar_height(value, max);
                line.gridline x1=(LEFT - 4) y1=(y) x2=(width - 10) y2=(y) {}
                text.tick x=(LEFT - 8) y=(y + 4) text-anchor="end" { (label) }
            }
            @for (i, m) in months.iter().enumerate() {
                @let x = LEFT + GROUP_W * i as i64;
                @let name = m.month.first_day().format("%B %Y").to_string();
                g {
                    (bar(x + 8, "bar-avoided", &format!("{name}, refunds avoided"), m.figures.refunds_avoided, max))
                    (bar(x + 8 + BAR_W, "bar-due", &format!("{name}, refunds still due"), m.figures.refunds_due, max))
                    text.tick x=(x + 8 + BAR_W) y=(axis_y + 18) text-anchor="middle" { (m.month.first_day().format("%b")) }
                    text.tick x=(x + 8 + BAR_W) y=(axis_y + 36) text-anchor="middle" { (m.month.first_day().format("%Y")) }
                }
            }
            line.axis x1=(LEFT) y1=(axis_y) x2=(width - 10) y2=(axis_y) {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lpaflow_lpa::fee_report::{FeeReportBuilder, ReportRange};

    #[test]
    fn bars_scale_to_the_largest_month_and_every_bar_is_titled() {
        let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date");
        let range = ReportRange::new(day("2026-01-01"), day("2026-02-28")).expect("a range");
        let mut months = FeeReportBuilder::new(range).finish().months;
        months[0].figures.refunds_avoided = Tally {
            count: 2,
            pence: 18_400,
        };
        months[1].figures.refunds_due = Tally {
            count: 1,
            pence: 9_200,
        };
        let svg = svg(
            &months,
            months[0].figures.refunds_avoided,
            months[1].figures.refunds_due,
        )
        .into_string();
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains("<title id=\"fee-chart-title\">"));
        assert!(svg.contains("January 2026, refunds avoided: £184.00 (2 LPAs)"));
        assert!(svg.contains("February 2026, refunds still due: £92.00 (1 LPA)"));
        assert!(svg.contains(&format!(
            r#"class="bar-avoided" x="88" y="{TOP}" width="20" height="{PLOT_H}""#
        )));
        assert!(
            svg.contains(&format!(r#"height="{}""#, PLOT_H / 2)),
            "half the largest bar"
        );
        assert_eq!(svg.matches("<rect").count(), 4);
    }
}
