import type { SignalSpec } from './signal.ts';
import { tracesSignal } from './traces.ts';
import { metricsSignal } from './metrics.ts';
import { logsSignal } from './logs.ts';

/** The signals this collector serves, on every transport. */
export const SIGNALS: SignalSpec<any>[] = [tracesSignal, metricsSignal, logsSignal];
