// Users of the embedded engine: `users.json` in its directory ({"name": "password"}), read again
// on SIGHUP, as clickhouse-server reloads users.xml. Tests change a password to simulate an
// operator's credential change.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';

export interface Users {
  check(name: string, password: string): boolean;
  reload(): void;
}

export const usersFile = (dir: string) => join(dir, 'users.json');

export function writeUsers(dir: string, users: Record<string, string>): void {
  writeFileSync(usersFile(dir), JSON.stringify(users, null, 2) + '\n', { mode: 0o600 });
}

export function loadUsers(dir: string): Users {
  let users: Record<string, string> = {};
  const reload = () => {
    users = existsSync(usersFile(dir)) ? (JSON.parse(readFileSync(usersFile(dir), 'utf8')) as Record<string, string>) : { default: '' };
  };
  reload();
  return {
    reload,
    check(name, password) {
      if (!Object.hasOwn(users, name)) return false;
      const a = Buffer.from(users[name]!);
      const b = Buffer.from(password);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
