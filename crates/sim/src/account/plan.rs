//! The physics of one recorded segment (an activity, or one multisport leg): smooth,
//! closed-form functions of time, so summaries and laps are computed without a track, and
//! the track sampled from the same functions agrees with them.

use std::f64::consts::TAU;

use super::catalog::{Kind, Source};
use super::rng::{Draws, Purpose, noise};
use super::spec::Spec;

const EARTH_M_PER_DEG: f64 = 111_320.0;
/// A loop that does not quite close, like a real one.
const LOOP: f64 = TAU * 0.97;

#[derive(Clone, Debug)]
struct Shape {
    lat0: f64,
    lon0: f64,
    radius: f64,
    wobble: f64,
    lobes: f64,
    rotation: f64,
    clockwise: bool,
}

#[derive(Clone, Debug)]
struct Alt {
    base: f64,
    climb: f64,
    ripple: f64,
    phase: f64,
}

#[derive(Clone, Debug)]
struct Hr {
    base: f64,
    amp: f64,
    omega: f64,
    phase: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub kind: Kind,
    pub start: i64,
    /// Timer time (s): what Garmin calls `duration`.
    pub timer: u32,
    /// (timer second at which the timer was stopped, seconds stopped).
    pub pause: Option<(u32, u32)>,
    pub distance: f64,
    speed_amp: f64,
    speed_omega: f64,
    speed_phase: f64,
    f_total: f64,
    hr: Option<Hr>,
    cadence: Option<f64>,
    power: Option<f64>,
    shape: Option<Shape>,
    alt: Option<Alt>,
    pub calories: f64,
    pub dt: u32,
    noise_seed: u64,
}

/// One recorded sample, already quantized to what FIT can hold so that every file format
/// prints the same values.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Point {
    pub time: i64,
    pub timer: u32,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt: Option<f64>,
    pub hr: Option<u8>,
    pub cadence: Option<u8>,
    pub distance: Option<f64>,
    pub speed: Option<f64>,
    pub power: Option<u16>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Stats {
    pub start: i64,
    pub distance: f64,
    pub timer: f64,
    pub elapsed: f64,
    pub moving: f64,
    pub avg_speed: f64,
    pub max_speed: f64,
    pub gain: Option<f64>,
    pub loss: Option<f64>,
    pub min_ele: Option<f64>,
    pub max_ele: Option<f64>,
    pub avg_hr: Option<f64>,
    pub max_hr: Option<f64>,
    pub avg_cadence: Option<f64>,
    pub max_cadence: Option<f64>,
    pub avg_power: Option<f64>,
    pub max_power: Option<f64>,
    pub calories: f64,
    pub start_pos: Option<(f64, f64)>,
    pub end_pos: Option<(f64, f64)>,
}

/// Degrees -> FIT semicircles -> degrees, so every format prints the FIT value.
pub(crate) fn semicircles(deg: f64) -> i32 {
    (deg * (2_147_483_648.0 / 180.0)).round() as i32
}

fn quantize_deg(deg: f64) -> f64 {
    f64::from(semicircles(deg)) * (180.0 / 2_147_483_648.0)
}

/// Dividing by the inverse step keeps decimal steps printable (42.8, not 42.800000000000004).
fn round_to(v: f64, step: f64) -> f64 {
    (v / step).round() / (1.0 / step).round()
}

impl Plan {
    /// Every segment of an activity: one, or one per multisport leg, back to back.
    pub(crate) fn segments(spec: &Spec) -> Vec<Plan> {
        let legs = spec.legs();
        if legs.is_empty() {
            return vec![Plan::new(spec, spec.kind, 0, spec.start, None)];
        }
        let olympic = Draws::new(spec.seed, spec.j as u64, Purpose::Effort).below(2) == 0;
        let mut start = spec.start;
        let mut out = Vec::with_capacity(legs.len());
        for (i, kind) in legs.into_iter().enumerate() {
            let full = match kind {
                Kind::OpenWaterSwimming => 1500.0,
                Kind::Cycling => 40_000.0,
                Kind::Running => 10_000.0,
                _ => 0.0,
            };
            let distance = if olympic { full } else { full / 2.0 };
            let plan = Plan::new(
                spec,
                kind,
                i + 1,
                start,
                Some(distance).filter(|d| *d > 0.0),
            );
            start += i64::from(plan.timer) + i64::from(plan.pause.map_or(0, |p| p.1));
            out.push(plan);
        }
        out
    }

    fn new(spec: &Spec, kind: Kind, slot: usize, start: i64, distance: Option<f64>) -> Plan {
        let info = kind.info();
        let index = (spec.j as u64) << 4 | slot as u64;
        let mut d = Draws::new(spec.seed, index, Purpose::Effort);
        let mut s = Draws::new(spec.seed, index, Purpose::Shape);
        let recorded = spec.source != Source::Manual;
        let device = spec.source == Source::Device;

        let speed = d.range(info.speed.0, info.speed.1);
        let (distance, timer) = if info.distance.1 > 0.0 {
            let dist = match distance {
                Some(x) => x * d.range(0.97, 1.03),
                None => d.range(info.distance.0, info.distance.1),
            };
            let dist = match kind {
                // Pools count whole lengths.
                Kind::LapSwimming => (dist / 25.0).round() * 25.0,
                _ => round_to(dist, 0.01),
            };
            (dist, (dist / speed).round().max(60.0) as u32)
        } else {
            (0.0, d.range(info.timer.0, info.timer.1).round() as u32)
        };
        let pausable = matches!(
            kind,
            Kind::Running | Kind::Cycling | Kind::TrailRunning | Kind::Hiking | Kind::Walking
        );
        let pause = (recorded && slot == 0 && pausable && d.below(10) < 3).then(|| {
            let at = (f64::from(timer) * d.range(0.3, 0.7)) as u32;
            (at, d.range(30.0, 600.0) as u32)
        });
        let speed_amp = if distance > 0.0 {
            d.range(0.04, 0.12)
        } else {
            0.0
        };
        let speed_omega = TAU / d.range(300.0, 900.0);
        let speed_phase = d.range(0.0, TAU);
        let t = f64::from(timer);
        let f_total = t - speed_amp / speed_omega
            * ((speed_omega * t + speed_phase).cos() - speed_phase.cos());
        let hr = (device).then(|| Hr {
            base: d.range(info.hr.0, info.hr.1),
            amp: d.range(5.0, 11.0),
            omega: TAU / d.range(240.0, 720.0),
            phase: d.range(0.0, TAU),
        });
        let cadence = info
            .cadence
            .filter(|_| device)
            .map(|(lo, hi)| d.range(lo, hi));
        let power = (device && info.power).then(|| d.range(150.0, 250.0));
        let zone = spec.zone();
        let shape = (recorded && info.gps && distance > 0.0).then(|| {
            let wobble = s.range(0.05, 0.2);
            let lobes = (2 + s.below(4)) as f64;
            let stretch = 1.0 + wobble * wobble * (1.0 + lobes * lobes) / 4.0;
            // Swims start at the water's edge, everything else somewhere around town.
            let spread = if kind == Kind::OpenWaterSwimming || slot > 0 {
                0.0
            } else {
                0.04
            };
            Shape {
                lat0: zone.lat + s.range(-spread, spread),
                lon0: zone.lon + s.range(-spread, spread),
                radius: distance / (LOOP * stretch),
                wobble,
                lobes,
                rotation: s.range(0.0, TAU),
                clockwise: s.below(2) == 0,
            }
        });
        let alt = (recorded && info.altitude && shape.is_some()).then(|| Alt {
            base: zone.elevation + s.range(0.0, 40.0),
            climb: s.range(info.climb.0, info.climb.1),
            ripple: s.range(0.0, 0.15),
            phase: s.range(0.0, TAU),
        });
        let calories = (info.kcal_per_hour * t / 3600.0 * d.range(0.9, 1.1)).round();
        let dt = (timer / 1500).clamp(1, 5);
        Plan {
            kind,
            start,
            timer,
            pause,
            distance,
            speed_amp,
            speed_omega,
            speed_phase,
            f_total: f_total.max(1.0),
            hr,
            cadence,
            power,
            shape,
            alt,
            calories,
            dt,
            noise_seed: spec.seed ^ index.wrapping_mul(0x2545_F491_4F6C_DD1D),
        }
    }

    pub(crate) fn has_gps(&self) -> bool {
        self.shape.is_some()
    }

    /// Wall-clock time (unix s) at a timer offset.
    pub(crate) fn wall(&self, timer: f64) -> f64 {
        let paused = match self.pause {
            Some((at, len)) if timer > f64::from(at) => f64::from(len),
            _ => 0.0,
        };
        self.start as f64 + timer + paused
    }

    fn f(&self, t: f64) -> f64 {
        let w = self.speed_omega;
        t - self.speed_amp / w * ((w * t + self.speed_phase).cos() - self.speed_phase.cos())
    }

    pub(crate) fn distance_at(&self, t: f64) -> f64 {
        if self.distance <= 0.0 {
            return 0.0;
        }
        self.distance * self.f(t.clamp(0.0, f64::from(self.timer))) / self.f_total
    }

    pub(crate) fn speed_at(&self, t: f64) -> f64 {
        if self.distance <= 0.0 {
            return 0.0;
        }
        self.distance / self.f_total
            * (1.0 + self.speed_amp * (self.speed_omega * t + self.speed_phase).sin())
    }

    fn hr_at(&self, t: f64) -> Option<f64> {
        self.hr.as_ref().map(|h| {
            // A warm-up: the heart starts 25 bpm lower and catches up within minutes.
            let warm = 25.0 * (-t / 180.0).exp();
            h.base + h.amp * (h.omega * t + h.phase).sin() - warm
        })
    }

    fn cadence_at(&self, t: f64) -> Option<f64> {
        self.cadence.map(|c| {
            c * (1.0 + 0.5 * self.speed_amp * (self.speed_omega * t + self.speed_phase).sin())
        })
    }

    fn power_at(&self, t: f64) -> Option<f64> {
        self.power.map(|p| {
            p * (1.0 + 1.5 * self.speed_amp * (self.speed_omega * t + self.speed_phase).sin())
        })
    }

    fn alt_at_fraction(&self, u: f64) -> Option<f64> {
        self.alt.as_ref().map(|a| {
            a.base
                + a.climb * (0.5 - 0.5 * (TAU * u).cos())
                + a.climb * a.ripple * (3.0 * TAU * u + a.phase).sin()
        })
    }

    fn pos_at_fraction(&self, u: f64) -> Option<(f64, f64)> {
        self.shape.as_ref().map(|s| {
            let th = LOOP * u * if s.clockwise { -1.0 } else { 1.0 };
            let r = |th: f64| s.radius * (1.0 + s.wobble * (s.lobes * th).sin());
            let (cx, cy) = (-r(0.0) * s.rotation.cos(), -r(0.0) * s.rotation.sin());
            let x = cx + r(th) * (th + s.rotation).cos();
            let y = cy + r(th) * (th + s.rotation).sin();
            let lat = s.lat0 + y / EARTH_M_PER_DEG;
            let lon = s.lon0 + x / (EARTH_M_PER_DEG * s.lat0.to_radians().cos());
            (quantize_deg(lat), quantize_deg(lon))
        })
    }

    fn fraction(&self, t: f64) -> f64 {
        if self.distance > 0.0 {
            self.distance_at(t) / self.distance
        } else {
            0.0
        }
    }

    /// The sampled track: every `dt` seconds of timer time, and the last second.
    pub(crate) fn points(&self) -> Vec<Point> {
        let n = self.timer.div_ceil(self.dt);
        (0..=n)
            .map(|i| self.point((i * self.dt).min(self.timer), u64::from(i)))
            .collect()
    }

    pub(crate) fn point_count(&self) -> usize {
        self.timer.div_ceil(self.dt) as usize + 1
    }

    fn point(&self, timer: u32, i: u64) -> Point {
        let t = f64::from(timer);
        let u = self.fraction(t);
        let pos = self.pos_at_fraction(u);
        let wobble = |k: u64, amp: f64| amp * noise(self.noise_seed ^ k, i);
        Point {
            time: self.wall(t) as i64,
            timer,
            lat: pos.map(|p| p.0),
            lon: pos.map(|p| p.1),
            alt: self.alt_at_fraction(u).map(|a| round_to(a, 0.2)),
            hr: self
                .hr_at(t)
                .map(|h| (h + wobble(1, 2.0)).round().clamp(40.0, 220.0) as u8),
            cadence: self
                .cadence_at(t)
                .map(|c| (c + wobble(2, 1.5)).round().clamp(0.0, 254.0) as u8),
            distance: (self.distance > 0.0).then(|| round_to(self.distance_at(t), 0.01)),
            speed: (self.distance > 0.0).then(|| round_to(self.speed_at(t), 0.001)),
            power: self
                .power_at(t)
                .map(|p| (p + wobble(3, 12.0)).round().max(0.0) as u16),
        }
    }

    /// Lap boundaries in whole timer seconds: auto-laps by distance, or fixed-length sets.
    pub(crate) fn lap_bounds(&self) -> Vec<(u32, u32)> {
        let lap_m = self.kind.info().lap_m;
        let mut cuts = vec![0u32];
        if self.distance > 0.0 && lap_m > 0.0 {
            let laps = (self.distance / lap_m).ceil() as usize;
            for i in 1..laps {
                let target = i as f64 * lap_m;
                // distance_at is increasing, so bisection finds where the lap ends.
                let (mut lo, mut hi) = (0.0, f64::from(self.timer));
                for _ in 0..40 {
                    let mid = (lo + hi) / 2.0;
                    if self.distance_at(mid) < target {
                        lo = mid
                    } else {
                        hi = mid
                    }
                }
                cuts.push(hi.round() as u32);
            }
        } else if self.kind == Kind::StrengthTraining {
            cuts.extend((1..self.timer / 480).map(|i| i * 480));
        }
        cuts.push(self.timer);
        cuts.dedup();
        cuts.windows(2)
            .filter_map(|w| (w[1] > w[0]).then_some((w[0], w[1])))
            .collect()
    }

    /// Statistics over a stretch of timer time, from the smooth functions.
    pub(crate) fn stats(&self, from: u32, to: u32) -> Stats {
        const N: usize = 128;
        let (a, b) = (f64::from(from), f64::from(to));
        let mut st = Stats {
            start: self.wall(a) as i64,
            distance: round_to(self.distance_at(b) - self.distance_at(a), 0.01),
            timer: b - a,
            elapsed: self.wall(b) - self.wall(a),
            ..Stats::default()
        };
        st.moving = if self.distance > 0.0 {
            (st.timer * 0.985).round()
        } else {
            (st.timer * 0.55).round()
        };
        st.avg_speed = if st.timer > 0.0 {
            st.distance / st.timer
        } else {
            0.0
        };
        let (mut hr_sum, mut hr_max, mut cad_sum, mut cad_max, mut pw_sum, mut pw_max) =
            (0.0, f64::MIN, 0.0, f64::MIN, 0.0, f64::MIN);
        let (mut gain, mut loss, mut lo, mut hi) = (0.0, 0.0, f64::MAX, f64::MIN);
        let mut prev_alt: Option<f64> = None;
        for i in 0..=N {
            let t = a + (b - a) * i as f64 / N as f64;
            st.max_speed = st.max_speed.max(self.speed_at(t));
            if let Some(h) = self.hr_at(t) {
                hr_sum += h;
                hr_max = hr_max.max(h);
            }
            if let Some(c) = self.cadence_at(t) {
                cad_sum += c;
                cad_max = cad_max.max(c);
            }
            if let Some(p) = self.power_at(t) {
                pw_sum += p;
                pw_max = pw_max.max(p);
            }
            if let Some(al) = self.alt_at_fraction(self.fraction(t)) {
                if let Some(p) = prev_alt {
                    if al > p {
                        gain += al - p
                    } else {
                        loss += p - al
                    }
                }
                lo = lo.min(al);
                hi = hi.max(al);
                prev_alt = Some(al);
            }
        }
        let m = (N + 1) as f64;
        st.max_speed = round_to(st.max_speed, 0.001);
        st.avg_hr = self.hr.as_ref().map(|_| (hr_sum / m).round());
        st.max_hr = self.hr.as_ref().map(|_| (hr_max + 2.0).round());
        st.avg_cadence = self.cadence.map(|_| (cad_sum / m).round());
        st.max_cadence = self.cadence.map(|_| (cad_max + 1.5).round());
        st.avg_power = self.power.map(|_| (pw_sum / m).round());
        st.max_power = self.power.map(|_| (pw_max + 12.0).round());
        if prev_alt.is_some() {
            st.gain = Some(gain.round());
            st.loss = Some(loss.round());
            st.min_ele = Some(round_to(lo, 0.2));
            st.max_ele = Some(round_to(hi, 0.2));
        }
        st.calories = (self.calories * st.timer / f64::from(self.timer.max(1))).round();
        st.start_pos = self.pos_at_fraction(self.fraction(a));
        st.end_pos = self.pos_at_fraction(self.fraction(b));
        st
    }

    pub(crate) fn totals(&self) -> Stats {
        self.stats(0, self.timer)
    }
}

/// The whole of a multisport, or the one segment of anything else.
pub(crate) fn combine(parts: &[Stats]) -> Stats {
    let mut out = Stats::default();
    let Some(first) = parts.first() else {
        return out;
    };
    out.start = first.start;
    let sum = |f: fn(&Stats) -> f64| parts.iter().map(f).sum::<f64>();
    let maxo = |f: fn(&Stats) -> Option<f64>| parts.iter().filter_map(f).reduce(f64::max);
    let mino = |f: fn(&Stats) -> Option<f64>| parts.iter().filter_map(f).reduce(f64::min);
    let sumo = |f: fn(&Stats) -> Option<f64>| parts.iter().filter_map(f).reduce(|a, b| a + b);
    // Time-weighted averages, as a device computes them.
    let wavg = |f: fn(&Stats) -> Option<f64>| {
        let (s, w) = parts
            .iter()
            .filter_map(|p| f(p).map(|v| (v * p.timer, p.timer)))
            .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        (w > 0.0).then(|| (s / w).round())
    };
    out.distance = round_to(sum(|p| p.distance), 0.01);
    out.timer = sum(|p| p.timer);
    out.elapsed = sum(|p| p.elapsed);
    out.moving = sum(|p| p.moving);
    out.avg_speed = if out.timer > 0.0 {
        out.distance / out.timer
    } else {
        0.0
    };
    out.max_speed = parts.iter().map(|p| p.max_speed).fold(0.0, f64::max);
    out.gain = sumo(|p| p.gain);
    out.loss = sumo(|p| p.loss);
    out.min_ele = mino(|p| p.min_ele);
    out.max_ele = maxo(|p| p.max_ele);
    out.avg_hr = wavg(|p| p.avg_hr);
    out.max_hr = maxo(|p| p.max_hr);
    out.avg_cadence = wavg(|p| p.avg_cadence);
    out.max_cadence = maxo(|p| p.max_cadence);
    out.avg_power = wavg(|p| p.avg_power);
    out.max_power = maxo(|p| p.max_power);
    out.calories = sum(|p| p.calories);
    out.start_pos = first.start_pos;
    out.end_pos = parts.last().and_then(|p| p.end_pos);
    out
}
