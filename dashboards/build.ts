// Writes dashboards/json/*.json from dashboards/src. Run: node bin/run-ts.js dashboards/build.ts
// (`--check` only reports whether the committed files are up to date; the test suite checks too).
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDashboards } from './src/index.ts';

const JSON_DIR = join(dirname(fileURLToPath(import.meta.url)), 'json');

function main(check: boolean): number {
  const files = renderDashboards();
  mkdirSync(JSON_DIR, { recursive: true });
  const stale = readdirSync(JSON_DIR).filter((f) => f.endsWith('.json') && !files.has(f));
  let outdated = stale.length;
  for (const [name, text] of files) {
    const path = join(JSON_DIR, name);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    if (current === text) continue;
    outdated++;
    if (check) console.log(`out of date: dashboards/json/${name}`);
    else writeFileSync(path, text);
  }
  for (const name of stale) {
    if (check) console.log(`not generated: dashboards/json/${name}`);
    else rmSync(join(JSON_DIR, name));
  }
  if (check) return outdated === 0 ? 0 : 1;
  console.log(`dashboards/json: ${files.size} dashboards, ${outdated} file(s) written or removed`);
  return 0;
}

process.exitCode = main(process.argv.includes('--check'));
