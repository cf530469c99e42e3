// The other side of the node interop test: reads and writes TFRecord files with
// @roboflow/tfrecords, an implementation that shares no code with Spool.
//
//   node tfrecords_node.js read FILE [none|gzip|zlib]   one line per record
//   node tfrecords_node.js write FILE                    writes records, prints the same lines
//
// A line is "INDEX LENGTH SHA256 KEY:KIND:COUNT,..." with keys sorted, KIND one of
// bytes|float|int64|none, and "-" for an Example without features; interop_records
// (the Spool side) prints the same format, and the test diffs the two. The package
// decompresses nothing, so node's own zlib undoes gzip/zlib first. Exit status 1 on
// any mismatch the package or this script finds.
"use strict";

const crypto = require("crypto");
const fs = require("fs");
const zlib = require("zlib");
const { TFRecordsBuilder, FeatureType } = require("@roboflow/tfrecords");
const { TFRecordsReader } = require("@roboflow/tfrecords/src/tensorFlowReader");
const helpers = require("@roboflow/tfrecords/src/tensorFlowHelpers");
const { TFRecordsImageMessage } = require("@roboflow/tfrecords/src/tensorFlowRecordsProtoBuf_pb");

function fail(message) {
  process.stderr.write(`tfrecords_node: ${message}\n`);
  process.exit(1);
}

const kKindNames = ["none", "bytes", "float", "int64"];  // Feature.KindCase order

// The package's message has Features as field 1, exactly where tf.train.Example keeps
// them, so an Example payload decodes as one.
function featureSummary(message) {
  const entries = [];
  const features = message.getContext();  // undefined for an empty Example (zero bytes)
  if (!features) return "-";
  features.getFeatureMap().forEach((feature, key) => {
    const kind = feature.getKindCase();
    let count = 0;
    if (kind === 1) count = feature.getBytesList().getValueList().length;
    if (kind === 2) count = feature.getFloatList().getValueList().length;
    if (kind === 3) count = feature.getInt64List().getValueList().length;
    entries.push(`${key}:${kKindNames[kind]}:${count}`);
  });
  return entries.length > 0 ? entries.sort().join(",") : "-";
}

function line(index, payload) {
  const sha = crypto.createHash("sha256").update(payload).digest("hex");
  const summary = featureSummary(TFRecordsImageMessage.deserializeBinary(payload));
  return `${index} ${payload.length} ${sha} ${summary}`;
}

// The package's maskCrc (and getInt64Buffer) reject 0 as "null or undefined" (its
// Guard.null tests truthiness), and 0 is the CRC-32C of an empty payload; the mask of
// 0 is the mask delta itself.
function maskedCrc(bytes) {
  const crc = helpers.crc32c(bytes);
  return crc === 0 ? 0xa282ead8 : helpers.maskCrc(crc);
}

// Walks the frames with the package's own int64, CRC-32C and mask helpers; its
// TFRecordsReader keeps only decoded messages, not payload bytes.
function payloadsOf(bytes) {
  const payloads = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < 12) fail(`truncated header at offset ${at}`);
    const lengthBytes = bytes.slice(at, at + 8);
    const length = helpers.readInt64(lengthBytes);
    if (maskedCrc(lengthBytes) !== bytes.readUInt32LE(at + 8)) {
      fail(`length crc mismatch in record #${payloads.length} at offset ${at}`);
    }
    if (bytes.length - at - 12 < length + 4) fail(`truncated record #${payloads.length} at offset ${at}`);
    const payload = bytes.slice(at + 12, at + 12 + length);
    if (maskedCrc(payload) !== bytes.readUInt32LE(at + 12 + length)) {
      fail(`data crc mismatch in record #${payloads.length} at offset ${at}`);
    }
    payloads.push(payload);
    at += 12 + length + 4;
  }
  return payloads;
}

function read(file, compression) {
  let bytes = fs.readFileSync(file);
  if (compression === "gzip") bytes = zlib.gunzipSync(bytes);
  else if (compression === "zlib") bytes = zlib.inflateSync(bytes);
  else if (compression !== "none") fail(`unknown compression '${compression}'`);
  const payloads = payloadsOf(bytes);
  // The package's own reader throws on an empty payload (see maskedCrc), so it
  // cross-checks the record count only of files without one.
  if (payloads.every((payload) => payload.length > 0)) {
    const reader = new TFRecordsReader(bytes);
    if (reader.length !== payloads.length) {
      fail(`the package's reader saw ${reader.length} records, the frame walk ${payloads.length}`);
    }
  } else {
    process.stderr.write("tfrecords_node: empty payload present: count not cross-checked with TFRecordsReader\n");
  }
  payloads.forEach((payload, index) => console.log(line(index, payload)));
}

// Deterministic records covering every kind the package can write, an empty
// Example, and one payload past 64 KiB (a length needing three varint bytes).
function write(file) {
  const records = [];
  for (let i = 0; i < 5; ++i) {
    const builder = new TFRecordsBuilder();
    builder.addFeature("label", FeatureType.Int64, i * 1000003 - 7);
    builder.addArrayFeature("scores", FeatureType.Float, [0.5 * i, -1.25, 3.0e-8 * i]);
    builder.addFeature("name", FeatureType.String, `record ${i} \u00e9t\u00e9`);
    builder.addFeature("image/encoded", FeatureType.Binary, new Uint8Array(17 * i).map((_, j) => (j * 31 + i) & 255));
    records.push(builder.build());
  }
  records.push(new TFRecordsBuilder().build());
  const big = new TFRecordsBuilder();
  big.addFeature("blob", FeatureType.Binary, new Uint8Array(70000).map((_, j) => (j * 7) & 255));
  records.push(big.build());
  fs.writeFileSync(file, TFRecordsBuilder.buildTFRecords(records));
  records.forEach((payload, index) => console.log(line(index, payload)));
}

const [mode, file, compression = "none"] = process.argv.slice(2);
if (mode === "read" && file) read(file, compression);
else if (mode === "write" && file) write(file);
else fail("usage: tfrecords_node.js read FILE [none|gzip|zlib] | write FILE");
