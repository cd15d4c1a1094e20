/** A value that JSON.stringify and JSON.parse carry unchanged. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
