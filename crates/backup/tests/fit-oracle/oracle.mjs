// Garmin's official FIT SDK reading each file named on the command line; one JSON line per
// file with what our decoder must match. Run by crates/backup/tests/real_fit.rs.
import { readFileSync } from 'node:fs';
import { Decoder, Stream } from '@garmin/fitsdk';

for (const path of process.argv.slice(2)) {
  const bytes = readFileSync(path);
  const decoder = new Decoder(Stream.fromBuffer(bytes));
  const integrity = decoder.checkIntegrity();
  const { messages, errors } = new Decoder(Stream.fromBuffer(bytes)).read();
  const records = messages.recordMesgs ?? [];
  const positions = records.filter(
    (r) => typeof r.positionLat === 'number' && typeof r.positionLong === 'number',
  ).length;
  const timed = records.filter((r) => r.timestamp instanceof Date).length;
  console.log(
    JSON.stringify({
      path,
      integrity,
      fileTypes: (messages.fileIdMesgs ?? []).map((m) => m.type),
      records: records.length,
      timed,
      positions,
      sessions: (messages.sessionMesgs ?? []).length,
      laps: (messages.lapMesgs ?? []).length,
      developerFields: (messages.fieldDescriptionMesgs ?? []).length,
      times: records
        .filter((r) => r.timestamp instanceof Date)
        .map((r) => Math.round(r.timestamp.getTime() / 1000)),
      errors: errors.map((e) => String(e.message ?? e)),
    }),
  );
}
