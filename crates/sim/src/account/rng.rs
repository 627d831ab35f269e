//! Deterministic noise. Every value is a pure function of (seed, index, purpose), so any
//! activity can be rebuilt alone, in any order, on any machine, with nothing stored.

/// One round of splitmix64: cheap, and every output bit depends on every input bit.
pub(crate) const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Purposes keep draws for different properties independent of each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Purpose {
    Kind = 1,
    Device,
    Zone,
    Name,
    Description,
    Time,
    Shape,
    Effort,
    Event,
    Privacy,
    Gear,
    Noise,
}

/// A small stream of draws for one (seed, index, purpose).
#[derive(Clone, Debug)]
pub(crate) struct Draws {
    state: u64,
}

impl Draws {
    pub(crate) fn new(seed: u64, index: u64, purpose: Purpose) -> Draws {
        Draws {
            state: mix(
                mix(seed ^ mix(index)) ^ (purpose as u64).wrapping_mul(0xA24B_AED4_963E_E407)
            ),
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in 0..n (n > 0); the modulo bias is irrelevant at these sizes.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// Noise in [-1, 1] for one sample, without a stream: samples are generated independently.
pub(crate) fn noise(seed: u64, index: u64) -> f64 {
    let v = mix(seed ^ mix(index.wrapping_add(0x5EED)));
    (v >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}
