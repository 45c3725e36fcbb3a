// What every burnrate connection sends in cluster mode (and only there: one server gets exactly the
// settings it always got). All four exist on 18.16 and on current servers.
export const CLUSTER_SESSION_SETTINGS = {
  // An insert into a Distributed table returns once every shard has its rows (written on one replica
  // of each shard, which replicates them), not once they are queued on the node we talk to: "200
  // only after the rows are stored" holds. Current servers call it distributed_foreground_insert and
  // keep this name as an alias.
  insert_distributed_sync: 1,
  // Every shard is read and written on its first live replica in remote_servers order. All burnrate
  // processes then see each shard through the same replica, so one SLO engine reads the claims,
  // alert states and counted ranges another wrote a moment ago (a second replica may lag), and the
  // part listing that decides where FINAL is needed describes the parts the sums read. When that
  // replica fails, everyone moves to the next one together.
  load_balancing: 'in_order',
  prefer_localhost_replica: 0,
  // IN / JOIN subqueries over Distributed tables (the trace view's logs, the SLO overview) run once
  // on the initiator and ship their result to the shards; without it ClickHouse refuses them.
  distributed_product_mode: 'global',
} as const;
