import type { Browser } from 'playwright-core';

export declare const CHROMIUM_MISSING: string;
/** The Chromium program: COFFER_CHROMIUM, else Debian's; undefined when there is none. */
export declare function findChromium(): string | undefined;
/** False (after one line naming the package) when Chromium is missing; throws instead with COFFER_REQUIRE_CHROMIUM=1. */
export declare function chromiumAvailable(suite: string): boolean;
export interface LaunchOptions {
  /** Chromium's --host-resolver-rules, e.g. `MAP rebind.test 127.0.0.1` (a DNS-rebinding attacker's name). */
  hostResolverRules?: string;
}
export interface LaunchedChromium {
  readonly browser: Browser;
  readonly version: string;
  close(): Promise<void>;
}
export declare function launchChromium(options?: LaunchOptions): Promise<LaunchedChromium>;
