//! Bar charts drawn on the server as SVG: no chart library, nothing to download, readable by
//! screen readers through each bar's title and the chart's description.

/// One bar.
#[derive(Debug)]
pub struct Bar {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// What it counts (under the bar).
    pub label: String,
    /// Its value, as shown above it.
    pub value: String,
    /// The CSS class that colours it.
    pub class: &'static str,
}

/// A chart ready for `chart.html`.
#[derive(Debug)]
pub struct BarChart {
    /// Its accessible name.
    pub title: String,
    /// The bars.
    pub bars: Vec<Bar>,
    /// The drawing's width.
    pub width: u32,
    /// The drawing's height.
    pub height: u32,
    /// The baseline's height from the top.
    pub baseline: u32,
}

const PLOT_HEIGHT: u32 = 120;
const TOP: u32 = 18;
const BAR_WIDTH: u32 = 36;
const GAP: u32 = 14;

impl BarChart {
    /// Bars of `(label, value, class)`, scaled to the largest value.
    pub fn new(title: impl Into<String>, values: &[(String, f64, &'static str)]) -> Self {
        let max = values.iter().map(|(_, v, _)| *v).fold(0.0_f64, f64::max);
        let bars = values
            .iter()
            .enumerate()
            .map(|(i, (label, value, class))| {
                let height = if max > 0.0 {
                    ((value / max) * f64::from(PLOT_HEIGHT)).round() as u32
                } else {
                    0
                };
                Bar {
                    x: GAP + u32::try_from(i).unwrap_or(0) * (BAR_WIDTH + GAP),
                    y: TOP + PLOT_HEIGHT - height,
                    width: BAR_WIDTH,
                    height,
                    label: label.clone(),
                    value: trim_number(*value),
                    class,
                }
            })
            .collect::<Vec<_>>();
        let count = u32::try_from(bars.len()).unwrap_or(0).max(1);
        Self {
            title: title.into(),
            width: GAP + count * (BAR_WIDTH + GAP),
            height: TOP + PLOT_HEIGHT + 22,
            baseline: TOP + PLOT_HEIGHT,
            bars,
        }
    }

    /// Whether there is nothing to draw.
    pub fn is_empty(&self) -> bool {
        self.bars.is_empty()
    }
}

fn trim_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_sit_on_the_baseline() {
        let chart = BarChart::new(
            "t",
            &[
                ("200".into(), 10.0, "bar-ok"),
                ("500".into(), 5.0, "bar-failed"),
            ],
        );
        assert_eq!(chart.bars[0].height, PLOT_HEIGHT);
        assert_eq!(chart.bars[1].height, PLOT_HEIGHT / 2);
        for bar in &chart.bars {
            assert_eq!(bar.y + bar.height, chart.baseline);
        }
        assert!(chart.bars[1].x > chart.bars[0].x + chart.bars[0].width);
        assert_eq!(BarChart::new("empty", &[]).bars.len(), 0);
    }
}
