/** The compiled module's file URL for `entry` (a path under the project), or undefined where it cannot be built. */
export declare function compiledEntry(entry: string): Promise<string | undefined>;
