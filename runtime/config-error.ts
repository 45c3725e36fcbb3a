import type { z } from 'zod';

/** Every configuration problem at once, in human words. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }

  static fromZod(error: z.ZodError, names: Record<string, string> = {}): ConfigError {
    return new ConfigError(
      error.issues.map((issue) => {
        const path = issue.path.join('.');
        const label = names[path] ?? path;
        return label ? `${label}: ${issue.message}` : issue.message;
      }),
    );
  }
}

/** Parses `input` with `schema` or throws a ConfigError listing every issue. */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, names: Record<string, string> = {}): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw ConfigError.fromZod(result.error, names);
  return result.data;
}

/** Runs several config parsers and throws one ConfigError with every problem from all of them. */
export function validateAll<T extends unknown[]>(...parsers: { [K in keyof T]: () => T[K] }): T {
  const problems: string[] = [];
  const results = parsers.map((parse) => {
    try {
      return parse();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
      return undefined;
    }
  });
  if (problems.length) throw new ConfigError(problems);
  return results as T;
}
