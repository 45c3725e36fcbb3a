import type { SignalSpec } from './signal.ts';
import { tracesSignal } from './traces.ts';

/** The signals this collector serves, on every transport. */
export const SIGNALS: SignalSpec<any>[] = [tracesSignal];
