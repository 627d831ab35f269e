//! Descriptions and default names.

use super::catalog::{CUSTOM_NAMES, Kind, hostile_name};
use super::spec::{Desc, NameSrc, Spec};

pub(crate) fn default_name(spec: &Spec, kind: Kind) -> String {
    let display = kind.info().display;
    match (spec.zone().city, kind) {
        // Garmin leaves the place out for indoor activities.
        (
            _,
            Kind::TreadmillRunning
            | Kind::IndoorCycling
            | Kind::LapSwimming
            | Kind::StrengthTraining,
        )
        | (None, _) => display.to_string(),
        (Some(city), _) => format!("{city} {display}"),
    }
}

pub(crate) fn name(spec: &Spec) -> String {
    match spec.name {
        NameSrc::Hostile(i) => hostile_name(i),
        NameSrc::Custom(i) => CUSTOM_NAMES
            .get(i)
            .map_or_else(|| default_name(spec, spec.kind), |s| (*s).to_string()),
        NameSrc::Default => default_name(spec, spec.kind),
    }
}

pub(crate) fn description(spec: &Spec) -> Option<String> {
    Some(match spec.desc {
        Desc::Absent | Desc::Null => return None,
        Desc::Empty => String::new(),
        Desc::Short => "Felt good. Legs a bit heavy after yesterday's session.".to_string(),
        Desc::Multiline => {
            "Warm-up 2 km easy\r\nMain set: 5×1 km @ 4:00/km, 90\" rest\nCool-down\n\n\t— with Marie & Paul"
                .to_string()
        }
        Desc::Long => {
            let mut s = String::from("Training log\n============\n");
            let mut i = 1;
            while s.len() < 5_000 {
                s.push_str(&format!(
                    "Split {i:>3}: pace {}:{:02}/km, HR {} bpm; notes: steady, \"controlled\" <effort> & breathing ok.\n",
                    4 + i % 2,
                    (i * 7) % 60,
                    140 + i % 15
                ));
                i += 1;
            }
            s
        }
        Desc::Hostile => "<script>alert(\"desc\")</script>\n../../etc/passwd\tC:\\CON\r\n🏳\u{fe0f}\u{200d}🌈 ערב טוב; DROP TABLE activities;--".to_string(),
    })
}
