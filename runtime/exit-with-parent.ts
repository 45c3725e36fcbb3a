// Processes started by `npm start` end with the launcher that started them, even when the launcher
// itself crashes or is SIGKILLed: Node has no parent-death signal, so each one checks its parent.

/** The launcher sets this to its own pid in every child's environment. */
export const PARENT_PID_ENV = 'BURNRATE_PARENT_PID';

/**
 * When started by the launcher, sends this process SIGTERM (so its usual graceful shutdown runs) as
 * soon as its parent is gone (the process was re-parented).
 */
export function exitWithParent(env: NodeJS.ProcessEnv = process.env, intervalMs = 500): void {
  const parent = Number(env[PARENT_PID_ENV]);
  if (!Number.isInteger(parent) || parent <= 0 || process.ppid !== parent) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  timer.unref();
}
