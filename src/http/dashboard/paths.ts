/** The dashboard's own routes, shared by the pages that link or post to them and the code that registers them. */
export const dashboardPath = "/";
export const signInPath = "/dashboard/sign-in";
export const signOutPath = "/dashboard/sign-out";
/** One release's detail page: checks, signer, SBOM digest and its promotions. */
export const releaseRoute = "/releases/:app/:version";
export const releasePath = (app: string, version: string) =>
  `/releases/${encodeURIComponent(app)}/${encodeURIComponent(version)}`;
