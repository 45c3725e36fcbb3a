import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { decodeLogsProto } from '../../collector/decode/logs-proto.ts';
import { decodeLogsJson } from '../../collector/decode/logs-json.ts';
import { DEFAULT_DECODE_LIMITS, PayloadError, type DecodeOptions } from '../../collector/rows/types.ts';
import { fields, fixed32, fixed64, hexBytes, keyValueString, message, string, varint } from '../support/proto-writer.ts';

const OPTIONS: DecodeOptions = { tenant: '', limits: DEFAULT_DECODE_LIMITS };
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';
const TIME_MS = 1_763_000_123_456;

async function sdkLogRecords(): Promise<ReadableLogRecord[]> {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'mailer', 'deployment.environment': 'staging' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('mailer-logs', '2.0.0');
  logger.emit({ timestamp: TIME_MS, severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'mail sent', attributes: { 'mail.id': 42, ok: true } });
  logger.emit({
    timestamp: TIME_MS + 1,
    severityNumber: SeverityNumber.ERROR2,
    severityText: 'ERROR',
    eventName: 'mail.bounced',
    body: { user: 'ann', attempts: 3, ratio: 0.5, tags: ['a', 'b'], raw: new Uint8Array([1, 2, 255]) },
  });
  const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: TraceFlags.SAMPLED });
  logger.emit({ timestamp: TIME_MS + 2, severityNumber: SeverityNumber.WARN, body: 'inside a span', context: trace.setSpan(ROOT_CONTEXT, span) });
  logger.emit({ timestamp: TIME_MS + 3 });
  await provider.forceFlush();
  const records = exporter.getFinishedLogRecords();
  await provider.shutdown();
  return records;
}

describe('logs decoders with real SDK output', () => {
  it('protobuf and JSON give identical rows with exact values', async () => {
    const records = await sdkLogRecords();
    const proto = decodeLogsProto(ProtobufLogsSerializer.serializeRequest(records)!, OPTIONS);
    const json = decodeLogsJson(new TextDecoder().decode(JsonLogsSerializer.serializeRequest(records)!), OPTIONS);
    expect(proto.rejected).toBe(0);
    expect(json.rejected).toBe(0);
    expect(proto.rows).toEqual(json.rows);
    const rows = proto.rows;
    expect(rows).toHaveLength(4);

    for (const [i, row] of rows.entries()) {
      const record = records[i]!;
      expect(row.timeNs).toBe(BigInt(TIME_MS + i) * 1_000_000n);
      expect(row.observedTimeNs).toBe(BigInt(record.hrTimeObserved[0]) * 1_000_000_000n + BigInt(record.hrTimeObserved[1]));
      expect(row.timestamp).toBe(Math.floor((TIME_MS + i) / 1000));
      expect(row.resource).toMatchObject({ serviceName: 'mailer', deploymentEnvironment: 'staging' });
      expect(row.scope).toMatchObject({ name: 'mailer-logs', version: '2.0.0' });
    }
    expect(rows[0]).toMatchObject({
      severityNumber: 9, severityText: 'INFO', body: 'mail sent', bodyType: 'string', traceId: '', spanId: '', flags: 0, eventName: '',
      attributes: { keys: ['mail.id', 'ok'], types: ['int', 'bool'], values: ['42', 'true'] }, droppedAttributesCount: 0,
    });
    expect(rows[1]).toMatchObject({
      severityNumber: 18,
      severityText: 'ERROR',
      eventName: 'mail.bounced',
      bodyType: 'kvlist',
      body:
        '{"kvlistValue":{"values":[{"key":"user","value":{"stringValue":"ann"}},{"key":"attempts","value":{"intValue":"3"}},' +
        '{"key":"ratio","value":{"doubleValue":0.5}},{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}}},' +
        '{"key":"raw","value":{"bytesValue":"AQL/"}}]}}',
    });
    expect(rows[2]).toMatchObject({ severityNumber: 13, body: 'inside a span', traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 });
    expect(rows[3]).toMatchObject({ severityNumber: 0, severityText: '', body: '', bodyType: 'empty' });
  });
});

describe('logs decoders with hand-built payloads', () => {
  const OBSERVED = 1_763_000_500_000_000_001n;
  const proto = fields(
    message(1,
      message(1, keyValueString(1, 'service.name', 'api')),
      message(2,
        message(1, string(1, 'lib')),
        // time 0: timestamp from observed time; unknown and reserved fields skipped; severity out of range → 0
        message(2, fixed64(11, OBSERVED), varint(2, 99), message(5, string(1, 'hello')), string(4, 'reserved'), varint(42, 7),
          hexBytes(9, TRACE_ID.toUpperCase()), hexBytes(10, SPAN_ID), fixed32(8, 1), varint(7, 2)),
        // trace id of the wrong length: rejected
        message(2, fixed64(1, 5n), hexBytes(9, 'abcd')),
        // span id of the wrong length: rejected
        message(2, fixed64(1, 5n), hexBytes(9, TRACE_ID), hexBytes(10, 'ab')),
        message(2, fixed64(1, 1_763_000_000_000_000_000n), message(5, varint(3, -7))),
      ),
      string(99, 'x'),
    ),
  );
  const json = JSON.stringify({
    resourceLogs: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
      scopeLogs: [{
        scope: { name: 'lib' },
        logRecords: [
          { observedTimeUnixNano: String(OBSERVED), severityNumber: 99, body: { stringValue: 'hello' }, future: 7,
            traceId: TRACE_ID.toUpperCase(), spanId: SPAN_ID, flags: 1, droppedAttributesCount: 2 },
          { timeUnixNano: 5, traceId: 'abcd' },
          { timeUnixNano: '5', traceId: TRACE_ID, spanId: 'ab' },
          { timeUnixNano: '1763000000000000000', body: { intValue: '-7' } },
        ],
      }],
      unknown: {},
    }],
  });

  it('give identical rows from protobuf and JSON and count rejected records', () => {
    const p = decodeLogsProto(proto, OPTIONS);
    const j = decodeLogsJson(json, OPTIONS);
    expect(p.rows).toEqual(j.rows);
    for (const result of [p, j]) {
      expect(result.rejected).toBe(2);
      expect(result.errorMessage).toBe(
        '2 log records rejected: invalid trace_id length (expected 16 bytes or empty) (1); invalid span_id length (expected 8 bytes or empty) (1)',
      );
    }
    expect(p.rows).toHaveLength(2);
    expect(p.rows[0]).toMatchObject({
      timeNs: 0n, observedTimeNs: OBSERVED, timestamp: 1_763_000_500, severityNumber: 0, body: 'hello', bodyType: 'string',
      traceId: TRACE_ID, spanId: SPAN_ID, flags: 1, droppedAttributesCount: 2,
    });
    expect(p.rows[1]).toMatchObject({ timestamp: 1_763_000_000, body: '-7', bodyType: 'int' });
  });

  it('reject undecodable input with PayloadError', () => {
    expect(() => decodeLogsProto(Uint8Array.from([0x0a, 0x05, 0x12]), OPTIONS)).toThrow(PayloadError);
    expect(() => decodeLogsProto(fields(message(1, message(2, message(2, varint(3, 1))))), OPTIONS)).toThrow(/LogRecord: field 3 has wrong wire type/);
    expect(() => decodeLogsJson('[]', OPTIONS)).toThrow(PayloadError);
    expect(() => decodeLogsJson('{"resourceLogs":[{"scopeLogs":{}}]}', OPTIONS)).toThrow(PayloadError);
  });

  it('reject only the record with wrong JSON types', () => {
    const result = decodeLogsJson(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ severityText: 5 }, { timeUnixNano: 'soon' }, { body: { stringValue: 'ok' } }] }] }] }), OPTIONS);
    expect(result.rows.map((r) => r.body)).toEqual(['ok']);
    expect(result.errorMessage).toBe('2 log records rejected: severityText must be a string (1); timeUnixNano must be a uint64 (1)');
  });
});
