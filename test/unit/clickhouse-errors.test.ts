import { describe, expect, it } from 'vitest';
import { classifyClickhouseError, describeClickhouseError, errorLabel } from '../../storage/errors.ts';

// Messages as the two engines print them: 18.16 has no (ERROR_NAME) suffix and @clickhouse/client
// leaves them as a plain Error; current servers' errors arrive parsed, with `code` set.
const old = (code: number, text: string) => new Error(`Code: ${code}, e.displayText() = DB::Exception: ${text}, e.what() = DB::Exception\n`);
const current = (code: number, text: string, name: string) => Object.assign(new Error(`${text}. `), { code: String(code), type: name });

describe('ClickHouse error classification', () => {
  it('calls auth, permission, missing database/table, readonly and disk failures environmental, never data', () => {
    const environmental = [
      old(193, 'Wrong password for user default'),
      old(194, 'Password required for user default'),
      old(192, 'Unknown user nobody'),
      current(516, 'default: Authentication failed: password is incorrect, or there is no user with such name', 'AUTHENTICATION_FAILED'),
      current(497, 'default: Not enough privileges. To execute this query, it is necessary to have the grant INSERT ON faults.spans', 'ACCESS_DENIED'),
      old(81, "Database faults doesn't exist"),
      old(60, "Table faults.spans doesn't exist."),
      old(164, 'Cannot execute query in readonly mode'),
      old(243, 'Cannot reserve 1.00 MiB, not enough space'),
      old(16, 'There is no column tenant in table'),
      old(62, 'Syntax error'),
      current(9999, 'a code this version does not know', 'SOMETHING_NEW'),
      new Error('<html>502 Bad Gateway</html>'),
    ];
    expect(environmental.map(classifyClickhouseError)).toEqual(environmental.map(() => 'environmental'));
  });

  it('calls network failures, timeouts, overload and too many parts transient', () => {
    const transient = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }),
      new Error('socket hang up'),
      new Error('Timeout error.'),
      old(252, 'Too many parts (300). Merges are processing significantly slower than inserts.'),
      current(241, 'Memory limit (total) exceeded', 'MEMORY_LIMIT_EXCEEDED'),
      current(202, 'Too many simultaneous queries. Maximum: 100', 'TOO_MANY_SIMULTANEOUS_QUERIES'),
      old(209, 'Timeout exceeded while reading from socket'),
      current(999, 'Coordination error: Connection loss', 'KEEPER_EXCEPTION'),
    ];
    expect(transient.map(classifyClickhouseError)).toEqual(transient.map(() => 'transient'));
  });

  it('tells "too many partitions for single INSERT block" (the rows) from "too many parts" (the server) although both are code 252', () => {
    const partitions = current(252, 'Too many partitions for single INSERT block (more than 100). The limit is controlled by \'max_partitions_per_insert_block\' setting', 'TOO_MANY_PARTS');
    expect(classifyClickhouseError(partitions)).toBe('data');
    expect(classifyClickhouseError(current(252, 'Too many parts (3001 with average size of 10.00 KiB) in table', 'TOO_MANY_PARTS'))).toBe('transient');
  });

  it('calls errors about the rows themselves data', () => {
    const data = [
      old(190, "Elements 'attributes.key' and 'attributes.type' of Nested data structure 'attributes' (Array columns) have different array sizes."),
      old(33, 'Cannot read all data. Bytes read: 7. Bytes expected: 8.: (at row 1)'),
      current(27, 'Cannot parse input: expected \'\\t\' before: \'x\'', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'),
      current(53, 'Type mismatch', 'TYPE_MISMATCH'),
      current(469, 'Constraint `c` for table spans is violated', 'VIOLATED_CONSTRAINT'),
    ];
    expect(data.map(classifyClickhouseError)).toEqual(data.map(() => 'data'));
  });

  it('describes an error in one line with its code and name, from either engine', () => {
    expect(describeClickhouseError(old(194, 'Password required for user default'))).toBe('Code 194 REQUIRED_PASSWORD: Password required for user default');
    expect(describeClickhouseError(current(516, 'default: Authentication failed', 'AUTHENTICATION_FAILED'))).toBe('Code 516 AUTHENTICATION_FAILED: default: Authentication failed.');
    expect(describeClickhouseError(old(4242, 'new'))).toBe('Code 4242: new');
    expect(describeClickhouseError(new Error('x'.repeat(500)), 10)).toBe('xxxxxxxxxx…');
    expect(errorLabel(old(194, 'Password required'))).toBe('194');
    expect(errorLabel(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('network');
  });
});
