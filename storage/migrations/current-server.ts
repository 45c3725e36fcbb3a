import { versionAtLeast } from '../client.ts';
import type { MigrationContext } from './types.ts';
import type { SchemaStep } from '../cluster/ddl.ts';

/**
 * The oldest server that gets the current-server layout (LowCardinality, codecs, skip indexes):
 * an LTS release that has every feature the layout uses without experimental settings. Tested on
 * the embedded 26.7; older servers (18.16) keep the portable layout, and the migration is recorded
 * as applied there without a statement (a server upgraded later keeps the portable layout).
 */
export const CURRENT_LAYOUT_MIN_VERSION = '23.8';

/** The steps on a server that has the current layout's features, none on older ones. */
export function onCurrentServer(ctx: MigrationContext, steps: SchemaStep[]): SchemaStep[] {
  return versionAtLeast(ctx.serverVersion, CURRENT_LAYOUT_MIN_VERSION) ? steps : [];
}
