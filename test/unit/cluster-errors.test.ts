import { describe, expect, it } from 'vitest';
import { classifyClickhouseError, connectionFailure } from '../../storage/errors.ts';

// Failures a cluster adds, as ClickHouse 18.16 reported them in test/cluster (a replica killed under
// load, a shard down) and as the client reports a node that does not answer.
const old = (code: number, text: string) => new Error(`Code: ${code}, e.displayText() = DB::Exception: ${text}, e.what() = DB::Exception\n`);

describe('cluster failures', () => {
  it('a replica that went away during a Distributed insert is the network, not the rows', () => {
    // Code 32 is ATTEMPT_TO_READ_AFTER_EOF, a data error when it is about the inserted body.
    const killedReplica = old(32, 'Attempt to read after eof: while receiving packet from 127.0.0.1:37261: Insertion status:\nWrote 1 blocks and 2000 rows on shard 0 replica 0, 127.0.0.1:37261 (average 3 ms per block)\n');
    expect(classifyClickhouseError(killedReplica)).toBe('transient');
    expect(classifyClickhouseError(old(33, 'Cannot read all data. Bytes read: 0. Bytes expected: 4.: while receiving handshake from ZooKeeper'))).toBe('transient');
    // The inserted body itself is still data.
    expect(classifyClickhouseError(old(33, 'Cannot read all data. Bytes read: 7. Bytes expected: 8.: (at row 1)'))).toBe('data');
    expect(classifyClickhouseError(old(32, 'Attempt to read after eof: (at row 3)'))).toBe('data');
  });

  it('a whole shard or ZooKeeper away is retried', () => {
    const shardDown = old(279, 'All connection tries failed. Log: \n\nCode: 210, e.displayText() = DB::NetException: Connection refused (127.0.0.1:44119)');
    for (const err of [shardDown, old(210, 'Connection refused (127.0.0.1:44119)'), old(209, 'Timeout exceeded while reading from socket'), old(225, 'ZooKeeper is not configured'), old(242, 'Table is in readonly mode'), old(319, 'Unknown status, client must retry'), old(999, 'Session expired'), old(285, 'Number of alive replicas (1) is less than requested quorum (2)'), old(244, 'Unexpected ZooKeeper error'), old(234, 'No active replica has part'), old(289, 'Replica is not in quorum')]) {
      expect(classifyClickhouseError(err), err.message).toBe('transient');
    }
  });

  it('tells a request that never reached a server from one whose answer was lost, for failover', () => {
    expect(connectionFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }))).toBe('unreachable');
    expect(connectionFailure(Object.assign(new Error('getaddrinfo ENOTFOUND ch-3'), { code: 'ENOTFOUND' }))).toBe('unreachable');
    expect(connectionFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('unanswered');
    expect(connectionFailure(new Error('Timeout error.'))).toBe('unanswered');
    // ClickHouse answered: its error is the answer, another node would give the same.
    expect(connectionFailure(old(60, "Table x.spans doesn't exist."))).toBeUndefined();
    expect(connectionFailure(old(210, 'Connection refused (127.0.0.1:44119)'))).toBeUndefined();
  });
});
