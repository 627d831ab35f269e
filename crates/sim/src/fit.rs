//! A FIT encoder: enough of the Flexible and Interoperable Data Transfer protocol to write
//! the activity files a Garmin device uploads.
//!
//! Messages are written with whatever fields they carry; a definition message is emitted
//! whenever a data message's layout differs from the one its local type last had, which is
//! what devices do when, say, a record without a GPS fix follows one with.

/// FIT epoch: 1989-12-31T00:00:00Z, as unix seconds.
pub const FIT_EPOCH: i64 = 631_065_600;

/// Global message numbers (FIT profile).
pub mod mesg {
    pub const FILE_ID: u16 = 0;
    pub const SESSION: u16 = 18;
    pub const LAP: u16 = 19;
    pub const RECORD: u16 = 20;
    pub const EVENT: u16 = 21;
    pub const DEVICE_INFO: u16 = 23;
    pub const ACTIVITY: u16 = 34;
    pub const FILE_CREATOR: u16 = 49;
    pub const FIELD_DESCRIPTION: u16 = 206;
    pub const DEVELOPER_DATA_ID: u16 = 207;
}

/// One field value; the variant decides the FIT base type written in the definition.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Enum(u8),
    U8(u8),
    U16(u16),
    U32(u32),
    I32(i32),
    U32z(u32),
    Str(String),
    /// A byte array (base type `byte`), e.g. a Connect IQ application's id.
    Bytes(Vec<u8>),
}

impl V {
    fn base_type(&self) -> u8 {
        match self {
            V::Enum(_) => 0x00,
            V::U8(_) => 0x02,
            V::U16(_) => 0x84,
            V::I32(_) => 0x85,
            V::U32(_) => 0x86,
            V::Str(_) => 0x07,
            V::U32z(_) => 0x8C,
            V::Bytes(_) => 0x0D,
        }
    }

    fn size(&self) -> usize {
        match self {
            V::Enum(_) | V::U8(_) => 1,
            V::U16(_) => 2,
            V::U32(_) | V::I32(_) | V::U32z(_) => 4,
            // Null-terminated; FIT sizes are one byte.
            V::Str(s) => s.len().min(254) + 1,
            V::Bytes(b) => b.len().min(255),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            V::Enum(v) | V::U8(v) => out.push(*v),
            V::U16(v) => out.extend_from_slice(&v.to_le_bytes()),
            V::U32(v) | V::U32z(v) => out.extend_from_slice(&v.to_le_bytes()),
            V::I32(v) => out.extend_from_slice(&v.to_le_bytes()),
            V::Bytes(b) => out.extend_from_slice(&b[..self.size()]),
            V::Str(s) => {
                let bytes = s.as_bytes();
                let mut n = bytes.len().min(254);
                // Never cut a UTF-8 sequence in half.
                while n > 0 && !s.is_char_boundary(n) {
                    n -= 1;
                }
                out.extend_from_slice(&bytes[..n]);
                out.resize(out.len() + (self.size() - n), 0);
            }
        }
    }
}

/// FIT's CRC-16 (nibble-wise, polynomial 0xA001 reflected).
pub fn crc16(mut crc: u16, bytes: &[u8]) -> u16 {
    const TABLE: [u16; 16] = [
        0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401, 0xA001, 0x6C00, 0x7800,
        0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
    ];
    for &b in bytes {
        let mut tmp = TABLE[usize::from(crc & 0xF)];
        crc = (crc >> 4) & 0x0FFF;
        crc = crc ^ tmp ^ TABLE[usize::from(b & 0xF)];
        tmp = TABLE[usize::from(crc & 0xF)];
        crc = (crc >> 4) & 0x0FFF;
        crc = crc ^ tmp ^ TABLE[usize::from((b >> 4) & 0xF)];
    }
    crc
}

/// Seconds since the FIT epoch.
pub fn fit_time(unix: i64) -> u32 {
    u32::try_from(unix - FIT_EPOCH).unwrap_or(0)
}

/// Writes FIT messages into memory; `finish` adds the header and the file CRC.
#[derive(Debug, Default)]
pub struct Writer {
    data: Vec<u8>,
    /// Layout last defined for each local message type (global number + field defs).
    locals: Vec<Vec<u8>>,
    next_evict: usize,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// Writes one data message (preceded by a definition when its layout is new).
    pub fn message(&mut self, global: u16, fields: &[(u8, V)]) {
        self.message_with_developer_fields(global, fields, &[]);
    }

    /// Declares a Connect IQ application (or a device's own developer data) as developer
    /// data `index`: what a device writes before the first field description of that app.
    pub fn developer_data_id(&mut self, index: u8, application_id: [u8; 16], version: u32) {
        self.message(
            mesg::DEVELOPER_DATA_ID,
            &[
                (1, V::Bytes(application_id.to_vec())),
                (4, V::U32(version)),
                (3, V::U8(index)),
            ],
        );
    }

    /// Describes developer field `field` of developer data `index`: its FIT base type
    /// (as a number), name and units.
    pub fn field_description(
        &mut self,
        index: u8,
        field: u8,
        base_type: u8,
        name: &str,
        units: &str,
    ) {
        self.message(
            mesg::FIELD_DESCRIPTION,
            &[
                (0, V::U8(index)),
                (1, V::U8(field)),
                (2, V::U8(base_type)),
                (3, V::Str(name.to_string())),
                (8, V::Str(units.to_string())),
            ],
        );
    }

    /// Writes one data message with developer fields after its own: each is (developer
    /// field number, developer data index, value), as declared by [`Writer::field_description`].
    pub fn message_with_developer_fields(
        &mut self,
        global: u16,
        fields: &[(u8, V)],
        developer: &[(u8, u8, V)],
    ) {
        let mut layout = global.to_le_bytes().to_vec();
        for (num, v) in fields {
            layout.extend_from_slice(&[*num, v.size() as u8, v.base_type()]);
        }
        // Developer fields are part of the layout too: a marker no field triple starts with
        // a count byte is not, so the two kinds of layout can never compare equal.
        if !developer.is_empty() {
            layout.push(0xFF);
            layout.push(developer.len() as u8);
            for (num, index, v) in developer {
                layout.extend_from_slice(&[*num, v.size() as u8, *index]);
            }
        }
        let local = match self.locals.iter().position(|l| *l == layout) {
            Some(i) => i,
            None => {
                let i = if self.locals.len() < 16 {
                    self.locals.push(layout.clone());
                    self.locals.len() - 1
                } else {
                    let i = self.next_evict;
                    self.next_evict = (self.next_evict + 1) % 16;
                    self.locals[i] = layout.clone();
                    i
                };
                // Definition: header (0x20: developer fields follow), reserved,
                // little-endian, global number, field count, fields, then the developer ones.
                let dev = if developer.is_empty() { 0 } else { 0x20 };
                self.data.push(0x40 | dev | i as u8);
                self.data.extend_from_slice(&[0, 0]);
                self.data.extend_from_slice(&layout[..2]);
                self.data.push(fields.len() as u8);
                let own = 2 + 3 * fields.len();
                self.data.extend_from_slice(&layout[2..own]);
                if !developer.is_empty() {
                    self.data.extend_from_slice(&layout[own + 1..]);
                }
                i
            }
        };
        self.data.push(local as u8);
        for (_, v) in fields {
            v.write(&mut self.data);
        }
        for (_, _, v) in developer {
            v.write(&mut self.data);
        }
    }

    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 16);
        out.push(14);
        // Protocol 2.0, profile 21.32.
        out.push(0x20);
        out.extend_from_slice(&2132u16.to_le_bytes());
        out.extend_from_slice(&(self.data.len() as u32).to_le_bytes());
        out.extend_from_slice(b".FIT");
        let header_crc = crc16(0, &out);
        out.extend_from_slice(&header_crc.to_le_bytes());
        out.extend_from_slice(&self.data);
        let file_crc = crc16(0, &out);
        out.extend_from_slice(&file_crc.to_le_bytes());
        out
    }
}

/// A damaged copy of a FIT file, as a device that crashed or an interrupted copy leaves it:
/// the first `keep` bytes (header included), the rest lost.
pub fn cut(fit: &[u8], keep: usize) -> Vec<u8> {
    fit[..keep.min(fit.len())].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_of_its_own_output_is_zero() {
        let mut w = Writer::new();
        w.message(mesg::FILE_ID, &[(0, V::Enum(4)), (1, V::U16(1))]);
        let bytes = w.finish();
        assert_eq!(crc16(0, &bytes), 0);
        assert_eq!(crc16(0, &bytes[..14]), 0);
        assert_eq!(&bytes[8..12], b".FIT");
    }

    #[test]
    fn layouts_are_defined_once() {
        let mut w = Writer::new();
        for _ in 0..3 {
            w.message(mesg::RECORD, &[(253, V::U32(1)), (3, V::U8(120))]);
        }
        let bytes = w.finish();
        // header 14 + def (6 + 2*3) + 3 * (1 + 5) + crc 2
        assert_eq!(bytes.len(), 14 + 12 + 18 + 2);
    }
}
