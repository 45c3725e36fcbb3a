import { expect, vi } from 'vitest';
import type { Command } from '../../cli/main.ts';

/** Runs a CLI command in this process; its console.log lines, once it exited 0. */
export async function runCommand(command: Command, args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    expect(await command.run(args)).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return lines;
}
