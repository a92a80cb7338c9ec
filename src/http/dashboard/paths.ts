/** The dashboard's own routes, shared by the pages that link or post to them and the code that registers them. */
export const dashboardPath = "/";
export const signInPath = "/dashboard/sign-in";
export const signOutPath = "/dashboard/sign-out";
