//! The fixed vocabulary of the simulated account: sports, devices, places, names.

/// A sport as Garmin types it. Multisport legs use the same kinds (plus `Transition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Running,
    TrailRunning,
    TreadmillRunning,
    Cycling,
    IndoorCycling,
    VirtualRide,
    LapSwimming,
    OpenWaterSwimming,
    StrengthTraining,
    Hiking,
    Walking,
    Multisport,
    Transition,
}

/// Where an activity came from; decides which files exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Recorded by a watch or bike computer: the original is a FIT file.
    Device,
    /// A .gpx file uploaded on the website: no device, no TCX (Garmin answers 500).
    GpxUpload,
    /// Typed in by hand: no file at all.
    Manual,
}

pub(crate) struct KindInfo {
    pub type_key: &'static str,
    pub type_id: u32,
    pub parent_type_id: u32,
    /// What the list's `activityType` filter matches on.
    pub parent_key: &'static str,
    pub display: &'static str,
    pub fit_sport: u8,
    pub fit_sub_sport: u8,
    pub tcx_sport: &'static str,
    pub gps: bool,
    pub altitude: bool,
    /// Distance range (m) and speed range (m/s); a zero distance means none is recorded.
    pub distance: (f64, f64),
    pub speed: (f64, f64),
    /// Without distance, the timer duration range (s).
    pub timer: (f64, f64),
    pub hr: (f64, f64),
    /// FIT cadence units: strides/min for foot sports, rpm on the bike, strokes/min swimming.
    pub cadence: Option<(f64, f64)>,
    pub power: bool,
    pub climb: (f64, f64),
    pub lap_m: f64,
    pub kcal_per_hour: f64,
}

impl Kind {
    pub const TOP_LEVEL: [Kind; 12] = [
        Kind::Running,
        Kind::TrailRunning,
        Kind::TreadmillRunning,
        Kind::Cycling,
        Kind::IndoorCycling,
        Kind::VirtualRide,
        Kind::LapSwimming,
        Kind::OpenWaterSwimming,
        Kind::StrengthTraining,
        Kind::Hiking,
        Kind::Walking,
        Kind::Multisport,
    ];

    pub(crate) fn info(self) -> &'static KindInfo {
        match self {
            Kind::Running => &RUNNING,
            Kind::TrailRunning => &TRAIL,
            Kind::TreadmillRunning => &TREADMILL,
            Kind::Cycling => &CYCLING,
            Kind::IndoorCycling => &INDOOR,
            Kind::VirtualRide => &VIRTUAL,
            Kind::LapSwimming => &LAP_SWIM,
            Kind::OpenWaterSwimming => &OPEN_WATER,
            Kind::StrengthTraining => &STRENGTH,
            Kind::Hiking => &HIKING,
            Kind::Walking => &WALKING,
            Kind::Multisport => &MULTISPORT,
            Kind::Transition => &TRANSITION,
        }
    }

    pub fn type_key(self) -> &'static str {
        self.info().type_key
    }

    pub fn has_gps(self) -> bool {
        self.info().gps
    }
}

const BASE: KindInfo = KindInfo {
    type_key: "running",
    type_id: 1,
    parent_type_id: 17,
    parent_key: "running",
    display: "Running",
    fit_sport: 1,
    fit_sub_sport: 0,
    tcx_sport: "Running",
    gps: true,
    altitude: true,
    distance: (5_000.0, 21_100.0),
    speed: (2.6, 3.7),
    timer: (0.0, 0.0),
    hr: (142.0, 160.0),
    cadence: Some((80.0, 90.0)),
    power: false,
    climb: (5.0, 40.0),
    lap_m: 1000.0,
    kcal_per_hour: 720.0,
};
const RUNNING: KindInfo = BASE;
const TRAIL: KindInfo = KindInfo {
    type_key: "trail_running",
    type_id: 6,
    parent_type_id: 1,
    display: "Trail Running",
    fit_sub_sport: 3,
    distance: (8_000.0, 30_000.0),
    speed: (1.8, 2.8),
    hr: (138.0, 155.0),
    climb: (150.0, 450.0),
    ..BASE
};
const TREADMILL: KindInfo = KindInfo {
    type_key: "treadmill_running",
    type_id: 18,
    parent_type_id: 1,
    display: "Treadmill Running",
    fit_sub_sport: 1,
    gps: false,
    altitude: false,
    distance: (5_000.0, 12_000.0),
    speed: (2.5, 3.5),
    climb: (0.0, 0.0),
    ..BASE
};
const CYCLING: KindInfo = KindInfo {
    type_key: "cycling",
    type_id: 2,
    parent_type_id: 17,
    parent_key: "cycling",
    display: "Cycling",
    fit_sport: 2,
    tcx_sport: "Biking",
    distance: (20_000.0, 120_000.0),
    speed: (6.5, 9.5),
    hr: (122.0, 145.0),
    cadence: Some((80.0, 95.0)),
    power: true,
    climb: (40.0, 300.0),
    lap_m: 5000.0,
    kcal_per_hour: 560.0,
    ..BASE
};
const INDOOR: KindInfo = KindInfo {
    type_key: "indoor_cycling",
    type_id: 25,
    parent_type_id: 2,
    display: "Indoor Cycling",
    fit_sub_sport: 6,
    gps: false,
    altitude: false,
    distance: (15_000.0, 40_000.0),
    speed: (7.0, 9.0),
    climb: (0.0, 0.0),
    ..CYCLING
};
const VIRTUAL: KindInfo = KindInfo {
    type_key: "virtual_ride",
    type_id: 152,
    parent_type_id: 2,
    display: "Virtual Cycling",
    fit_sub_sport: 58,
    distance: (20_000.0, 60_000.0),
    speed: (8.0, 10.0),
    climb: (20.0, 250.0),
    ..CYCLING
};
const LAP_SWIM: KindInfo = KindInfo {
    type_key: "lap_swimming",
    type_id: 27,
    parent_type_id: 26,
    parent_key: "swimming",
    display: "Pool Swimming",
    fit_sport: 5,
    fit_sub_sport: 17,
    tcx_sport: "Other",
    gps: false,
    altitude: false,
    distance: (1_500.0, 3_500.0),
    speed: (0.7, 0.95),
    hr: (120.0, 140.0),
    cadence: Some((24.0, 32.0)),
    climb: (0.0, 0.0),
    lap_m: 400.0,
    kcal_per_hour: 520.0,
    ..BASE
};
const OPEN_WATER: KindInfo = KindInfo {
    type_key: "open_water_swimming",
    type_id: 28,
    gps: true,
    distance: (1_000.0, 4_000.0),
    speed: (0.7, 0.9),
    lap_m: 500.0,
    display: "Open Water Swimming",
    fit_sub_sport: 18,
    ..LAP_SWIM
};
const STRENGTH: KindInfo = KindInfo {
    type_key: "strength_training",
    type_id: 13,
    parent_type_id: 29,
    parent_key: "fitness_equipment",
    display: "Strength Training",
    fit_sport: 10,
    fit_sub_sport: 20,
    tcx_sport: "Other",
    gps: false,
    altitude: false,
    distance: (0.0, 0.0),
    speed: (0.0, 0.0),
    timer: (1_800.0, 4_200.0),
    hr: (98.0, 120.0),
    cadence: None,
    climb: (0.0, 0.0),
    lap_m: 0.0,
    kcal_per_hour: 350.0,
    ..BASE
};
const HIKING: KindInfo = KindInfo {
    type_key: "hiking",
    type_id: 3,
    parent_type_id: 17,
    parent_key: "hiking",
    display: "Hiking",
    fit_sport: 17,
    tcx_sport: "Other",
    distance: (6_000.0, 20_000.0),
    speed: (1.0, 1.4),
    hr: (102.0, 125.0),
    cadence: Some((48.0, 55.0)),
    climb: (200.0, 650.0),
    kcal_per_hour: 420.0,
    ..BASE
};
const WALKING: KindInfo = KindInfo {
    type_key: "walking",
    type_id: 9,
    parent_type_id: 17,
    parent_key: "walking",
    display: "Walking",
    fit_sport: 11,
    tcx_sport: "Other",
    distance: (2_000.0, 8_000.0),
    speed: (1.2, 1.6),
    hr: (92.0, 110.0),
    cadence: Some((54.0, 60.0)),
    climb: (5.0, 25.0),
    kcal_per_hour: 280.0,
    ..BASE
};
const MULTISPORT: KindInfo = KindInfo {
    type_key: "multi_sport",
    type_id: 89,
    parent_type_id: 17,
    parent_key: "multi_sport",
    display: "Multisport",
    fit_sport: 18,
    tcx_sport: "Other",
    ..BASE
};
const TRANSITION: KindInfo = KindInfo {
    type_key: "transition",
    type_id: 83,
    parent_type_id: 4,
    parent_key: "other",
    display: "Transition",
    fit_sport: 3,
    tcx_sport: "Other",
    distance: (150.0, 400.0),
    speed: (1.3, 1.8),
    cadence: None,
    climb: (0.0, 2.0),
    lap_m: 0.0,
    kcal_per_hour: 300.0,
    ..BASE
};

/// Type keys for the translation file: every key the account uses, and more.
pub(crate) const TYPE_NAMES: &[(&str, &str)] = &[
    ("all", "All Activities"),
    ("running", "Running"),
    ("trail_running", "Trail Running"),
    ("treadmill_running", "Treadmill Running"),
    ("track_running", "Track Running"),
    ("street_running", "Street Running"),
    ("virtual_run", "Virtual Running"),
    ("cycling", "Cycling"),
    ("road_biking", "Road Cycling"),
    ("mountain_biking", "Mountain Biking"),
    ("gravel_cycling", "Gravel/Unpaved Cycling"),
    ("indoor_cycling", "Indoor Cycling"),
    ("virtual_ride", "Virtual Cycling"),
    ("e_bike_fitness", "eBiking"),
    ("swimming", "Swimming"),
    ("lap_swimming", "Pool Swimming"),
    ("open_water_swimming", "Open Water Swimming"),
    ("fitness_equipment", "Gym & Fitness Equipment"),
    ("strength_training", "Strength Training"),
    ("indoor_cardio", "Cardio"),
    ("elliptical", "Elliptical"),
    ("yoga", "Yoga"),
    ("hiking", "Hiking"),
    ("walking", "Walking"),
    ("casual_walking", "Casual Walking"),
    ("multi_sport", "Multisport"),
    ("triathlon", "Triathlon"),
    ("transition", "Transition"),
    ("other", "Other"),
    ("winter_sports", "Winter Sports"),
    (
        "resort_skiing_snowboarding_ws",
        "Resort Skiing/Snowboarding",
    ),
    ("backcountry_skiing", "Backcountry Skiing"),
    ("water_sports", "Water Sports"),
    ("rowing", "Rowing"),
    ("stand_up_paddleboarding", "Stand Up Paddleboarding"),
    ("diving", "Diving"),
    ("safety", "Safety"),
    ("team_sports", "Team Sports"),
    ("racket_sports", "Racket Sports"),
    ("tennis", "Tennis"),
];

pub(crate) const EVENT_TYPES: &[(u32, &str, &str)] = &[
    (1, "race", "Race"),
    (2, "recreation", "Recreation"),
    (3, "specialEvent", "Special Event"),
    (4, "training", "Training"),
    (5, "transportation", "Transportation"),
    (6, "touring", "Touring"),
    (7, "geocaching", "Geocaching"),
    (8, "fitness", "Fitness"),
    (9, "uncategorized", "Uncategorized"),
];

/// A place the account's owner trains: its time zone decides DST and odd offsets.
pub(crate) struct Zone {
    pub tz: chrono_tz::Tz,
    pub name: &'static str,
    /// Garmin's timeZoneUnitDTO.unitId (made up, but stable).
    pub unit_id: u32,
    pub city: Option<&'static str>,
    pub lat: f64,
    pub lon: f64,
    pub elevation: f64,
}

pub(crate) const ZONES: [Zone; 6] = [
    Zone {
        tz: chrono_tz::Europe::Paris,
        name: "Europe/Paris",
        unit_id: 124,
        city: Some("Paris"),
        lat: 48.8566,
        lon: 2.3522,
        elevation: 35.0,
    },
    Zone {
        tz: chrono_tz::America::Denver,
        name: "America/Denver",
        unit_id: 28,
        city: Some("Boulder"),
        lat: 40.0150,
        lon: -105.2705,
        elevation: 1655.0,
    },
    Zone {
        tz: chrono_tz::Australia::Sydney,
        name: "Australia/Sydney",
        unit_id: 230,
        city: Some("Sydney"),
        lat: -33.8688,
        lon: 151.2093,
        elevation: 20.0,
    },
    Zone {
        tz: chrono_tz::Asia::Kolkata,
        name: "Asia/Kolkata",
        unit_id: 176,
        city: Some("Mumbai"),
        lat: 19.0760,
        lon: 72.8777,
        elevation: 12.0,
    },
    Zone {
        tz: chrono_tz::America::St_Johns,
        name: "America/St_Johns",
        unit_id: 23,
        city: Some("St. John's"),
        lat: 47.5615,
        lon: -52.7126,
        elevation: 60.0,
    },
    Zone {
        tz: chrono_tz::UTC,
        name: "UTC",
        unit_id: 2,
        city: None,
        lat: 51.5074,
        lon: -0.1278,
        elevation: 15.0,
    },
];
pub(crate) const PARIS: usize = 0;
pub(crate) const DENVER: usize = 1;
pub(crate) const SYDNEY: usize = 2;
pub(crate) const KOLKATA: usize = 3;
pub(crate) const ST_JOHNS: usize = 4;
pub(crate) const UTC: usize = 5;

/// A recording device. `app_info == false` is an old device Garmin answers 204 for.
pub(crate) struct Device {
    pub display: &'static str,
    pub device_id: i64,
    pub install_id: i64,
    pub fit_product: u16,
    pub serial: u32,
    pub version: &'static str,
    /// Firmware as FIT writes it (version x 100).
    pub fit_software: u16,
    pub part_number: &'static str,
    pub app_info: bool,
    pub training_effect: bool,
}

pub(crate) const DEVICES: [Device; 4] = [
    Device {
        display: "Forerunner 965",
        device_id: 3_458_912_771,
        install_id: 987_654_321,
        fit_product: 4315,
        serial: 3_458_912_771,
        version: "19.22.0.0",
        fit_software: 1922,
        part_number: "006-B4315-00",
        app_info: true,
        training_effect: true,
    },
    Device {
        display: "fēnix 5",
        device_id: 3_912_345_678,
        install_id: 876_543_210,
        fit_product: 2697,
        serial: 3_912_345_678,
        version: "24.0.0.0",
        fit_software: 2400,
        part_number: "006-B2697-00",
        app_info: true,
        training_effect: true,
    },
    Device {
        display: "Edge 540",
        device_id: 3_350_011_202,
        install_id: 765_432_109,
        fit_product: 3830,
        serial: 3_350_011_202,
        version: "26.19.0.0",
        fit_software: 2619,
        part_number: "006-B3830-00",
        app_info: true,
        training_effect: true,
    },
    Device {
        display: "Forerunner 310XT",
        device_id: 3_802_446_110,
        install_id: 654_321_098,
        fit_product: 1018,
        serial: 3_802_446_110,
        version: "4.50.0.0",
        fit_software: 450,
        part_number: "006-B1018-00",
        app_info: false,
        training_effect: false,
    },
];
pub(crate) const FR965: usize = 0;
pub(crate) const FENIX5: usize = 1;
pub(crate) const EDGE540: usize = 2;
pub(crate) const FR310XT: usize = 3;

/// Names a file system, a CSV, a shell or an HTML page can choke on.
pub(crate) const HOSTILE_NAMES: usize = 20;

pub(crate) fn hostile_name(i: usize) -> String {
    let s = match i {
        0 => {
            "Morning Run 🏃\u{200d}♀\u{fe0f}\u{200d}➡\u{fe0f} with the 👨\u{200d}👩\u{200d}👧\u{200d}👦 🏳\u{fe0f}\u{200d}🌈"
        }
        1 => "Commute to/from work \\ via the river",
        2 => "Intervals: 6*400m? <fast> | \"easy\" jog",
        3 => "Sunday's \"long\" run",
        4 => "Two\nlines\tand a tab",
        5 => "CON",
        6 => "aux",
        7 => "LPT1",
        8 => "Ends with a dot.",
        9 => "Ends with a space ",
        10 => return long_name(),
        11 => "ركض الصباح على الكورنيش",
        12 => "ריצת בוקר בפארק הירקון",
        // Decomposed (NFD); name 16 is the same text precomposed (NFC).
        13 => "Re\u{301}sume\u{301} de Zu\u{308}rich",
        14 => "..",
        15 => "<b>PR!</b> &amp; <script>alert('x')</script>",
        16 => "Résumé de Zürich",
        17 => "🚴",
        18 => "C:\\Users\\me\\ride.fit",
        _ => "nul.tar.gz",
    };
    s.to_string()
}

fn long_name() -> String {
    let mut s = String::new();
    while s.chars().count() < 300 {
        s.push_str("Very long ride through the hills and back again ");
    }
    s.chars().take(300).collect()
}

pub(crate) const CUSTOM_NAMES: &[&str] = &[
    "Morning Run",
    "Lunch Run",
    "Evening Ride",
    "Recovery jog",
    "Long run",
    "Tempo 3x10'",
    "Parkrun",
    "Intervals",
    "Hill repeats",
    "Commute",
    "Easy spin",
    "Sunday long ride",
    "Track session",
    "Walk with the dog",
    "Race day!",
    "Swim",
];

/// Uploaded .gpx file names, as the user's other app named them.
pub(crate) const GPX_FILE_NAMES: &[&str] = &[
    "Afternoon_Hike.gpx",
    "Morning_Run.gpx",
    "Randonnée été.gpx",
    "activity_8723341.gpx",
    "Track 2019-05-12 (1).gpx",
];

pub(crate) struct Gear {
    pub pk: i64,
    pub uuid: &'static str,
    pub display: Option<&'static str>,
    pub make: &'static str,
    pub model: &'static str,
    pub custom_make_model: &'static str,
    pub type_name: &'static str,
    pub begin: &'static str,
    pub max_meters: f64,
}

pub(crate) const GEAR: [Gear; 4] = [
    Gear {
        pk: 31_887_001,
        uuid: "8c4e1f2a9b7d4c3e8f1a2b3c4d5e6f70",
        display: Some("Pegasus 40 \"race\" 👟"),
        make: "Nike",
        model: "Pegasus 40",
        custom_make_model: "Nike Pegasus 40",
        type_name: "Shoes",
        begin: "2023-03-01T00:00:00.0",
        max_meters: 800_000.0,
    },
    Gear {
        pk: 31_887_002,
        uuid: "2d9f0e1c3b4a49588f7e6d5c4b3a2910",
        display: None,
        make: "Hoka",
        model: "Speedgoat 5",
        custom_make_model: "Hoka Speedgoat 5",
        type_name: "Shoes",
        begin: "2019-06-15T00:00:00.0",
        max_meters: 700_000.0,
    },
    Gear {
        pk: 31_887_003,
        uuid: "5a6b7c8d9e0f41a2b3c4d5e6f7a8b9c0",
        display: Some("Canyon / Ultimate CF SL"),
        make: "Canyon",
        model: "Ultimate CF SL",
        custom_make_model: "Canyon Ultimate CF SL",
        type_name: "Bike",
        begin: "2018-04-01T00:00:00.0",
        max_meters: 0.0,
    },
    Gear {
        pk: 31_887_004,
        uuid: "9e8d7c6b5a4f43e2d1c0b9a8f7e6d5c4",
        display: Some("Wahoo KICKR"),
        make: "Wahoo",
        model: "KICKR",
        custom_make_model: "Wahoo KICKR",
        type_name: "Other",
        begin: "2020-11-20T00:00:00.0",
        max_meters: 0.0,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The translation file the simulator serves names every type it lists, as it names it
    /// itself, and the parent it says for each one: the client takes its labels from there.
    #[test]
    fn the_served_labels_name_every_type_the_account_holds() {
        let label = |key: &str| TYPE_NAMES.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
        for kind in Kind::TOP_LEVEL.iter().chain([&Kind::Transition]) {
            let info = kind.info();
            assert_eq!(
                label(info.type_key),
                Some(info.display),
                "{}",
                info.type_key
            );
        }
        assert_eq!(label("all"), Some("All Activities"), "parent type 17");
    }
}
