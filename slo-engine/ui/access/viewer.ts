// Who is looking: set by the access middleware on every request, read by the pages and the API.

export interface Viewer {
  /** Only this tenant's SLOs and spans; undefined = every tenant (a token without tenant, or no authentication). */
  tenant?: string;
  /** Signed in with a token (a session cookie or a header); false when authentication is off. */
  authenticated: boolean;
  /** How: a browser session can sign out, a header cannot. */
  via: 'none' | 'header' | 'session';
}

export type AppEnv = { Variables: { viewer: Viewer } };

export const OPEN_VIEWER: Viewer = { authenticated: false, via: 'none' };

/** Whether the viewer may see data of `tenant`. */
export const canSee = (viewer: Viewer, tenant: string): boolean => viewer.tenant === undefined || viewer.tenant === tenant;
