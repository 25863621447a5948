//! A line chart drawn by plotters on a canvas: axes with units, a legend (HTML, beside the
//! canvas: readable at any zoom, and no text for plotters to measure), a readout of the
//! values under the pointer, and at most one redraw per animation frame.

use std::cell::RefCell;
use std::rc::Rc;

use gloo::render::{AnimationFrame, request_animation_frame};
use plotters::prelude::*;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use crate::metrics::{Keep, thin_to_columns};
use crate::ui::panels::chart_canvas::ChartCanvas;
use crate::ui::services::png;

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: AttrValue,
    pub color: RGBColor,
    /// `(x, y)` sorted by `x`.
    pub points: Rc<Vec<(f64, f64)>>,
    /// Line width in CSS pixels.
    pub width: f64,
    /// 1 opaque; lower for raw values under their smoothed line.
    pub opacity: f64,
    /// Listed in the legend and the pointer readout.
    pub legend: bool,
    /// Draw a dot per point (per-epoch values).
    pub markers: bool,
}

#[derive(Properties, PartialEq)]
pub struct LineChartProps {
    pub testid: AttrValue,
    pub title: AttrValue,
    pub x_label: AttrValue,
    pub y_label: AttrValue,
    pub series: Vec<Series>,
    /// Fixed y range (e.g. 0–1 for accuracy); otherwise fitted to the data.
    #[prop_or_default]
    pub y_range: Option<(f64, f64)>,
    /// Show y values as percentages.
    #[prop_or_default]
    pub percent: bool,
    /// What x counts, for the readout ("step", "epoch").
    #[prop_or(AttrValue::Static("step"))]
    pub x_unit: AttrValue,
    /// The x axis spans at least this much, so a young chart has sensible labels.
    #[prop_or(10.0)]
    pub x_min_span: f64,
}

/// Pixel span of the plotting area and the x range it shows, for the pointer readout.
#[derive(Clone, Copy, Default, PartialEq)]
struct Frame {
    left: i32,
    right: i32,
    x_min: f64,
    x_max: f64,
}

fn ranges(props: &LineChartProps) -> (f64, f64, f64, f64) {
    let all = props.series.iter().flat_map(|s| s.points.iter()).filter(|p| p.1.is_finite());
    // At least ten steps wide, so an empty or young chart has whole-number step labels.
    let (mut x_max, mut y_min, mut y_max) = (props.x_min_span, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in all {
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    let (y_min, y_max) = match props.y_range {
        Some(range) => range,
        None if y_min.is_finite() => (0f64.min(y_min), (y_max * 1.08).max(y_min + 1e-3)),
        None => (0.0, 1.0),
    };
    (0.0, x_max, y_min, y_max)
}

/// Presenter mode (`ui::app`): charts drawn for the back of a room, thick lines and big labels.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Presenting(pub bool);

/// How much larger than usual the presenter's charts draw text and lines.
const PRESENTER_SCALE: f64 = 1.7;

fn draw(canvas: &HtmlCanvasElement, props: &LineChartProps, scale: f64) -> Option<Frame> {
    // Render at device pixels so lines and text stay sharp on a projector or a phone.
    let ratio = web_sys::window().map(|w| w.device_pixel_ratio()).unwrap_or(1.0).max(1.0);
    let (w, h) = (canvas.client_width().max(300) as f64, canvas.client_height().max(200) as f64);
    canvas.set_width((w * ratio) as u32);
    canvas.set_height((h * ratio) as u32);
    let font = |size: f64| ("system-ui, sans-serif", size * ratio * scale);
    let backend = ChartCanvas::new(canvas.clone())?;
    let root = backend.into_drawing_area();
    root.fill(&WHITE).ok()?;
    let (x_min, x_max, y_min, y_max) = ranges(props);
    let mut chart = ChartBuilder::on(&root)
        .margin((10.0 * ratio) as i32)
        // Room for half of the last x label, centred on the axis' end (the presenter's "10").
        .margin_right(((10.0 + 10.0 * scale) * ratio) as i32)
        .x_label_area_size((44.0 * ratio * scale) as i32)
        .y_label_area_size((62.0 * ratio * scale) as i32)
        .build_cartesian_2d(x_min..x_max, y_min..y_max)
        .ok()?;
    let percent = props.percent;
    chart
        .configure_mesh()
        .x_desc(props.x_label.as_str())
        .y_desc(props.y_label.as_str())
        // As many labels as fit at their size: big labels on a small chart must not overlap.
        .y_labels(((h / (14.0 * scale * 2.4)) as usize).clamp(3, 11))
        .x_labels(((w / (14.0 * scale * 4.5)) as usize).clamp(3, 11))
        .label_style(font(14.0))
        .axis_desc_style(font(15.0))
        .light_line_style(RGBColor(238, 236, 230))
        .y_label_formatter(&|y| {
            if percent { format!("{:.0}%", y * 100.0) } else { format!("{y:.2}") }
        })
        .x_label_formatter(&|x| {
            if x_max - x_min <= 5.0 { format!("{x:.1}") } else { format!("{x:.0}") }
        })
        .draw()
        .ok()?;
    let (pixels_x, _) = chart.plotting_area().get_pixel_range();
    let columns = (pixels_x.end - pixels_x.start).max(1) as usize;
    for series in &props.series {
        // A hairline through a column's points fills its extremes; a thicker line is a curve.
        let keep = if series.width <= 1.0 { Keep::Extremes } else { Keep::Mean };
        let thinned = thin_to_columns(&series.points, x_min, x_max, columns, keep);
        let points = thinned.iter().copied();
        let width = (series.width * ratio * scale).max(1.0);
        let color = series.color.mix(series.opacity);
        let style = ShapeStyle { color, filled: false, stroke_width: width as u32 };
        chart.draw_series(LineSeries::new(points.clone(), style)).ok()?;
        if series.markers {
            let radius = (5.0 * ratio * scale) as i32;
            chart.draw_series(points.map(|p| Circle::new(p, radius, series.color.filled()))).ok()?;
        }
    }
    root.present().ok()?;
    Some(Frame {
        left: (pixels_x.start as f64 / ratio) as i32,
        right: (pixels_x.end as f64 / ratio) as i32,
        x_min,
        x_max,
    })
}

/// The value of each series nearest to `x`, as "name value" pairs.
fn readout(series: &[Series], x: f64, percent: bool, unit: &str) -> String {
    let parts: Vec<String> = series
        .iter()
        .filter(|s| s.legend)
        .filter_map(|s| {
            let nearest = s.points.iter().min_by(|a, b| (a.0 - x).abs().total_cmp(&(b.0 - x).abs()))?;
            let value = if percent { format!("{:.1}%", nearest.1 * 100.0) } else { format!("{:.3}", nearest.1) };
            Some(format!("{} {value}", s.name))
        })
        .collect();
    let x = if unit == "step" { format!("{x:.0}") } else { format!("{x:.2}") };
    format!("{unit} {x}: {}", parts.join(" · "))
}

#[component]
pub fn LineChart(props: &LineChartProps) -> Html {
    let canvas = use_node_ref();
    let frame = use_mut_ref(Frame::default);
    let pending: Rc<RefCell<Option<AnimationFrame>>> = use_mut_ref(|| None);
    let hover = use_state(|| None::<String>);
    let scale = if use_context::<Presenting>().unwrap_or_default().0 { PRESENTER_SCALE } else { 1.0 };
    {
        let (canvas, frame, pending) = (canvas.clone(), frame.clone(), pending.clone());
        let props_snapshot = (
            props.series.clone(),
            props.y_range,
            props.percent,
            props.x_label.clone(),
            props.y_label.clone(),
            props.x_min_span.to_bits(),
            scale.to_bits(),
        );
        use_effect_with(props_snapshot, move |(series, y_range, percent, x_label, y_label, x_min_span, scale)| {
            let scale = f64::from_bits(*scale);
            let props = LineChartProps {
                testid: AttrValue::default(),
                title: AttrValue::default(),
                x_label: x_label.clone(),
                y_label: y_label.clone(),
                series: series.clone(),
                y_range: *y_range,
                percent: *percent,
                x_unit: AttrValue::default(),
                x_min_span: f64::from_bits(*x_min_span),
            };
            // A newer request replaces (cancels) a pending one: one draw per frame at most.
            *pending.borrow_mut() = Some(request_animation_frame(move |_| {
                if let Some(el) = canvas.cast::<HtmlCanvasElement>()
                    && let Some(drawn) = draw(&el, &props, scale)
                {
                    *frame.borrow_mut() = drawn;
                }
            }));
        });
    }
    let onmousemove = {
        let (frame, hover, series, percent, unit) =
            (frame.clone(), hover.clone(), props.series.clone(), props.percent, props.x_unit.clone());
        Callback::from(move |e: MouseEvent| {
            let f = *frame.borrow();
            if f.right <= f.left {
                return;
            }
            let t = ((e.offset_x() - f.left) as f64 / (f.right - f.left) as f64).clamp(0.0, 1.0);
            hover.set(Some(readout(&series, f.x_min + t * (f.x_max - f.x_min), percent, &unit)));
        })
    };
    let onmouseleave = {
        let hover = hover.clone();
        Callback::from(move |_| hover.set(None))
    };
    let empty = props.series.iter().all(|s| s.points.is_empty());
    let summary = props
        .series
        .iter()
        .map(|s| {
            format!(
                "\"{}\":{{\"points\":{},\"last\":{}}}",
                s.name.replace('"', "'"),
                s.points.len(),
                s.points
                    .last()
                    .map(|p| p.1)
                    .filter(|v| v.is_finite())
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "null".into())
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    // The canvas's text alternative: each curve's latest value, as a reader would say it.
    let latest: Vec<String> = props
        .series
        .iter()
        .filter(|s| s.legend)
        .filter_map(|s| s.points.last().map(|&(x, y)| (s, x, y)))
        .map(|(s, x, y)| {
            let value = if props.percent { format!("{:.1}%", y * 100.0) } else { format!("{y:.3}") };
            format!("{} {value} at {} {x:.0}", s.name, props.x_unit)
        })
        .collect();
    let alternative = if latest.is_empty() {
        format!("{}: no data yet", props.title)
    } else {
        format!("{}. Latest: {}", props.title, latest.join("; "))
    };
    let export = {
        let (canvas, title, testid) = (canvas.clone(), props.title.clone(), props.testid.clone());
        let legend: Vec<(String, String)> = props
            .series
            .iter()
            .filter(|s| s.legend)
            .map(|s| (s.name.to_string(), format!("rgb({},{},{})", s.color.0, s.color.1, s.color.2)))
            .collect();
        Callback::from(move |_| {
            if let Some(chart) = canvas.cast::<HtmlCanvasElement>()
                && let Some(picture) = png::chart(&title, &legend, &chart)
            {
                png::download(&picture, &format!("atelier-{testid}.png"));
            }
        })
    };
    html! {
        <figure class="chart" data-testid={props.testid.clone()} data-series={format!("{{{summary}}}")} data-scale={scale.to_string()}>
            <figcaption>
                {props.title.clone()}
                <button class="button small quiet export" data-testid="chart-export" data-chart={props.testid.clone()}
                        onclick={export} title="Save the chart as a PNG picture (for slides)">{"Save PNG"}</button>
            </figcaption>
            <ul class="chart-legend" aria-hidden="true">
                { for props.series.iter().filter(|s| s.legend).map(|s| {
                    let RGBColor(r, g, b) = s.color;
                    // A recorded run's entry is marked for the class (and the tests) to tell it apart.
                    let recorded = s.name.starts_with(crate::state::runs::RECORDED).then_some("recorded-run");
                    html! {
                        <li data-testid={recorded} class={classes!(recorded.map(|_| "recorded"))} data-name={s.name.clone()}>
                            <span class="swatch" style={format!("background: rgb({r},{g},{b})")} />{s.name.clone()}
                        </li>
                    }
                }) }
            </ul>
            <canvas ref={canvas} class="chart-canvas" {onmousemove} {onmouseleave}
                    role="img" aria-label={alternative} />
            <p class="chart-readout" aria-live="polite">
                {(*hover).clone().unwrap_or_else(|| if empty {
                    "The curves appear here when training starts.".into()
                } else {
                    "Point at the chart to read its values.".into()
                })}
            </p>
        </figure>
    }
}
