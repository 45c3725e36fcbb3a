import type { AttributeColumns } from '../rows/types.ts';

/** Status code attribute kinds for spans (ints only) and metric points (ints or decimal strings). */
export const INT_STATUS = new Set(['int']);
export const INT_OR_STRING_STATUS = new Set(['int', 'string']);

export interface HttpFields {
  route: string;
  method: string;
  /** 0 when absent or not a status code. */
  statusCode: number;
}

/**
 * Route, method and status code from the stable HTTP semantic-convention attributes, falling back to
 * the older names (`http.method`, `http.status_code`). The first occurrence of a key wins. Status
 * codes are int attributes per the conventions; `statusTypes` says which attribute kinds count (metric
 * points also take a decimal string, which some SDKs send).
 */
export function httpFields(attributes: AttributeColumns, statusTypes: ReadonlySet<string>): HttpFields {
  const { keys, types, values } = attributes;
  let route: string | undefined;
  let method: string | undefined;
  let legacyMethod: string | undefined;
  let status: string | undefined;
  let legacyStatus: string | undefined;
  for (let i = 0; i < keys.length; i++) {
    switch (keys[i]) {
      case 'http.route':
        route ??= values[i];
        break;
      case 'http.request.method':
        method ??= values[i];
        break;
      case 'http.method':
        legacyMethod ??= values[i];
        break;
      case 'http.response.status_code':
        if (statusTypes.has(types[i]!)) status ??= values[i];
        break;
      case 'http.status_code':
        if (statusTypes.has(types[i]!)) legacyStatus ??= values[i];
        break;
    }
  }
  return {
    route: route ?? '',
    method: method ?? legacyMethod ?? '',
    statusCode: statusCodeFromText(status ?? legacyStatus),
  };
}

/** A status code attribute's text as the UInt16 column: 0 when absent or not a status code. */
export function statusCodeFromText(text: string | undefined): number {
  const code = Number(text ?? 0);
  return Number.isInteger(code) && code >= 0 && code <= 65535 ? code : 0;
}
